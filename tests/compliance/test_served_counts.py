"""The compliance marts and routes on hand-made rows: current run per report date, counts equal the lists.

Four runs of one deal, written straight into the analytics tables the compliance asset writes (numbers chosen
by hand, so every expected figure below is worked out from these rows, not from the code under test):

| run | workbook | report date | executed   | oc_senior (min, trig 115) | ccc_bucket (max, trig 7.5) | warf_test (max) |
|-----|----------|-------------|------------|---------------------------|----------------------------|-----------------|
| R1  | W1       | 2025-10-31  | 2025-11-01 | 120.0 passed              | 7.2 warning                | 2800 passed     |
| R2  | W2       | 2025-11-30  | 2025-12-01 | 121.0 passed              | 7.9 failed                 | 2900 warning    |
| R3  | W3       | 2025-10-31  | 2025-12-05 | 110.0 failed              | 8.0 failed                 | 2950 warning    |
| R4  | W4       | 2025-12-31  | 2026-01-01 | 119.0 passed              | 6.0 passed                 | 2700 passed     |

R3 re-runs 2025-10-31 after R1, so R3 is that date's current run and R1 is served nowhere. R2's stored summary
JSON is deliberately stale: the served counts must come from the test list itself.
"""

from __future__ import annotations

import datetime as dt
import uuid
import warnings
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa

from api.keys import create_api_key
from api.main import create_app
from orchestration.compliance import tables
from tests.api.helpers import api_settings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

DEAL = "Hand Deal"
D1, D2, D3 = dt.date(2025, 10, 31), dt.date(2025, 11, 30), dt.date(2025, 12, 31)
TESTS = (  # id, direction, trigger, target
    ("oc_senior", "min", 115.0, 118.0),
    ("ccc_bucket", "max", 7.5, 7.0),
    ("warf_test", "max", 3000.0, 2850.0),
)
RUNS = {  # run: (report date, executed day, [(value, status) per test])
    "R1": (D1, dt.date(2025, 11, 1), [(120.0, "passed"), (7.2, "warning"), (2800.0, "passed")]),
    "R2": (D2, dt.date(2025, 12, 1), [(121.0, "passed"), (7.9, "failed"), (2900.0, "warning")]),
    "R3": (D1, dt.date(2025, 12, 5), [(110.0, "failed"), (8.0, "failed"), (2950.0, "warning")]),
    "R4": (D3, dt.date(2026, 1, 1), [(119.0, "passed"), (6.0, "passed"), (2700.0, "passed")]),
}


def _counts(statuses: list[str]) -> dict[str, int]:
    c = Counter(statuses)
    return {"total_tests": len(statuses), "passed": c["passed"], "failed": c["failed"], "warning": c["warning"]}


def _test(test_id: str, status: str, value: float) -> dict[str, Any]:
    return {"id": test_id, "name": test_id.upper(), "category": "hand", "direction": "max", "unit": "x",
            "status": status, "current_value": value, "trigger_level": 1.0, "target_level": 1.0, "cushion": None,
            "cushion_pct": None}  # fmt: skip


def _scenario_rows(tenant: str, scenario_id: str, workbook_id: str) -> list[dict[str, Any]]:
    """v1 failed validation (two listed changes, no trades); v2 calculated on W4 with four scenario tests."""
    landed = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    changes = {"changes": [{"type": "remove_position"}, {"type": "remove_position"}]}
    scenario = [_test("oc_senior", "passed", 119.0), _test("ccc_bucket", "warning", 7.3),
                _test("warf_test", "failed", 3100.0), _test("diversity_test", "failed", 40.0)]  # fmt: skip
    base = [
        _test("oc_senior", "passed", 119.0),
        _test("ccc_bucket", "passed", 6.0),
        _test("warf_test", "passed", 2700.0),
    ]
    counts = {"base": {"passed": 3, "failed": 0, "warning": 0}, "scenario": {"passed": 1, "failed": 2, "warning": 1}}
    comparison = {"workbook_id": workbook_id, "calculated_at": "2026-01-02T10:00:00Z",
                  "comparison": {"metrics": [], "compliance": counts | {"changes": []}}}  # fmt: skip
    common = {"tenant_id": tenant, "scenario_id": scenario_id, "name": "Hand", "description": "",
              "file_name": "hand.json", "document": changes}  # fmt: skip
    return [
        common | {"partition_key": f"{tenant}.s1", "version": 1, "workbook_id": None, "status": "failed",
                  "errors": [{"field": "changes[0]", "message": "bad", "code": "BAD"}], "comparison": None,
                  "results": None, "calculated_at": None, "landed_at": landed},
        common | {"partition_key": f"{tenant}.s2", "version": 2, "workbook_id": workbook_id, "status": "calculated",
                  "errors": [], "comparison": comparison, "results": {"tests": scenario, "base_tests": base},
                  "calculated_at": landed, "landed_at": landed},
    ]  # fmt: skip


def _trade_rows(tenant: str, scenario_id: str) -> list[dict[str, Any]]:
    return [
        {"tenant_id": tenant, "partition_key": f"{tenant}.s2", "scenario_id": scenario_id, "version": 2,
         "order_index": i, "change_type": "remove_position", "target_cusip": f"C{i}", "change_data": {"i": i},
         "par_delta": -1000.0 * (i + 1)}
        for i in range(2)
    ]  # fmt: skip


def _firings(tenant: str, workbook_id: str) -> list[dict[str, Any]]:
    """oc-senior-warning fired twice on the hand deal; ccc-bucket-critical once on another deal; one custom rule."""
    rows = [("oc-senior-warning", DEAL, 2), ("oc-senior-warning", DEAL, 3), ("ccc-bucket-critical", "Other", 4),
            ("custom-rule", DEAL, 1)]  # fmt: skip
    return [
        {"alert_event_id": str(uuid.uuid4()), "tenant_id": tenant, "rule_id": rule, "rule_name": rule,
         "workbook_id": workbook_id, "partition_key": f"{tenant}.r4", "deal_id": deal, "metric": "oc_senior",
         "operator": "less_than", "threshold": 120, "value": 119, "severity": "warning",
         "deliveries": [{"channel": "email", "status": "skipped", "attempts": 0, "extra": "ignored"}],
         "fired_at": dt.datetime(2026, 1, day, tzinfo=dt.UTC)}
        for rule, deal, day in rows
    ]  # fmt: skip


@pytest.fixture(scope="module")
def hand(platform: Any) -> Any:
    tenant = f"cmph-{uuid.uuid4().hex[:6]}"
    wb = {run: str(uuid.uuid4()) for run in RUNS}
    results, metrics = [], []
    for run, (report_date, day, values) in RUNS.items():
        executed = dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)
        key = f"{tenant}.{run.lower()}"
        for order, ((test_id, direction, trigger, target), (value, status)) in enumerate(
            zip(TESTS, values, strict=True)
        ):
            cushion = value - trigger if direction == "min" else trigger - value
            results.append(
                {"tenant_id": tenant, "partition_key": key, "workbook_id": wb[run], "report_date": report_date,
                 "deal_id": DEAL, "test_id": test_id, "sort_order": order, "name": test_id.upper(),
                 "category": "hand", "direction": direction, "unit": "x", "status": status, "current_value": value,
                 "trigger_level": trigger, "target_level": target, "cushion": cushion,
                 "cushion_pct": cushion / trigger * 100, "trend": "stable", "executed_at": executed}
            )  # fmt: skip
        stored = {"total_tests": 99, "passed": 99, "failed": 0, "warning": 0} if run == "R2" else {}
        metrics.append(
            {"tenant_id": tenant, "partition_key": key, "workbook_id": wb[run], "report_date": report_date,
             "deal_id": DEAL, "summary": stored, "metrics": {"ccc_par": 1000 + int(run[1]), "ccc_excess": 5, "warf": 1},
             "deal": {"deal_id": DEAL}, "executed_at": executed}
        )  # fmt: skip
    scenario_id = str(uuid.uuid4())
    with platform.warehouse.begin() as conn:
        conn.execute(sa.insert(tables.compliance_results), results)
        conn.execute(sa.insert(tables.compliance_metrics), metrics)
        conn.execute(sa.insert(tables.scenarios), _scenario_rows(tenant, scenario_id, wb["R4"]))
        conn.execute(sa.insert(tables.scenario_changes), _trade_rows(tenant, scenario_id))
        conn.execute(sa.insert(tables.alert_history), _firings(tenant, wb["R4"]))
    platform.run_dbt("build", "--select", "staging.compliance", "marts.compliance")
    client = TestClient(create_app(api_settings(), instance=platform.instance))
    client.__enter__()
    headers = {"X-API-Key": create_api_key(platform.warehouse, tenant, "hand-made compliance")}
    yield {
        "tenant": tenant,
        "wb": wb,
        "scenario": scenario_id,
        "get": lambda path: client.get(f"/api/v1{path}", headers=headers),
    }
    client.__exit__(None, None, None)


def _values(tests: list[dict[str, Any]]) -> dict[str, tuple[float, str]]:
    return {t["id"]: (t["current_value"], t["status"]) for t in tests}


def test_served_summary_counts_equal_the_walked_test_list(hand: Any) -> None:
    """For every workbook the served counts equal the counts of the list served beside them (and by hand)."""
    by_hand = {  # the current run each workbook's routes serve, and its counts from the table above
        "R1": ("R3", {"total_tests": 3, "passed": 0, "failed": 2, "warning": 1}),
        "R2": ("R2", {"total_tests": 3, "passed": 1, "failed": 1, "warning": 1}),
        "R3": ("R3", {"total_tests": 3, "passed": 0, "failed": 2, "warning": 1}),
        "R4": ("R4", {"total_tests": 3, "passed": 3, "failed": 0, "warning": 0}),
    }
    for run, (served_run, counts) in by_hand.items():
        body = hand["get"](f"/workbooks/{hand['wb'][run]}/compliance").json()
        assert body["workbook_id"] == hand["wb"][served_run]
        walked = [t["status"] for t in body["tests"]]
        assert body["summary"] == _counts(walked) == counts
        assert [t["id"] for t in body["tests"]] == [t[0] for t in TESTS]
    history = hand["get"](f"/workbooks/{hand['wb']['R4']}/compliance/history").json()
    for entry in history["data"]:
        assert entry["summary"] == _counts([p["status"] for p in entry["tests"].values()])
    assert [e["summary"]["failed"] for e in history["data"]] == [2, 1, 0]


def test_a_rerun_for_the_same_date_replaces_the_first_in_every_route(hand: Any) -> None:
    wb, get = hand["wb"], hand["get"]
    r3 = {"oc_senior": (110.0, "failed"), "ccc_bucket": (8.0, "failed"), "warf_test": (2950.0, "warning")}
    # the superseded workbook's own routes serve R3
    assert _values(get(f"/workbooks/{wb['R1']}/compliance").json()["tests"]) == r3
    detail = get(f"/workbooks/{wb['R1']}/compliance/ccc_bucket").json()
    assert (detail["workbook_id"], detail["current_value"]) == (wb["R3"], 8.0)
    assert detail["intermediates"] == {"ccc_par": 1003, "ccc_excess": 5}  # R3's stored metrics
    assert get(f"/workbooks/{wb['R1']}/compliance/trend").json()["workbook_id"] == wb["R3"]
    # the later workbooks' history, trend and per-test history see R3 on 2025-10-31, never R1
    history = get(f"/workbooks/{wb['R4']}/compliance/history").json()
    assert [(e["report_date"], e["workbook_id"]) for e in history["data"]] == [
        ("2025-10-31", wb["R3"]),
        ("2025-11-30", wb["R2"]),
        ("2025-12-31", wb["R4"]),
    ]
    assert history["pagination"] == {"cursor": None, "has_more": False, "total_count": 3}
    assert {k: (p["value"], p["status"]) for k, p in history["data"][0]["tests"].items()} == r3
    body = get(f"/workbooks/{wb['R4']}/compliance").json()
    oc = next(t for t in body["tests"] if t["id"] == "oc_senior")
    assert [(p["date"], p["value"]) for p in oc["history"]] == [
        ("2025-12-31", 119.0),
        ("2025-11-30", 121.0),
        ("2025-10-31", 110.0),
    ]
    trend = get(f"/workbooks/{wb['R4']}/compliance/trend").json()
    oc_trend = next(t for t in trend["tests"] if t["id"] == "oc_senior")
    assert [p["value"] for p in oc_trend["values"]] == [110.0, 121.0, 119.0]
    assert oc_trend["dead_band"] == pytest.approx(115.0 * 0.5 / 100)
    assert [p["value"] for p in next(t for t in get(f"/workbooks/{wb['R2']}/compliance/trend").json()["tests"]
                                     if t["id"] == "warf_test")["values"]] == [2950.0, 2900.0]  # fmt: skip


def test_history_pages_by_report_date(hand: Any) -> None:
    wb, get = hand["wb"], hand["get"]
    first = get(f"/workbooks/{wb['R4']}/compliance/history?limit=2").json()
    assert [e["report_date"] for e in first["data"]] == ["2025-10-31", "2025-11-30"]
    assert (first["pagination"]["has_more"], first["pagination"]["total_count"]) == (True, 3)
    rest = get(f"/workbooks/{wb['R4']}/compliance/history?limit=2&cursor={first['pagination']['cursor']}").json()
    assert [e["report_date"] for e in rest["data"]] == ["2025-12-31"]
    newest = get(f"/workbooks/{wb['R4']}/compliance/history?limit=1&order=desc").json()
    assert [e["report_date"] for e in newest["data"]] == ["2025-12-31"]
    # a workbook's history stops at its own date
    assert get(f"/workbooks/{wb['R2']}/compliance/history").json()["pagination"]["total_count"] == 2


def test_the_marts_keep_only_current_runs_and_their_previous_values(platform: Any, hand: Any) -> None:
    with platform.warehouse.connect() as conn:
        tests = conn.execute(
            sa.text(
                "select workbook_id, test_id, previous_value, previous_status, status_changed "
                "from marts.clo_compliance_tests where tenant_id = :t order by report_date, sort_order"
            ),
            {"t": hand["tenant"]},
        ).all()
        summary = dict(
            conn.execute(
                sa.text("select workbook_id, is_current from marts.clo_compliance_summary where tenant_id = :t"),
                {"t": hand["tenant"]},
            ).all()
        )
    wb = hand["wb"]
    assert {row.workbook_id for row in tests} == {wb["R2"], wb["R3"], wb["R4"]}
    assert summary == {wb["R1"]: False, wb["R2"]: True, wb["R3"]: True, wb["R4"]: True}
    r2_ccc = next(r for r in tests if r.workbook_id == wb["R2"] and r.test_id == "ccc_bucket")
    # previous = R3's 8.0 failed (R1's 7.2 warning would have made it a change)
    assert (float(r2_ccc.previous_value), r2_ccc.previous_status, r2_ccc.status_changed) == (8.0, "failed", False)


def test_scenario_counts_equal_the_scenario_test_list(hand: Any) -> None:
    get, sid, wb = hand["get"], hand["scenario"], hand["wb"]
    detail = get(f"/scenarios/{sid}").json()
    assert (detail["version"], detail["change_count"]) == (2, 2)
    impact = get(f"/scenarios/{sid}/compliance").json()
    walked = [t["scenario_status"] for t in impact["tests"]]
    assert impact["summary"] == detail["summary"] == _counts(walked)
    assert impact["summary"] == {"total_tests": 4, "passed": 1, "failed": 2, "warning": 1}
    assert [(t["id"], t["base_status"], t["base_value"], t["scenario_value"]) for t in impact["tests"]] == [
        ("oc_senior", "passed", 119.0, 119.0),
        ("ccc_bucket", "passed", 6.0, 7.3),
        ("warf_test", "passed", 2700.0, 3100.0),
        ("diversity_test", None, None, 40.0),
    ]
    compare = get(f"/scenarios/{sid}/compare").json()["comparison"]["compliance"]
    assert compare["scenario"] == {k: v for k, v in impact["summary"].items() if k != "total_tests"}
    versions = get(f"/scenarios/{sid}/versions").json()["data"]
    assert [(v["version"], v["status"], v["change_count"], len(v["errors"])) for v in versions] == [
        (1, "failed", 2, 1),
        (2, "calculated", 2, 0),
    ]
    trades = get(f"/scenarios/{sid}/trades?limit=1").json()
    assert [(t["id"], t["par_delta"]) for t in trades["data"]] == [(f"{sid}:2:0", -1000.0)]
    assert trades["pagination"]["total_count"] == 2
    listing = get(f"/workbooks/{wb['R4']}/scenarios").json()["data"]
    assert [(s["id"], s["version"], s["summary"]) for s in listing] == [(sid, 2, impact["summary"])]
    assert get(f"/workbooks/{wb['R2']}/scenarios").json()["data"] == []
    assert get(f"/workbooks/{uuid.uuid4()}/scenarios").status_code == 404


def test_alert_last_firing_and_history(hand: Any) -> None:
    get, wb = hand["get"], hand["wb"]
    configs = {c["id"]: c["last_fired_at"] for c in get(f"/workbooks/{wb['R4']}/alerts").json()["data"]}
    assert configs == {"oc-senior-warning": "2026-01-03T00:00:00Z", "ccc-bucket-critical": None}
    history = get("/alerts/history").json()
    assert history["pagination"]["total_count"] == 4
    assert [h["fired_at"][:10] for h in history["data"]] == ["2026-01-04", "2026-01-03", "2026-01-02", "2026-01-01"]
    assert history["data"][0]["deliveries"] == [
        {"channel": "email", "status": "skipped", "attempts": 0, "http_status": None, "error": None}
    ]
    assert get("/alerts/oc-senior-warning/history").json()["pagination"]["total_count"] == 2
    assert get("/alerts/custom-rule/history").json()["pagination"]["total_count"] == 1
    assert get("/alerts/never-configured/history").status_code == 404
