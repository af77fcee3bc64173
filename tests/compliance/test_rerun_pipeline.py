"""End to end: a corrected workbook for a report date already served replaces the first run in every route.

Real landings and real compliance runs (the assets of issue 3/4); the compliance marts are views, so after one
dbt build at the start no dbt run is needed between the landings and the API.
"""

from __future__ import annotations

import uuid
import warnings
from typing import Any

import pytest

from api.keys import create_api_key
from api.main import create_app
from orchestration.clo import demo as clo_demo
from orchestration.clo.assets import clo_file_assets
from orchestration.compliance.assets import compliance_file_assets
from orchestration.compliance.pipeline import load_workbook
from tests.api.helpers import api_settings
from tests.compliance.test_pipeline import Lander, _results

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def rerun(platform: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """W1 (December), W2 (January), then W1' (a corrected December workbook with other holdings), in that order."""
    platform.run_dbt("build", "--select", "staging.compliance", "marts.compliance")
    engine = platform.warehouse
    tenant = f"cmpr-{uuid.uuid4().hex[:6]}"
    lander = Lander(platform, tmp_path_factory.mktemp("rerun"))
    first = clo_demo.generate_holdings(n_holdings=60)
    books = [
        (clo_demo.REPORT_DATES[0], first),
        (clo_demo.REPORT_DATES[1], clo_demo.next_month(first)),
        (clo_demo.REPORT_DATES[0], clo_demo.generate_holdings(seed=11, n_holdings=60)),  # the correction
    ]
    keys = []
    for i, (as_of, holdings) in enumerate(books):
        content = clo_demo.workbook_bytes(holdings, as_of)
        key = lander.land(tenant, "clo", f"clo_{i}.xlsx", content, clo_demo.sidecar(as_of))
        assert lander.run(key, [*clo_file_assets, *compliance_file_assets]).success
        keys.append(key)
    client = TestClient(create_app(api_settings(), instance=platform.instance))
    client.__enter__()
    headers = {"X-API-Key": create_api_key(engine, tenant, "re-run test")}
    stored = {
        k: {t: (float(r["current_value"]), r["status"]) for t, r in _results(engine, tenant, k).items()} for k in keys
    }

    def get(path: str) -> Any:
        response = client.get(f"/api/v1/workbooks/{path}", headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    yield {
        "ids": [load_workbook(engine, tenant, k).workbook_id for k in keys],
        "stored": [stored[k] for k in keys],
        "get": get,
    }
    client.__exit__(None, None, None)


def test_a_corrected_workbook_for_the_same_date_replaces_the_first_in_every_route(rerun: Any) -> None:
    (w1, w2, fixed), get = rerun["ids"], rerun["get"]
    replaced, _, expected = rerun["stored"]  # each run's stored (value, status) per test, read from analytics
    assert replaced != expected  # the correction changes figures, so the checks below can tell the runs apart
    counts = {s: [v[1] for v in expected.values()].count(s) for s in ("passed", "warning", "failed")}
    for wid in (w1, fixed):  # the replaced workbook and its correction serve the same (current) run
        body = get(f"{wid}/compliance")
        assert body["workbook_id"] == fixed
        assert {t["id"]: (t["current_value"], t["status"]) for t in body["tests"]} == expected
        assert body["summary"] == {"total_tests": len(expected), **counts}
        assert get(f"{wid}/compliance/ccc_bucket")["workbook_id"] == fixed
        assert get(f"{wid}/compliance/trend")["workbook_id"] == fixed
    december = get(f"{w2}/compliance/history")["data"][0]
    assert (december["report_date"], december["workbook_id"]) == ("2025-12-31", fixed)
    assert {t: (p["value"], p["status"]) for t, p in december["tests"].items()} == expected
    for test in get(f"{w2}/compliance")["tests"]:
        assert [(p["value"], p["status"]) for p in test["history"]][1] == expected[test["id"]]
    for test in get(f"{w2}/compliance/trend")["tests"]:
        assert test["values"][0]["value"] == expected[test["id"]][0]
