"""Landed files → parsed records → evaluations, on a real Postgres and Dagster instance."""

import json

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from orchestration.core.schema import lineage
from orchestration.covenants import tables
from tests.covenants.test_inputs import COVENANT, COVENANT_ID, DEAL, MEASUREMENTS


def _rows(platform, table, tenant, order_by):
    query = sa.select(table).where(table.c.tenant_id == tenant).order_by(*(table.c[c] for c in order_by))
    with platform.warehouse.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all())


def _sources(platform, tenant: str, key: str) -> tuple[str, set[str]]:
    """The files the evaluations of one partition were worked from: its own, and the others."""
    query = sa.select(lineage.c.sources).where(
        lineage.c.table_name == tables.evaluations.fullname,
        lineage.c.tenant_id == tenant,
        lineage.c.partition_key == key,
    )
    with platform.warehouse.connect() as conn:
        sources = conn.execute(query).scalar_one()
    own, *others = sources
    return own["file_name"], {s["file_name"] for s in others}


def test_files_become_records_and_evaluations_and_later_files_keep_history(platform, lander, tenant):
    deals_key = lander.land(tenant, "deals.json", json.dumps({"deals": [DEAL]}))
    assert lander.run(deals_key).success
    covenants_key = lander.land(tenant, "covenants.json", json.dumps([COVENANT]))
    assert lander.run(covenants_key).success
    q1_key = lander.land(tenant, "q1.json", json.dumps(MEASUREMENTS))
    result = lander.run(q1_key)
    assert result.success
    assert all(check.passed for check in result.get_asset_check_evaluations())

    evaluations = _rows(platform, tables.evaluations, tenant, ["evaluated_at"])
    # 1,000,000,000 / 300,000,000 = 3.333 → 333; ≤ 450 with 117 of headroom > 10 → OK
    assert evaluations[["covenant_id", "calculated_value_scaled", "status", "partition_key"]].to_dict("records") == [
        {"covenant_id": COVENANT_ID, "calculated_value_scaled": 333, "status": "OK", "partition_key": q1_key}
    ]

    # A restatement: the same deal, period and metric with a new value updates it and keeps the old one.
    restated = {"measurements": [{**MEASUREMENTS["measurements"][0], "metric_value_scaled": 1_500_000_000}]}
    restated_key = lander.land(tenant, "q1-restated.json", json.dumps(restated))
    assert lander.run(restated_key).success
    evaluations = _rows(platform, tables.evaluations, tenant, ["evaluated_at"])
    # 1,500,000,000 / 300,000,000 = 5.0 → 500 > 450 → BREACH; the first evaluation is still there
    assert list(evaluations["calculated_value_scaled"]) == [333, 500]
    assert list(evaluations["status"]) == ["OK", "BREACH"]
    # Its lineage names every file the evaluation read: the restatement, the other metric's file, the covenant.
    assert _sources(platform, tenant, restated_key) == ("q1-restated.json", {"covenants.json", "q1.json"})
    debt = _rows(platform, tables.measurements, tenant, ["landed_at"])
    debt = debt[debt["metric_name"] == "total_debt"]
    assert list(debt["metric_value_scaled"]) == [1_000_000_000, 1_500_000_000]

    # A later covenants file with a tighter threshold re-evaluates every period of that covenant.
    tighter_key = lander.land(tenant, "covenants-v2.json", json.dumps([{**COVENANT, "threshold_value_scaled": 600}]))
    assert lander.run(tighter_key).success
    latest = _rows(platform, tables.evaluations, tenant, ["evaluated_at"]).iloc[-1]
    # 500 ≤ 600 with 100 of headroom > 10 → OK
    assert (latest["calculated_value_scaled"], latest["threshold_value_scaled"], latest["status"]) == (500, 600, "OK")

    assert _sources(platform, tenant, tighter_key) == ("covenants-v2.json", {"q1-restated.json", "q1.json"})

    # Re-running a partition gives the same rows.
    before = _rows(platform, tables.evaluations, tenant, ["evaluated_at"])
    assert lander.run(q1_key).success
    after = _rows(platform, tables.evaluations, tenant, ["evaluated_at"])
    pd.testing.assert_frame_equal(before, after)


def test_a_bad_file_fails_only_its_partition_typed_and_without_retry(platform, lander, tenant):
    good_key = lander.land(tenant, "deals.json", json.dumps({"deals": [DEAL], **MEASUREMENTS}))
    assert lander.run(good_key).success
    unknown = "0f0e0d0c-0b0a-4908-8706-050403020100"
    orphan = {"measurements": [{**MEASUREMENTS["measurements"][0], "deal_id": {"value": unknown}}]}
    bad_key = lander.land(tenant, "orphan.json", json.dumps(orphan))
    result = lander.run(bad_key, raise_on_error=False)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    data = failure.step_failure_data
    assert data.user_failure_data.metadata["error_code"].value == "UNKNOWN_DEAL"
    assert unknown in data.error.message
    assert not any(e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY for e in result.all_events)
    # The good partition's rows are untouched; the bad one wrote nothing.
    measurements = _rows(platform, tables.measurements, tenant, ["partition_key"])
    assert set(measurements["partition_key"]) == {good_key}

    broken_key = lander.land(tenant, "broken.csv", "id,name\nnot-a-uuid,x\n")
    result = lander.run(broken_key, raise_on_error=False)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert failure.step_failure_data.user_failure_data.metadata["error_code"].value == "VALIDATION_ERROR"


def test_measurements_that_landed_before_their_deals_succeed_on_rerun(platform, lander, tenant):
    """UNKNOWN_DEAL is a missing file, not bad bytes: once the deals land, re-running the same partition works."""
    early_key = lander.land(tenant, "q1.json", json.dumps(MEASUREMENTS))
    result = lander.run(early_key, raise_on_error=False)
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert failure.step_failure_data.user_failure_data.metadata["error_code"].value == "UNKNOWN_DEAL"
    assert "rerun --failed" in failure.step_failure_data.error.message

    deals_key = lander.land(tenant, "deals.json", json.dumps({"deals": [DEAL], "covenants": [COVENANT]}))
    assert lander.run(deals_key).success
    assert lander.run(early_key).success
    evaluations = _rows(platform, tables.evaluations, tenant, ["evaluated_at"])
    deals = _rows(platform, tables.deals, tenant, ["landed_at"])
    # Read as of the deals' landing: 1,000,000,000 / 300,000,000 = 3.333 → 333 ≤ 450 → OK
    assert evaluations[["partition_key", "calculated_value_scaled", "status"]].to_dict("records") == [
        {"partition_key": early_key, "calculated_value_scaled": 333, "status": "OK"}
    ]
    assert evaluations["evaluated_at"].iloc[0] == deals["landed_at"].iloc[0]
    measurements = _rows(platform, tables.measurements, tenant, ["partition_key"])
    assert set(measurements["partition_key"]) == {early_key}
    assert (measurements["landed_at"] < deals["landed_at"].iloc[0]).all()  # the rows keep their own landing time
