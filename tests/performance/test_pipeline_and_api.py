"""Land files → sensor → the performance and P&L assets → dbt marts → the API, on the real platform."""

import datetime as dt
import json
import uuid
from decimal import Decimal

import dagster as dg
import pytest
import sqlalchemy as sa

from api.keys import create_api_key
from orchestration.core.resources import LandingZoneResource
from orchestration.core.schema import lineage
from orchestration.performance import tables
from tests.api.helpers import assert_envelope
from tests.performance.helpers import BY_INSTRUMENT, dumps, land, one_day_doc, two_day_attribution_doc

D = Decimal
SUFFIX = uuid.uuid4().hex[:6]
TENANT = f"perf-{SUFFIX}"
OTHER = f"perf-other-{SUFFIX}"

PNL_CSV = """portfolio_id,date,figure,amount,is_offsetting
PNL1,2023-11-15,interest_income,100.00,false
PNL1,2023-12-05,interest_income,50.00,false
PNL1,2023-12-20,management_fees,30.00,true
PNL1,2024-01-10,interest_income,70.00,false
PNL1,2024-01-10,interest_income,5.00,false
PNL1,2024-01-31,realized_gains,-20.00,false
PNL1,2024-02-01,management_fees,12.50,true
PNL1,2024-02-20,interest_income,40.00,false
"""


@pytest.fixture(scope="module")
def landed(platform, tmp_path_factory):
    """Two performance files (DECIMAL_STRICT and FLOAT64 with rounding) and a P&L file, built into the marts."""
    root = tmp_path_factory.mktemp("perf")
    zone = LandingZoneResource(landing_root=str(root / "landing"), archive_root=str(root / "archive"), settle_seconds=0)
    strict = two_day_attribution_doc("DECIMAL_STRICT")
    strict["config"]["periods"] = [{"type": "EXPLICIT", "name": "LEAPDAY", "start": "2024-02-29", "end": "2024-02-29"}]
    floats = two_day_attribution_doc("FLOAT64")
    floats["portfolio"]["id"] = "ATTR-F"
    floats["config"]["rounding"] = 6
    keys = {
        "strict": land(platform, zone, TENANT, "performance", "strict.json", dumps(strict).encode()),
        "float": land(platform, zone, TENANT, "performance", "float.json", dumps(floats).encode()),
        "pnl": land(platform, zone, TENANT, "pnl", "facts.csv", PNL_CSV.encode()),
        "keys": land(
            platform,
            zone,
            TENANT,
            "performance",
            "keys.json",
            json.dumps(one_day_doc("DECIMAL_STRICT", BY_INSTRUMENT)).encode(),
        ),
    }
    for _, outcome in keys.values():
        assert outcome.success
    platform.run_dbt("build", "--select", "+path:models/marts/performance", "+path:models/marts/pnl")
    return {"zone": zone, "keys": keys}


@pytest.fixture(scope="module")
def api(platform, landed, make_client):
    return (
        make_client(),
        {"X-API-Key": create_api_key(platform.warehouse, TENANT, "perf tests")},
        {"X-API-Key": create_api_key(platform.warehouse, OTHER, "perf tests other")},
    )


def test_assets_record_checks_metadata_and_a_plot(landed):
    _, outcome = landed["keys"]["strict"]
    checks = outcome.get_asset_check_evaluations()
    assert {c.asset_key.to_user_string() for c in checks if c.passed} >= {
        "performance/portfolio_returns",
        "performance/position_contributions",
        "performance/brinson_attribution",
    }
    events = [e.event_specific_data.materialization for e in outcome.get_asset_materialization_events()]
    materializations = {m.asset_key.to_user_string(): m.metadata for m in events}
    plot = materializations["performance/portfolio_returns"]["cumulative_return"].value
    assert plot.startswith("![cumulative return](data:image/png;base64,")
    residuals = materializations["performance/position_contributions"]["residuals"].value
    assert residuals["selection"] == {"metric_basis": "NET", "weighting": "BOD", "linking": "CARINO"}


def test_lineage_records_the_files_conventions_and_the_seed_signs(platform, landed):
    """Each performance table's lineage names the landed file and the conventions it was computed under."""
    key, _ = landed["keys"]["float"]
    query = sa.select(lineage).where(lineage.c.tenant_id == TENANT, lineage.c.partition_key == key)
    with platform.warehouse.connect() as conn:
        rows = {r.table_name: r for r in conn.execute(query)}
    assert {"analytics.performance_daily_returns", "analytics.performance_attribution"} <= set(rows)
    written = rows["analytics.performance_attribution"]
    assert written.asset_key == "performance/brinson_attribution"
    assert written.run_id is not None
    assert [s["file_name"] for s in written.sources] == ["float.json"]
    config = written.conventions["config"]
    assert (config["precision_mode"], config["rounding"], config["linking"]) == ("FLOAT64", 6, "CARINO")
    assert "fees and tx_costs are negative for a charge" in written.conventions["signs"]


def test_returns_are_served_as_decimal_strings_with_the_envelope(api):
    client, headers, _ = api
    response = client.get("/api/v1/performance/ATTR/returns", params={"basis": "GROSS"}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"data", "meta", "diagnostics"}
    assert body["meta"]["request_id"] == response.headers["X-Request-ID"]
    assert body["meta"]["as_of"] == "2024-02-29"
    assert body["meta"]["config"]["metric_basis"] == "GROSS"
    periods = {p["period"]: p for p in body["data"]["periods"]}
    assert list(periods) == ["ITD", "YTD", "QTD", "MTD", "WTD", "LEAPDAY"]
    # GROSS: 1008/1000 − 1 = 0.008 and 1028.16/1008 − 1 = 0.02 → ITD = 1.008 · 1.02 − 1 = 0.02816.
    assert D(periods["ITD"]["twr"]) == D("0.02816")
    assert D(periods["ITD"]["twr_bp"]) == D("281.6")
    assert D(periods["LEAPDAY"]["twr"]) == D("0.02")
    # YTD asks for 2024-01-01 but inception is 2024-02-28: clipped and flagged; 2 days, not annualized.
    assert periods["YTD"]["clipped_to_inception"] is True
    assert periods["YTD"]["start_date"] == "2024-02-28"
    assert periods["ITD"]["annualized_return"] is None
    assert periods["ITD"]["is_shorter_than_one_year"] is True
    assert any(n.startswith("clipped_to_inception: YTD") for n in body["diagnostics"]["notes"])
    one = client.get("/api/v1/performance/ATTR/returns", params={"period": "ITD"}, headers=headers).json()
    # NET equals GROSS here (no fees); Modified Dietz is published for ITD NET: no flows, so
    # (1028.16 − 1000)/1000 = 0.02816.
    assert D(one["data"]["periods"][0]["modified_dietz"]) == D("0.02816")
    pure = client.get("/api/v1/performance/ATTR/returns", params={"basis": "PURE_GROSS"}, headers=headers).json()
    # No fees or tx costs: PURE_GROSS = GROSS = 0.02816 (the seed-signed arithmetic is in test_fee_signs).
    assert pure["data"]["metric_basis"] == "PURE_GROSS"
    assert D(pure["data"]["periods"][0]["twr"]) == D("0.02816")


def test_float64_portfolios_answer_numbers_rounded_to_config_rounding(api):
    client, headers, _ = api
    body = client.get("/api/v1/performance/ATTR-F/daily", headers=headers).json()
    first = body["data"]["rows"][0]
    assert first["return_gross"] == 0.008
    assert isinstance(first["return_gross"], float)
    contribution = client.get(
        "/api/v1/performance/ATTR-F/contribution", params={"period": "ITD", "linking": "CARINO"}, headers=headers
    ).json()
    for line in contribution["data"]["lines"]:
        assert round(line["contribution"], 6) == line["contribution"]


def test_contribution_lines_and_groups(api):
    client, headers, _ = api
    params = {"period": "ITD", "basis": "GROSS", "weighting": "BOD", "linking": "NONE"}
    body = client.get("/api/v1/performance/ATTR/contribution", params=params, headers=headers).json()
    lines = {line["line"]: D(line["contribution"]) for line in body["data"]["lines"]}
    # T1: 12/1000 + 5.04/1008 = 0.012 + 0.005 = 0.017; E1: −4/1000 + 15.12/1008 = −0.004 + 0.015 = 0.011.
    # GROSS has no fee line. NONE does not link: Σ = 0.028 vs R = 0.02816 → residual (0.02816 − 0.028)·10⁴ = 1.6 bp.
    assert lines == {"T1": D("0.017"), "E1": D("0.011")}
    assert D(body["diagnostics"]["residuals"]["bp_difference"]) == D("1.6")
    assert "no_linking_applied" in body["diagnostics"]["notes"]
    grouped = client.get(
        "/api/v1/performance/ATTR/contribution", params={**params, "group_by": "sector"}, headers=headers
    ).json()
    assert {g["line"]: D(g["contribution"]) for g in grouped["data"]["lines"]} == {
        "Tech": D("0.017"),
        "Energy": D("0.011"),
    }
    carino = client.get(
        "/api/v1/performance/ATTR/contribution", params={"period": "ITD", "linking": "CARINO"}, headers=headers
    ).json()
    # NET adds __FEES__ (0 here); Carino lines sum to R, so the residual vanishes.
    assert "__FEES__" in {line["line"] for line in carino["data"]["lines"]}
    assert abs(D(carino["diagnostics"]["residuals"]["bp_difference"])) < D("1e-25")
    assert "carino_linking_applied" in carino["diagnostics"]["notes"]
    log = client.get(
        "/api/v1/performance/ATTR/contribution", params={**params, "linking": "LOG"}, headers=headers
    ).json()["diagnostics"]["residuals"]
    # LOG lines sum to ln(1 + R) = ln(1.02816): 0 bp against it, (0.02816 − ln 1.02816) × 10⁴ against R.
    assert abs(D(log["vs_log_bp_difference"])) < D("1e-25")
    assert abs(D(log["bp_difference"]) - (D("0.02816") - D("1.02816").ln()) * 10_000) < D("1e-25")


def test_attribution(api):
    client, headers, _ = api
    params = {"period": "ITD", "model": "BRINSON_FACHLER", "linking": "NONE", "group_by": "sector"}
    body = client.get("/api/v1/performance/ATTR/attribution", params=params, headers=headers).json()
    groups = {g["group"]: g for g in body["data"]["groups"]}
    # Worked in test_calculations: Tech allocation 0.0002 (day 1) + 0 (day 2); Energy selection
    # −0.008 + 0.015 = 0.007; Tech selection 0.005 − 0.005 = 0.
    assert D(groups["Tech"]["allocation"]) == D("0.0002")
    assert D(groups["Energy"]["selection"]) == D("0.007")
    assert D(groups["Tech"]["selection"]) == 0
    assert D(body["data"]["active_return"]) == D("0.01008")
    bhb = client.get(
        "/api/v1/performance/ATTR/attribution", params={**params, "model": "BRINSON_HOOD_BEEBOWER"}, headers=headers
    ).json()
    assert D(bhb["data"]["totals"]["total"]) == D(body["data"]["totals"]["total"])


def test_attribution_by_two_keys_in_the_order_asked_against_a_by_instrument_benchmark(api):
    client, headers, _ = api
    params = {"period": "ITD", "model": "BRINSON_FACHLER", "linking": "NONE", "group_by": "region,sector"}
    body = client.get("/api/v1/performance/KEYS/attribution", params=params, headers=headers).json()
    assert body["data"]["group_by"] == "region,sector"
    groups = {g["group"]: g for g in body["data"]["groups"]}
    # Worked in test_attribution_groups (there keyed sector|region): labels now follow the order asked.
    assert list(groups) == ["EU|Energy", "EU|Tech", "US|Energy", "US|Tech"]
    assert D(groups["US|Tech"]["allocation"]) == D("0.00035")
    assert D(groups["EU|Tech"]["selection"]) == D("-0.002")
    assert D(groups["EU|Energy"]["interaction"]) == D("0.002")
    assert D(body["data"]["totals"]["total"]) == D("0.0035")  # R − B = 0.01 − 0.0065
    one = client.get("/api/v1/performance/KEYS/attribution", params={**params, "group_by": "sector"}, headers=headers)
    assert D({g["group"]: g for g in one.json()["data"]["groups"]}["Tech"]["selection"]) == D("0.004")


def test_portfolios_and_tenant_isolation_and_errors(api):
    client, headers, other = api
    listed = client.get("/api/v1/performance/portfolios", headers=headers).json()
    assert [p["portfolio_id"] for p in listed["data"]] == ["ATTR", "ATTR-F", "KEYS"]
    assert client.get("/api/v1/performance/portfolios", headers=other).json()["data"] == []
    assert_envelope(client.get("/api/v1/performance/ATTR/returns", headers=other), 404, "RESOURCE_NOT_FOUND")
    missing = client.get("/api/v1/performance/ATTR/returns", params={"period": "NOPE"}, headers=headers)
    assert "LEAPDAY" in assert_envelope(missing, 404, "RESOURCE_NOT_FOUND")["message"]
    bad_key = client.get("/api/v1/performance/ATTR/contribution", params={"group_by": "colour"}, headers=headers)
    assert_envelope(bad_key, 422, "VALIDATION_ERROR")
    bad_enum = client.get("/api/v1/performance/ATTR/contribution", params={"weighting": "EQUAL"}, headers=headers)
    assert_envelope(bad_enum, 422, "VALIDATION_ERROR")


def test_a_bad_file_fails_its_partition_typed_without_retry(platform, landed):
    doc = two_day_attribution_doc()
    doc["portfolio"]["id"] = "BROKEN"
    doc["series"][1]["begin_mv"] = 999  # previous end_mv is 1008
    key, outcome = land(
        platform, landed["zone"], TENANT, "performance", "broken.json", dumps(doc).encode(), raise_on_error=False
    )
    assert not outcome.success
    failures = [e for e in outcome.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert len(failures) == 1
    data = failures[0].step_failure_data
    assert data.user_failure_data.metadata["error_code"].value == "PERFORMANCE_DISCONTINUITY"
    assert "2024-02-29" in data.error.message
    assert not [e for e in outcome.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    with platform.warehouse.connect() as conn:
        count = conn.execute(
            sa.select(sa.func.count())
            .select_from(tables.performance_portfolios)
            .where(tables.performance_portfolios.c.partition_key == key)
        ).scalar_one()
    assert count == 0


# ---- P&L ---------------------------------------------------------------------------------------------


def _pnl(client, headers, **params):
    return client.get("/api/v1/portfolio/profitloss", params=params, headers=headers)


def test_profit_and_loss_across_a_year_end(api):
    client, headers, _ = api
    params = {"portfolioId": "PNL1", "startDate": "2023-12-01", "endDate": "2024-02-10"}
    response = _pnl(client, headers, **params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["request"] == {"path": "/api/v1/portfolio/profitloss", "parameters": params}
    assert [c["id"] for c in body["columns"]] == ["2023-12", "2024-01", "2024-02", "2023-Q4", "2024-Q1", "MTD", "YTD"]
    quarter = next(c for c in body["columns"] if c["id"] == "2023-Q4")
    # A quarter column is the calendar quarter up to endDate: startDate (1 Dec) does not cut Q4 short.
    assert (quarter["startDate"], quarter["endDate"]) == ("2023-10-01", "2023-12-31")
    rows = {(r["figure"], r["isOffsetting"]): r["values"] for r in body["rows"]}
    # interest_income: Dec 50, Jan 70 + 5 = 75, Feb (1–10 Feb) 0 (20 Feb is after endDate); Q4 is the whole
    # quarter: 100 (15 Nov) + 50 = 150; Q1 (1 Jan–10 Feb) 75; MTD (1–10 Feb) 0; YTD (1 Jan–10 Feb) 75.
    assert rows[("interest_income", False)] == {
        "2023-12": 50.0, "2024-01": 75.0, "2024-02": 0.0, "2023-Q4": 150.0, "2024-Q1": 75.0, "MTD": 0.0, "YTD": 75.0,
    }  # fmt: skip
    assert rows[("management_fees", True)]["2024-02"] == 12.5
    assert rows[("realized_gains", False)]["YTD"] == -20.0
    # Totals subtract offsetting figures: Dec 50 − 30 = 20; Jan 75 − 20 = 55; Feb −12.5; Q4 150 − 30 = 120;
    # Q1 75 − 20 − 12.5 = 42.5; MTD −12.5; YTD 42.5.
    assert body["totals"] == {
        "2023-12": 20.0, "2024-01": 55.0, "2024-02": -12.5, "2023-Q4": 120.0, "2024-Q1": 42.5, "MTD": -12.5,
        "YTD": 42.5,
    }  # fmt: skip


def test_profit_and_loss_columns_are_selectable(api):
    """Seed 003's selectable columns: `month,ytd` keeps those kinds only, with the amounts of the full answer."""
    client, headers, _ = api
    params = {"portfolioId": "PNL1", "startDate": "2023-12-01", "endDate": "2024-02-10"}
    body = _pnl(client, headers, **params, columns="ytd,month").json()
    # The months Dec, Jan, Feb, then YTD, in the response's own order (not the order asked).
    assert [c["id"] for c in body["columns"]] == ["2023-12", "2024-01", "2024-02", "YTD"]
    rows = {(r["figure"], r["isOffsetting"]): r["values"] for r in body["rows"]}
    # interest_income as worked in the year-end test: Dec 50, Jan 75, Feb 0, YTD 75.
    assert rows[("interest_income", False)] == {"2023-12": 50.0, "2024-01": 75.0, "2024-02": 0.0, "YTD": 75.0}
    assert body["totals"] == {"2023-12": 20.0, "2024-01": 55.0, "2024-02": -12.5, "YTD": 42.5}
    only_mtd = _pnl(client, headers, **params, columns="mtd").json()
    assert [c["id"] for c in only_mtd["columns"]] == ["MTD"]
    assert only_mtd["totals"] == {"MTD": -12.5}
    for bad in ("week", "month,month", ""):
        error = assert_envelope(_pnl(client, headers, **params, columns=bad), 400, "VALIDATION_ERROR")
        assert error["details"][0]["field"] == "columns"


@pytest.mark.parametrize(
    ("params", "status", "code", "mentions"),
    [
        ({"startDate": "2024-01-01", "endDate": "2024-02-01"}, 400, "VALIDATION_ERROR", "portfolioId"),
        ({"portfolioId": "PNL1", "endDate": "2024-02-01"}, 400, "VALIDATION_ERROR", "startDate"),
        ({"portfolioId": "PNL1", "startDate": "2024-01-01"}, 400, "VALIDATION_ERROR", "endDate"),
        ({"portfolioId": "PNL1", "startDate": "20240101", "endDate": "2024-02-01"}, 400, "VALIDATION_ERROR", "YYYY"),
        ({"portfolioId": "PNL1", "startDate": "2024-01-01", "endDate": "2024-02-30"}, 400, "VALIDATION_ERROR", "valid"),
        ({"portfolioId": "PNL1", "startDate": "2024-03-01", "endDate": "2024-02-01"}, 400, "VALIDATION_ERROR", "after"),
        (
            {"portfolioId": "NOPE", "startDate": "2024-01-01", "endDate": "2024-02-01"},
            404,
            "RESOURCE_NOT_FOUND",
            "NOPE",
        ),
    ],
)
def test_profit_and_loss_errors(api, params, status, code, mentions):
    client, headers, _ = api
    error = assert_envelope(_pnl(client, headers, **params), status, code)
    assert mentions in error["message"]


def test_profit_and_loss_parameters_are_declared_required_and_the_range_is_bounded(api):
    client, headers, _ = api
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/portfolio/profitloss"]["get"]
    declared = {p["name"]: p["required"] for p in operation["parameters"] if p["in"] == "query"}
    assert declared == {"portfolioId": True, "startDate": True, "endDate": True, "columns": False}
    assert {"400", "404", "422"} <= set(operation["responses"])
    # 1 Jan 2014 – 1 Jan 2024 is 3,652 days: inside the ten-year bound; a day over 3,660 is not.
    inside = _pnl(client, headers, portfolioId="PNL1", startDate="2014-01-01", endDate="2024-01-01")
    assert inside.status_code == 200, inside.text
    error = assert_envelope(
        _pnl(client, headers, portfolioId="PNL1", startDate="1900-01-01", endDate="2024-02-01"), 422, "VALIDATION_ERROR"
    )
    assert error["details"][0]["code"] == "RANGE_TOO_LONG"
    eleven = _pnl(client, headers, portfolioId="PNL1", startDate="2024-01-01x", endDate="2024-02-01")
    too_long = assert_envelope(eleven, 400, "VALIDATION_ERROR")
    assert too_long["details"][0]["field"] == "startDate"


def test_profit_and_loss_future_end_date_and_other_tenant_are_404(api):
    client, headers, other = api
    future = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)).isoformat()
    error = assert_envelope(
        _pnl(client, headers, portfolioId="PNL1", startDate="2024-01-01", endDate=future), 404, "RESOURCE_NOT_FOUND"
    )
    assert "future" in error["message"]
    params = {"portfolioId": "PNL1", "startDate": "2024-01-01", "endDate": "2024-02-01"}
    assert_envelope(_pnl(client, other, **params), 404, "RESOURCE_NOT_FOUND")


def test_a_bad_pnl_file_fails_typed(platform, landed):
    bad = b"portfolio_id,date,figure,amount,is_offsetting\nPNL2,2024-01-05,interest_income,twelve,false\n"
    _, outcome = land(platform, landed["zone"], TENANT, "pnl", "bad.csv", bad, raise_on_error=False)
    assert not outcome.success
    (failure,) = [e for e in outcome.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert failure.step_failure_data.user_failure_data.metadata["error_code"].value == "PNL_INVALID_VALUE"
    assert "line 2" in failure.step_failure_data.error.message


def test_demo_generator_lands_files_for_both_tenants(tmp_path):
    from orchestration.performance.demo import write_demo
    from orchestration.performance.inputs import parse_performance

    landed = write_demo(tmp_path / "landing", tmp_path / "scratch")
    assert sorted(p.relative_to(tmp_path / "landing").as_posix() for p in landed) == [
        "acme/performance/acme_performance.json",
        "acme/pnl/acme_pnl_facts.csv",
        "globex/performance/globex_performance.json",
        "globex/pnl/globex_pnl_facts.csv",
    ]
    inp = parse_performance(landed[0].read_bytes())
    dates = inp.dates
    assert len(dates) == 300
    assert dt.date(2024, 2, 29) in dates
    assert dates[0].year < dates[-1].year
    assert json.loads(landed[2].read_text())["config"]["precision_mode"] == "FLOAT64"
    assert write_demo(tmp_path / "landing2", tmp_path / "scratch2")[0].read_bytes() == landed[0].read_bytes()
