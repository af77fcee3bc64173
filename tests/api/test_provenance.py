"""GET /api/v1/provenance/{kind}/{id} over one real world: every kind walks back to its files, cells, run and code.

One tenant lands, through the real landing evaluation and assets: a CLO workbook written below (and its compliance
run, default profile), a trustee statement reconciled against it, an equity positions file with three trading days
computed, a covenants pack, a performance file and a P&L file. Another tenant lands an equity file too (the trading
days are shared partitions). Then one `dbt run` builds the marts, and the models it built are recorded in
ops.dbt_models the way the Dagster dbt asset records them.

The holding checked cell by cell is row 3 of the Holdings sheet (worked by hand):

| field         | cell        | written                 | transform        | served        |
|---------------|-------------|-------------------------|------------------|---------------|
| cusip         | Holdings!A3 | " 12345abc<d> "         | identifier:cusip | 12345ABC<d>   |
| issuer_name   | Holdings!B3 | Bravo Holdings          | text             | Bravo Holdings|
| par_amount    | Holdings!C3 | "2,500,000.00" (text)   | number           | 2500000       |
| price         | Holdings!D3 | 97.25                   | number           | 97.25         |
| spread        | Holdings!E3 | 425                     | number           | 425           |
| rating_moodys | Holdings!F3 | caa1                    | rating:moodys    | Caa1          |
| maturity_date | Holdings!G3 | 2030-03-31 (a date)     | date             | 2030-03-31    |
| industry      | Holdings!H3 | Technology              | text             | Technology    |
| country       | Holdings!I3 | US                      | country          | US            |

CCC bucket (default profile, Moody's first): Bravo (Caa1, 2,500,000) and Delta (Caa2, 750,000) are CCC and
performing, so the test's numerator is 3,250,000 = Σ par of the CCC holdings, and current_value / 100 × its
denominator in /metrics (the collateral principal amount, 9,000,000: all par, no principal cash).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import uuid
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import quote

import dagster as dg
import openpyxl
import pytest

from api.keys import create_api_key
from api.main import create_app
from orchestration.clo.assets import clo_file_assets
from orchestration.clo.check_digits import cusip_check_digit
from orchestration.compliance.assets import compliance_file_assets
from orchestration.core import landing_log
from orchestration.core.dbt import DBT_PROJECT_DIR, record_models
from orchestration.core.resources import LandingZoneResource
from orchestration.covenants.assets import covenant_evaluations, covenant_inputs
from orchestration.definitions import defs
from tests.api.helpers import api_settings, assert_envelope, bearer, make_token
from tests.covenants.conftest import Lander as CovenantLander
from tests.covenants.test_inputs import COVENANT, DEAL, DEAL_ID, MEASUREMENTS
from tests.equity.conftest import Lander as EquityLander
from tests.performance.helpers import dumps, two_day_attribution_doc
from tests.performance.helpers import land as land_performance
from tests.reconciliation.conftest import Lander as CloLander

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

REPORT_DATE = "2026-01-30"
HEADERS = ["CUSIP", "Issuer Name", "Par Amount", "Price", "Spread", "Moodys Rating", "Maturity Date", "Industry",
           "Country"]  # fmt: skip
BRAVO = "12345ABC" + str(cusip_check_digit("12345ABC"))


def _cusip(n: int) -> str:
    base = f"9876543{n}"
    return base + str(cusip_check_digit(base))


HOLDINGS: list[list[Any]] = [
    [_cusip(1), "Alpha Lending", 1_000_000, 99.5, 350, "B1", dt.datetime(2029, 6, 15), "Healthcare", "US"],
    [f" {BRAVO.lower()} ", "Bravo Holdings", "2,500,000.00", 97.25, 425, "caa1", dt.datetime(2030, 3, 31),
     "Technology", "US"],
    [_cusip(3), "Charlie Corp", 1_500_000, 100.0, 300, "B2", dt.datetime(2028, 12, 31), "Retail", "US"],
    [_cusip(4), "Delta Inc", 750_000, 88.0, 500, "Caa2", dt.datetime(2027, 9, 30), "Technology", "GB"],
    [_cusip(5), "Echo LLC", 2_000_000, 101.0, 275, "Ba3", dt.datetime(2031, 1, 15), "Healthcare", "US"],
    [_cusip(6), "Foxtrot Ltd", 1_250_000, 95.5, 400, "B3", dt.datetime(2029, 11, 30), "Chemicals", "CA"],
]  # fmt: skip
CCC_PAR = 2_500_000 + 750_000
TOTAL_PAR = 1_000_000 + 2_500_000 + 1_500_000 + 750_000 + 2_000_000 + 1_250_000
"""The collateral principal amount: every holding performs, no principal cash."""
EXPECTED_CELLS: dict[str, tuple[str, str, Any, Any]] = {
    "cusip": ("Holdings!A3", "identifier:cusip", f" {BRAVO.lower()} ", BRAVO),
    "issuer_name": ("Holdings!B3", "text", "Bravo Holdings", "Bravo Holdings"),
    "par_amount": ("Holdings!C3", "number", "2,500,000.00", 2_500_000.0),
    "price": ("Holdings!D3", "number", 97.25, 97.25),
    "spread": ("Holdings!E3", "number", 425, 425.0),
    "rating_moodys": ("Holdings!F3", "rating:moodys", "caa1", "Caa1"),
    "maturity_date": ("Holdings!G3", "date", dt.datetime(2030, 3, 31), "2030-03-31"),
    "industry": ("Holdings!H3", "text", "Technology", "Technology"),
    "country": ("Holdings!I3", "country", "US", "US"),
}
"""field → (cell, transform, value written in the cell, value served), from the table in the module docstring."""
STATEMENT = "CUSIP,Issuer Name,Par Amount,Price,Moodys Rating\n" + "".join(
    f"{c},{n},{p},{pr},{r}\n"
    for c, n, p, pr, r in [
        (_cusip(1), "Alpha Lending", 1_000_000, 99.5, "B1"),
        (BRAVO, "Bravo Holdings", 2_500_000, 97.25, "Caa1"),
        (_cusip(3), "Charlie Corp", 1_400_000, 100.0, "B2"),
        (_cusip(4), "Delta Inc", 750_000, 88.0, "Caa2"),
        (_cusip(5), "Echo LLC", 2_000_000, 101.0, "Ba3"),
    ]
)
BOOK = "ticker,quantity,entry_price,entry_date,tags\nAAPL,100,150.00,2024-01-02,tech\nMSFT,-50,300.00,2024-01-02,tech\n"
FIRST_DAY, LAST_DAY = dt.date(2024, 3, 4), dt.date(2024, 3, 6)
PNL_CSV = """portfolio_id,date,figure,amount,is_offsetting
PNLP,2024-01-10,interest_income,70.00,false
PNLP,2024-02-20,interest_income,40.00,false
PNLP,2024-02-01,management_fees,12.50,true
"""


def _workbook_bytes() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Holdings"
    sheet.append(HEADERS)
    for row in HOLDINGS:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


WORKBOOK = _workbook_bytes()
"""The bytes landed (an xlsx's zip carries the time it was written: written once)."""


def _versioned(assets: list[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """The assets as the platform's definitions give them: with their code versions (core/provenance.py)."""
    found = (defs.resolve_assets_def(key) for asset in assets for key in asset.keys)
    return list({id(d): d for d in found}.values())


def _record_dbt_models(platform: Any) -> None:
    """Record the models the last `dbt run` built, as the Dagster dbt asset does after its build."""
    target = DBT_PROJECT_DIR / os.environ["DBT_TARGET_PATH"]
    manifest = json.loads((target / "manifest.json").read_text())
    results = json.loads((target / "run_results.json").read_text())
    assert record_models(platform.warehouse, manifest, results, None) > 0


@pytest.fixture(scope="module")
def world(platform: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The module docstring's world, the marts built, a client and one key per tenant."""
    suffix = uuid.uuid4().hex[:6]
    tenant, other = f"prov-{suffix}", f"provx-{suffix}"
    root = tmp_path_factory.mktemp("provenance")
    clo = CloLander(platform=platform, root=root / "clo")
    sidecar = {"name": "Provenance book", "metadata": {"report_date": REPORT_DATE}}
    key = clo.land(tenant, "clo", "holdings.xlsx", WORKBOOK, sidecar)
    versioned = _versioned([*clo_file_assets, *compliance_file_assets])  # resources bound by the definitions
    assert dg.materialize(versioned, partition_key=key, instance=platform.instance, tags={"tenant": tenant}).success
    _, reconciled = clo.reconcile(
        tenant, "trustee", "statement.csv", STATEMENT, {"metadata": {"report_date": REPORT_DATE}}
    )
    assert reconciled.success
    equity = EquityLander(platform=platform, root=root / "equity")
    for who, portfolio in ((tenant, "PROV"), (other, "OTHER")):
        sidecar = json.dumps({"portfolio_id": portfolio})
        assert equity.positions(equity.land(who, "book.csv", BOOK, sidecar)).success
    assert equity.daily(FIRST_DAY, LAST_DAY).success
    covenants = CovenantLander(platform=platform, root=root / "covenants", store=root / "models")
    pack = {"deals": [DEAL], "covenants": [COVENANT], "measurements": MEASUREMENTS["measurements"]}
    key = covenants.land(tenant, "pack.json", json.dumps(pack))
    assert covenants.run(key, [covenant_inputs, covenant_evaluations]).success
    zone = LandingZoneResource(landing_root=str(root / "p" / "landing"), archive_root=str(root / "p" / "archive"),
                               settle_seconds=0)  # fmt: skip
    land_performance(platform, zone, tenant, "performance", "attr.json", dumps(two_day_attribution_doc()).encode())
    land_performance(platform, zone, tenant, "pnl", "facts.csv", PNL_CSV.encode())
    platform.run_dbt("seed")
    platform.run_dbt("run")
    _record_dbt_models(platform)
    platform.run_dbt("test", "--select", "path:models/staging/provenance", "path:models/marts/provenance")
    client = TestClient(create_app(api_settings(), instance=platform.instance))
    client.__enter__()
    yield {
        "tenant": tenant,
        "other": other,
        "client": client,
        "platform": platform,
        "own": {"X-API-Key": create_api_key(platform.warehouse, tenant, "provenance")},
        "else": {"X-API-Key": create_api_key(platform.warehouse, other, "provenance other")},
    }
    client.__exit__(None, None, None)


def _get(world: Any, path: str, who: str = "own", **params: Any) -> Any:
    """GET a path (under /api/v1 unless absolute) as a tenant; it must answer 200."""
    response = world["client"].get(path if path[0] == "/" else f"/api/v1/{path}", headers=world[who], params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _workbook_id(world: Any) -> str:
    (book,) = _get(world, "workbooks")["data"]
    return str(book["id"])


def _holding(world: Any, cusip: str) -> dict[str, Any]:
    holdings = _get(world, f"workbooks/{_workbook_id(world)}/holdings", limit=100)["data"]
    return next(h for h in holdings if h["cusip"] == cusip)


def _archived(world: Any, source: dict[str, Any]) -> bytes:
    """The archived bytes of a landed file, found by its partition in the landing log."""
    record = landing_log.lookup(world["platform"].warehouse, source["domain"], source["partition_key"])
    assert record is not None
    assert record.sha256 == source["sha256"]
    return Path(record.archive_path).read_bytes()


def test_a_holdings_cells_read_back_from_the_archived_file_are_its_served_fields(world: Any) -> None:
    holding = _holding(world, BRAVO)
    body = _get(world, holding["links"]["provenance"])
    assert (body["kind"], body["id"], body["tenant_id"]) == ("holding", holding["id"], world["tenant"])
    (cells,) = body["cells"]
    assert (cells["subject"], cells["id"], cells["sheet"], cells["row_index"]) == (
        "holding",
        holding["id"],
        "Holdings",
        3,
    )
    (source,) = body["sources"]
    assert (source["domain"], source["file_name"], source["tenant_id"]) == ("clo", "holdings.xlsx", world["tenant"])
    archived = _archived(world, source)
    assert hashlib.sha256(archived).hexdigest() == source["sha256"]
    assert archived == WORKBOOK
    sheet = openpyxl.load_workbook(io.BytesIO(archived))["Holdings"]
    for field, (cell, transform, written, served) in EXPECTED_CELLS.items():
        named = cells["fields"][field]
        assert (named["cell"], named["transform"]) == (cell, transform), field
        assert sheet[named["cell"].split("!")[1]].value == written, field
        assert holding[field] == served, field
    run = body["run"]
    assert (run["table"], run["asset_key"], run["partition_key"]) == (
        "analytics.clo_holdings",
        "clo/mapped_holdings",
        source["partition_key"],
    )
    assert run["run_id"]
    mapped = defs.resolve_assets_def(dg.AssetKey(["clo", "mapped_holdings"]))
    assert run["code_version"] == mapped.code_versions_by_key[dg.AssetKey(["clo", "mapped_holdings"])]
    assert any(path.startswith("orchestration/clo/") for path in run["inputs"])


def test_the_dbt_models_are_the_served_mart_and_its_upstream_with_the_checksums_of_their_sql(world: Any) -> None:
    body = _get(world, _holding(world, BRAVO)["links"]["provenance"])
    models = {m["relation"]: m for m in body["dbt"]}
    assert [r for r, m in models.items() if m["served"]] == ["marts.clo_holdings"]
    assert "staging.stg_clo_holdings" in models
    for relation, path in (("marts.clo_holdings", "marts/clo/clo_holdings.sql"),
                           ("staging.stg_clo_holdings", "staging/clo/stg_clo_holdings.sql")):  # fmt: skip
        text = (DBT_PROJECT_DIR / "models" / path).read_text()
        assert models[relation]["checksum"] == hashlib.sha256(text.strip().encode()).hexdigest()  # dbt strips the text


def test_a_compliance_results_contributors_sum_to_its_numerator(world: Any) -> None:
    workbook_id = _workbook_id(world)
    tests = {t["id"]: t for t in _get(world, f"workbooks/{workbook_id}/compliance")["tests"]}
    ccc = tests["ccc_bucket"]
    assert ccc["links"]["provenance"] == f"/api/v1/provenance/compliance_result/{workbook_id}:ccc_bucket"
    body = _get(world, ccc["links"]["provenance"])
    contributors = body["contributors"]
    assert contributors["measure"] == "par"
    assert contributors["numerator"] == pytest.approx(CCC_PAR, rel=1e-12)
    assert sum(r["contribution"] for r in contributors["rows"]) == pytest.approx(CCC_PAR, rel=1e-12)
    metrics = _get(world, f"workbooks/{workbook_id}/metrics")["compliance"]["metrics"]
    denominator = metrics["test_inputs"]["ccc_bucket"]["denominator"]
    assert denominator == TOTAL_PAR
    assert ccc["current_value"] / 100 * denominator == pytest.approx(contributors["numerator"], rel=1e-5)
    served = {h["id"]: h for h in _get(world, f"workbooks/{workbook_id}/holdings", limit=100)["data"]}
    rows = [r for r in contributors["rows"] if r["kind"] == "holding"]
    assert sorted(served[r["holding_id"]]["issuer_name"] for r in rows) == ["Bravo Holdings", "Delta Inc"]
    for row in rows:
        assert row["contribution"] == pytest.approx(served[row["holding_id"]]["par_amount"])
        assert row["cells"]["par_amount"]["cell"] == f"Holdings!C{served[row['holding_id']]['row_index']}"
    assert [m["relation"] for m in body["dbt"] if m["served"]] == [
        "marts.clo_compliance_contributions",
        "marts.clo_compliance_tests",
    ]
    assert body["run"]["table"] == "analytics.clo_compliance_results"


def test_a_variance_shows_the_workbook_cells_and_the_statement_cells(world: Any) -> None:
    (recon,) = _get(world, f"workbooks/{_workbook_id(world)}/reconciliations")["data"]
    variances = _get(world, recon["links"]["variances"])["data"]
    par = next(v for v in variances if v["cusip"] == _cusip(3) and v["field"] == "par_amount")
    body = _get(world, par["links"]["provenance"])
    assert body["tables"] == [
        "analytics.reconciliation_variances",
        "analytics.reconciliation_positions",
        "analytics.clo_holdings",
    ]
    cells = {c["subject"]: c for c in body["cells"]}
    assert cells["holding"]["fields"]["par_amount"]["cell"] == "Holdings!C4"
    assert cells["statement_position"]["fields"]["par_amount"]["cell"] == "statement!C4"  # a CSV: its name
    assert {s["file_name"] for s in body["sources"]} >= {"statement.csv", "holdings.xlsx"}


def _list_items(world: Any) -> dict[str, list[dict[str, Any]]]:
    """Items of each kind's own list route (the id of each is in its links.provenance)."""
    workbook_id = _workbook_id(world)
    (recon,) = _get(world, f"workbooks/{workbook_id}/reconciliations")["data"]
    factors = _get(world, "risk/factors", portfolio_id="PROV")
    contribution = _get(world, "performance/ATTR/contribution")["data"]
    grouped = _get(world, "performance/ATTR/contribution", group_by="sector")["data"]
    attribution = _get(world, "performance/ATTR/attribution")["data"]
    pnl = _get(world, "portfolio/profitloss", portfolioId="PNLP", startDate="2024-01-01", endDate="2024-02-29")
    return {
        "holding": _get(world, f"workbooks/{workbook_id}/holdings")["data"],
        "compliance_result": _get(world, f"workbooks/{workbook_id}/compliance")["tests"],
        "variance": _get(world, recon["links"]["variances"])["data"],
        "position_valuation": _get(world, "positions", portfolio_id="PROV")["data"],
        "beta": factors["positions"],
        "risk_metric": [_get(world, "risk/metrics", portfolio_id="PROV")],
        "covenant_evaluation": _get(world, f"evaluations/by-deal/{DEAL_ID}")["data"],
        "attribution": [*contribution["lines"], *grouped["lines"], *attribution["groups"]],
        "pnl": pnl["rows"],
    }


def test_every_kind_answers_for_the_items_its_list_route_links(world: Any) -> None:
    items = _list_items(world)
    assert all(items.values()), {k: len(v) for k, v in items.items()}
    for kind, listed in items.items():
        for item in listed:
            link = item["links"]["provenance"]
            assert link.startswith(f"/api/v1/provenance/{kind}/"), link
            body = _get(world, link)
            assert (body["kind"], body["tenant_id"]) == (kind, world["tenant"])
            assert link.endswith(quote(body["id"], safe=":")), link
            assert body["run"] is not None, (kind, link)
            assert body["run"]["table"] == body["tables"][0], (kind, body["run"])
            assert [m for m in body["dbt"] if m["served"]], kind
            assert all(s["tenant_id"] == world["tenant"] for s in body["sources"]), kind
            assert body["sources"], kind


def test_equity_figures_of_a_shared_trading_day_name_only_the_callers_files(world: Any) -> None:
    position = _get(world, "positions", portfolio_id="PROV")["data"][0]
    assert position["links"]["provenance"] == (
        f"/api/v1/provenance/position_valuation/{position['position_id']}:{LAST_DAY.isoformat()}"
    )
    body = _get(world, position["links"]["provenance"])
    assert (body["run"]["shared"], body["run"]["partition_key"]) == (True, LAST_DAY.isoformat())
    assert body["tables"] == ["analytics.equity_position_valuations", "raw.equity_positions"]
    assert [(s["domain"], s["file_name"], s["tenant_id"]) for s in body["sources"]] == [
        ("equity", "book.csv", world["tenant"])
    ]
    theirs = _get(world, "positions", who="else", portfolio_id="OTHER")["data"][0]
    assert theirs["position_id"] != position["position_id"]
    assert _get(world, theirs["links"]["provenance"], who="else")["sources"][0]["tenant_id"] == world["other"]


def test_the_route_is_tenant_scoped(world: Any) -> None:
    holding = _holding(world, BRAVO)
    theirs = world["client"].get(holding["links"]["provenance"], headers=world["else"])
    error = assert_envelope(theirs, 404, "RESOURCE_NOT_FOUND")
    unknown_id = str(uuid.uuid4())
    unknown = assert_envelope(
        world["client"].get(f"/api/v1/provenance/holding/{unknown_id}", headers=world["else"]),
        404,
        "RESOURCE_NOT_FOUND",
    )
    assert error["message"] == f"holding {holding['id']!r} not found"
    assert unknown["message"] == f"holding {unknown_id!r} not found"
    assert error["details"] == unknown["details"] == []


def test_unknown_ids_are_404_and_an_unknown_kind_is_a_validation_error(world: Any) -> None:
    for kind, item_id in (
        ("holding", "no-such-holding"),
        ("compliance_result", f"{_workbook_id(world)}:no_such_test"),
        ("position_valuation", "not-a-date"),
        ("risk_metric", "PROV:2024-03-09"),
        ("covenant_evaluation", "x:2024-01-01:2024-13-01"),
        ("attribution", "0" * 32),
        ("pnl", "PNLP:interest_income:2025-01-01:2025-01-31"),
    ):
        response = world["client"].get(f"/api/v1/provenance/{kind}/{item_id}", headers=world["own"])
        assert assert_envelope(response, 404, "RESOURCE_NOT_FOUND")["message"] == f"{kind} {item_id!r} not found"
    error = assert_envelope(
        world["client"].get("/api/v1/provenance/spreadsheet/1", headers=world["own"]), 422, "VALIDATION_ERROR"
    )
    assert error["details"][0]["field"] == "kind"


def test_a_kinds_provenance_needs_the_permission_of_its_route(world: Any) -> None:
    token = bearer(make_token(world["tenant"], permissions=["read:equity"]))
    holding = world["client"].get(_holding(world, BRAVO)["links"]["provenance"], headers=token)
    assert_envelope(holding, 403, "AUTH_INSUFFICIENT_PERMISSIONS")
    metrics = _get(world, "risk/metrics", portfolio_id="PROV")
    assert world["client"].get(metrics["links"]["provenance"], headers=token).status_code == 200
