"""GET /workbooks/{id}/compliance/tests: the test catalogue as applied to one real landed workbook.

One workbook landed once for the module (real landing, the CLO and compliance assets, the compliance marts built
by dbt). Its sidecar names the `clo_2024_1` profile and overrides warf_test's target; the Structure sheet written
below overrides oc_senior (125 / 128) and oc_class_c's trigger (109) and adds a test of its own. Expected levels
are read off that sheet and off assets_config/compliance/*.yaml by hand:

| test        | trigger (source)          | target (source)            | profile trigger / target  |
|-------------|---------------------------|----------------------------|---------------------------|
| oc_senior   | 125 structure_sheet       | 128 structure_sheet        | 115 / 120 (default.yaml)  |
| oc_class_c  | 109 structure_sheet       | 110 profile:clo_2024_1     | 108 / 110                 |
| oc_class_d  | 104 profile:clo_2024_1    | 106 profile:clo_2024_1     | 104 / 106                 |
| warf_test   | 3000 default              | 2750 sidecar               | 3000 / 2800               |
| ccc_tight   | 6 structure_sheet         | 6 structure_sheet (=trig.) | none                      |
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
import warnings
from typing import Any

import pytest
import xlsxwriter

from api.keys import create_api_key
from api.main import create_app
from orchestration.clo import demo as clo_demo
from orchestration.clo.assets import clo_file_assets
from orchestration.compliance.assets import compliance_file_assets
from orchestration.compliance.pipeline import load_workbook
from tests.api.helpers import api_settings, assert_envelope
from tests.compliance.test_pipeline import Lander

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

AS_OF = dt.date(2026, 1, 31)
STRUCTURE = [
    ["Deal", "Applied Levels CLO"],
    ["principal_cash", 1_000_000],
    [],
    ["Tests"],
    ["id", "name", "direction", "unit", "metric", "trigger_level", "target_level"],
    ["oc_senior", None, None, None, None, 125, 128],
    ["oc_class_c", None, None, None, None, 109, None],
    ["ccc_tight", "Tight CCC Test", "max", "percent", "ccc_pct", 6, None],
]
SIDECAR = {
    "name": "applied_levels.xlsx",
    "mapping_profile_id": "bloomberg_clo",
    "metadata": {"report_date": AS_OF.isoformat()},
    "compliance_profile": "clo_2024_1",
    "deal": {"tests": [{"id": "warf_test", "target_level": 2750}]},
}


def _level(level: float, source: str, profile: float | None) -> dict[str, Any]:
    differs = None if profile is None else level != profile
    return {"level": level, "source": source, "profile_level": profile, "differs_from_profile": differs}


EXPECTED = {
    "oc_senior": (_level(125, "structure_sheet", 115), _level(128, "structure_sheet", 120)),
    "oc_class_c": (_level(109, "structure_sheet", 108), _level(110, "profile:clo_2024_1", 110)),
    "oc_class_d": (_level(104, "profile:clo_2024_1", 104), _level(106, "profile:clo_2024_1", 106)),
    "warf_test": (_level(3000, "default", 3000), _level(2750, "sidecar", 2800)),
    "ccc_tight": (_level(6, "structure_sheet", None), _level(6, "structure_sheet", None)),
}


def _workbook_bytes() -> bytes:
    """A Holdings sheet (the demo's columns and first 40 loans) and the Structure sheet above."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    holdings = book.add_worksheet("Holdings")
    holdings.write_row(0, 0, clo_demo.HEADERS)
    for r, h in enumerate(clo_demo.generate_holdings(n_holdings=40), start=1):
        market_value = round(h.par * h.price / 100, 2)
        values = [h.cusip, h.isin, h.issuer, h.par, h.price, market_value, h.spread, h.coupon]
        values += [h.moodys or "NR", h.sp or "NR", h.fitch or "NR", h.maturity.isoformat(), h.industry, h.country]
        holdings.write_row(r, 0, [*values, "USD", h.asset_type, "Y" if h.defaulted else "N"])
    structure = book.add_worksheet("Structure")
    for r, values in enumerate(STRUCTURE):
        for c, value in enumerate(values):
            if value is not None:
                structure.write(r, c, value)
    book.close()
    return buffer.getvalue()


@pytest.fixture(scope="module")
def applied(platform: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The landed workbook's id, a client, and keys for its tenant and for another tenant."""
    suffix = uuid.uuid4().hex[:6]
    tenant, other = f"cmpl-{suffix}", f"cmpo-{suffix}"
    lander = Lander(platform, tmp_path_factory.mktemp("applied"))
    key = lander.land(tenant, "clo", "applied_levels.xlsx", _workbook_bytes(), SIDECAR)
    result = lander.run(key, [*clo_file_assets, *compliance_file_assets])
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    platform.run_dbt("build", "--select", "staging.compliance", "marts.compliance")
    client = TestClient(create_app(api_settings(), instance=platform.instance))
    client.__enter__()
    yield {
        "workbook_id": load_workbook(platform.warehouse, tenant, key).workbook_id,
        "client": client,
        "own": {"X-API-Key": create_api_key(platform.warehouse, tenant, "applied levels")},
        "other": {"X-API-Key": create_api_key(platform.warehouse, other, "applied levels")},
    }
    client.__exit__(None, None, None)


def _get(applied: Any, path: str, headers: str = "own") -> Any:
    return applied["client"].get(f"/api/v1{path}", headers=applied[headers])


def test_the_served_levels_are_the_sheets_and_sidecars_with_the_profiles_beside_them(applied: Any) -> None:
    wid = applied["workbook_id"]
    response = _get(applied, f"/workbooks/{wid}/compliance/tests")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["workbook_id"], body["report_date"], body["profile_id"]) == (wid, "2026-01-31", "clo_2024_1")
    assert body["deal_id"] == "Applied Levels CLO"
    assert body["is_current"] is True
    served = {t["id"]: t for t in body["tests"]}
    for test_id, (trigger, target) in EXPECTED.items():
        assert (served[test_id]["trigger"], served[test_id]["target"]) == (trigger, target), test_id
    oc = served["oc_senior"]
    assert (oc["name"], oc["category"], oc["direction"], oc["unit"]) == (
        "Senior OC Test",
        "overcollateralization",
        "min",
        "percent",
    )
    assert served["ccc_tight"]["name"] == "Tight CCC Test"
    # Same tests and levels as the workbook's results, in the same order.
    results = _get(applied, f"/workbooks/{wid}/compliance").json()["tests"]
    assert [t["id"] for t in body["tests"]] == [t["id"] for t in results]
    for result in results:
        applied_test = served[result["id"]]
        assert (applied_test["trigger"]["level"], applied_test["target"]["level"]) == (
            result["trigger_level"],
            result["target_level"],
        )


def test_the_profile_level_is_the_one_the_profile_catalogue_lists(applied: Any) -> None:
    catalogue = _get(applied, "/compliance/tests?limit=200").json()["data"]
    listed = {(d["profile_id"], d["id"]): d for d in catalogue}
    assert listed[("clo_2024_1", "oc_senior")]["trigger_level"] == 115.0  # the catalogue shows the profile's 115
    tests = _get(applied, f"/workbooks/{applied['workbook_id']}/compliance/tests").json()["tests"]
    oc = next(t for t in tests if t["id"] == "oc_senior")
    assert (oc["trigger"]["level"], oc["trigger"]["profile_level"]) == (125.0, 115.0)


def test_another_tenants_workbook_and_an_unknown_one_are_404_with_the_error_envelope(applied: Any) -> None:
    wid = applied["workbook_id"]
    assert_envelope(_get(applied, f"/workbooks/{wid}/compliance/tests", "other"), 404, "RESOURCE_NOT_FOUND")
    assert_envelope(_get(applied, f"/workbooks/{uuid.uuid4()}/compliance/tests"), 404, "RESOURCE_NOT_FOUND")


def test_a_malformed_id_is_422_and_no_key_is_401(applied: Any) -> None:
    assert_envelope(_get(applied, "/workbooks/not-a-uuid/compliance/tests"), 422, "VALIDATION_ERROR")
    response = applied["client"].get(f"/api/v1/workbooks/{applied['workbook_id']}/compliance/tests")
    assert_envelope(response, 401, "AUTH_INVALID_TOKEN")
