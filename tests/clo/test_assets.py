"""Landed workbooks → every CLO table, on a real Postgres and Dagster instance; bad files fail alone."""

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from orchestration.clo import tables
from orchestration.core import landing_log
from orchestration.core.ids import workbook_id
from tests.clo.files import HOLDINGS, holdings_rows, openpyxl_book


def _rows(platform, table, tenant, order_by=("partition_key",)):
    query = sa.select(table).where(table.c.tenant_id == tenant).order_by(*(table.c[c] for c in order_by))
    with platform.warehouse.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all())


def _failure(result):
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert not any(e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY for e in result.all_events)
    return failure.step_failure_data.user_failure_data.metadata["error_code"].value


def test_two_uploads_write_every_table_with_drift_and_trends(platform, lander, tenant):
    first_rows = holdings_rows()
    first_rows[1][6] = "Caa1"  # CCC: AAR (4m) + Apple (5m) of 15m
    first = openpyxl_book({"Holdings": first_rows})
    key1 = lander.land(
        tenant, "jan.xlsx", first, {"name": "January", "tags": ["monthly"], "metadata": {"report_date": "2026-01-31"}}
    )
    result = lander.run(key1)
    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations())
    materialized = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
    assert materialized == {
        "clo/raw_workbooks",
        "clo/workbook_sheets",
        "clo/mapped_holdings",
        "clo/mapping_diagnostics",
        "clo/workbook_data_quality",
        "clo/workbook_anomalies",
        "clo/workbook_insights",
    }

    # Second month: a new column, a missing one (Country), Face Value as text, and more CCC.
    second_rows = [[*r[:10], "x"] for r in holdings_rows()]
    second_rows[0][10] = "Custom Field 1"
    for r in second_rows[1:]:
        r[3] = f"{r[3]:,}"
    second_rows[1][6], second_rows[2][6] = "Caa1", "Caa2"
    key2 = lander.land(
        tenant, "feb.xlsx", openpyxl_book({"Holdings": second_rows}), {"metadata": {"report_date": "2026-02-28"}}
    )
    assert lander.run(key2).success

    workbooks = _rows(platform, tables.workbooks, tenant, ("report_date",))
    record = landing_log.require(platform.warehouse, "clo", key1)
    assert workbooks["workbook_id"].tolist()[0] == workbook_id(tenant, record.sha256)
    assert workbooks["status"].tolist() == ["processed", "processed"]
    assert workbooks["name"].tolist() == ["January", "feb.xlsx"]
    assert workbooks["report_date_source"].tolist() == ["sidecar", "sidecar"]
    assert workbooks["sheets"].tolist()[0] == [
        {"index": 0, "name": "Holdings", "row_count": 6, "column_count": 11, "hidden": False}
    ]
    assert workbooks["processing_stats"].tolist()[0]["holdings"] == 5

    holdings = _rows(platform, tables.holdings, tenant, ("partition_key", "row_index"))
    assert len(holdings) == 10
    assert holdings[holdings["partition_key"] == key2]["par_amount"].astype(float).tolist() == [
        float(h[3]) for h in HOLDINGS
    ]
    sheet_rows = _rows(platform, tables.sheet_rows, tenant, ("partition_key", "row_index"))
    assert sheet_rows[sheet_rows["partition_key"] == key1]["cells"].tolist()[0][:2] == ["CUSIP_ID", "ISIN"]

    diagnostics = _rows(platform, tables.mapping_diagnostics, tenant)
    drift = diagnostics.set_index("partition_key").loc[key2, "schema_drift"]
    assert drift["compared_to"] == workbooks["workbook_id"].tolist()[0]
    assert drift["new_columns"] == ["Custom Field 1"]
    assert drift["missing_columns"] == ["Country"]
    assert drift["type_changes"] == []  # "5,000,000" text still reads as a number

    quality = _rows(platform, tables.data_quality, tenant).set_index("partition_key")
    assert float(quality.loc[key1, "uniqueness"]) == 100.0
    insights = _rows(platform, tables.insights, tenant)
    trend = insights[(insights["partition_key"] == key2) & (insights["title"] == "Increasing CCC exposure trend")]
    # CCC share: January (5m + 4m) / 15m = 60%; February adds Google (3m) → 80%
    assert [p["value"] for p in trend["data"].iloc[0]["trend_data"]] == [60.0, 80.0]

    # Re-running a partition gives the same holdings.
    before = _rows(platform, tables.holdings, tenant, ("partition_key", "row_index"))
    assert lander.run(key1).success
    after = _rows(platform, tables.holdings, tenant, ("partition_key", "row_index"))
    pd.testing.assert_frame_equal(before, after)


def test_bad_files_fail_only_their_partition_and_stay_visible_as_failed(platform, lander, tenant):
    good = openpyxl_book({"Holdings": holdings_rows()})
    good_key = lander.land(tenant, "good.xlsx", good)
    assert lander.run(good_key).success
    cases = {
        "truncated.xlsx": (good[: len(good) // 2], "WORKBOOK_INVALID_FORMAT"),
        "text.xlsx": (b"this is not a workbook\n", "WORKBOOK_INVALID_FORMAT"),
        "nopar.xlsx": (
            openpyxl_book({"Holdings": [[c for i, c in enumerate(r) if i != 3] for r in holdings_rows()]}),
            "MAPPING_INCOMPLETE",
        ),
        "cover.xlsx": (openpyxl_book({"Cover": [["Letter to investors"]]}), "NO_HOLDINGS_SHEET"),
    }
    keys = {}
    for name, (content, code) in cases.items():
        keys[name] = lander.land(tenant, name, content)
        result = lander.run(keys[name], raise_on_error=False)
        assert not result.success
        assert _failure(result) == code
        assert landing_log.require(platform.warehouse, "clo", keys[name]).archive_path.exists()
    workbooks = _rows(platform, tables.workbooks, tenant).set_index("file_name")
    assert workbooks.loc["good.xlsx", "status"] == "processed"
    for name, (_, code) in cases.items():
        assert (workbooks.loc[name, "status"], workbooks.loc[name, "error_code"]) == ("failed", code)
        assert workbooks.loc[name, "error_message"]
    assert "par_amount" in workbooks.loc["nopar.xlsx", "error_message"]
    assert "'Cover'" in workbooks.loc["cover.xlsx", "error_message"]
    holdings = _rows(platform, tables.holdings, tenant)
    assert set(holdings["partition_key"]) == {good_key}

    # The size limit is configurable per run: the same good file over a 1 KB limit fails as too large.
    result = lander.run(
        good_key,
        raise_on_error=False,
        run_config={"ops": {"clo_workbook": {"config": {"max_workbook_bytes": 1000}}}},
    )
    assert _failure(result) == "WORKBOOK_TOO_LARGE"
    # …and the earlier successful run's rows are kept, its workbook row still `processed`, with the failure beside it.
    assert len(_rows(platform, tables.holdings, tenant)) == 5
    kept = _rows(platform, tables.workbooks, tenant).set_index("file_name").loc["good.xlsx"]
    assert (kept["status"], kept["error_code"], kept["last_error_code"]) == ("processed", None, "WORKBOOK_TOO_LARGE")
    assert "1000" in kept["last_error_message"]
    assert kept["last_failed_at"] is not None
    # A successful re-run clears it.
    assert lander.run(good_key).success
    cleared = _rows(platform, tables.workbooks, tenant).set_index("file_name").loc["good.xlsx"]
    assert (cleared["status"], cleared["last_error_code"]) == ("processed", None)
