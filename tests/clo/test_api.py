"""Every CLO route over the real marts: seed 000 shapes, filters, keyset pagination, 404s, tenant isolation."""

import statistics
import uuid
import warnings

import pandas as pd
import pytest
import sqlalchemy as sa

from api.keys import create_api_key
from api.main import create_app
from orchestration.clo import demo
from orchestration.clo.formula_eval import supported_functions
from orchestration.core import ratings
from tests.api.helpers import api_settings, assert_envelope, bearer, make_token
from tests.clo.conftest import Lander
from tests.clo.files import ccc_by_hand, holdings_rows, openpyxl_book

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

API = "/api/v1"
LOAN_ROWS = [
    ["LoanX ID", "FIGI", "Asset ID", "CUSIP", "Borrower", "Par", "Price"],
    ["lx123456", None, None, None, "Acme Term Loan B", 2_000_000, 99.5],
    [None, "BBG000BLNNH6", None, None, "Beta TLB", 1_500_000, 98.0],
    [None, None, "adm-7", None, "Gamma Revolver", 500_000, 100.0],
    ["LX234567", "BBG000BLNNH7", "ADM-8", "037833100", "Delta TLB", 750_000, 97.25],
]
"""Tenant c's workbook: loans identified by one of LoanX ID, FIGI, asset id, and one carrying all (a bad FIGI)."""
CLO_MARTS = ("staging.clo", "marts.clo", "+clo_compliance_summary", "+clo_holding_compliance")
"""What the CLO routes read: the CLO marts, and the compliance views /metrics and /holdings add fields from."""


@pytest.fixture(scope="module")
def world(platform, tmp_path_factory):
    """Tenant a: the demo's two month-ends plus a failed upload; tenant b: one small workbook; tenant c: loans
    known by LoanX ID, FIGI or asset id only. dbt built once."""
    suffix = uuid.uuid4().hex[:6]
    a, b, c = f"cloa-{suffix}", f"clob-{suffix}", f"cloc-{suffix}"
    lander = Lander(platform=platform, root=tmp_path_factory.mktemp("cloapi"))
    first = demo.generate_holdings()
    months = [first, demo.next_month(first)]
    keys = []
    for as_of, holdings in zip(demo.REPORT_DATES, months, strict=True):
        key = lander.land(a, f"clo_{as_of:%Y_%m}.xlsx", demo.workbook_bytes(holdings, as_of), demo.sidecar(as_of))
        assert lander.run(key).success
        keys.append(key)
    failed = lander.land(a, "broken.xlsx", b"not a workbook", {"tags": ["adhoc"]})
    assert not lander.run(failed, raise_on_error=False).success
    other = lander.land(b, "b.xlsx", openpyxl_book({"Holdings": holdings_rows()}))
    assert lander.run(other).success
    loans = lander.land(c, "loans.xlsx", openpyxl_book({"Loans": LOAN_ROWS}))
    assert lander.run(loans).success
    platform.run_dbt("build", "--select", *CLO_MARTS)
    client = TestClient(create_app(api_settings(), instance=platform.instance))
    client.__enter__()
    headers = {
        "a": {"X-API-Key": create_api_key(platform.warehouse, a, "clo tests")},
        "b": {"X-API-Key": create_api_key(platform.warehouse, b, "clo tests")},
        "c": {"X-API-Key": create_api_key(platform.warehouse, c, "clo tests")},
    }
    listing = client.get(f"{API}/workbooks", headers=headers["a"], params={"sort": "report_date", "order": "asc"})
    ids = {w["name"]: w["id"] for w in listing.json()["data"]}
    b_id = client.get(f"{API}/workbooks", headers=headers["b"]).json()["data"][0]["id"]
    yield {
        "client": client,
        "h": headers,
        "ids": ids,
        "b_id": b_id,
        "months": months,
        "tenants": (a, b),
        "engine": platform.warehouse,
    }
    client.__exit__(None, None, None)


def _get(world, path, who="a", **params):
    return world["client"].get(f"{API}{path}", headers=world["h"][who], params=params)


def _walk(world, path, limit, **params):
    items, cursor, pages = [], None, 0
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        body = _get(world, path, **query).json()
        items += body["data"]
        pages += 1
        cursor = body["pagination"]["cursor"]
        assert body["pagination"]["has_more"] == (cursor is not None)
        if cursor is None:
            return items, pages, body["pagination"]["total_count"]


def test_workbook_list_filters_sort_and_pagination(world):
    items, pages, total = _walk(world, "/workbooks", 1, sort="name", order="asc")
    assert (pages, total) == (3, 3)
    assert [w["name"] for w in items] == ["CLO_Portfolio_2025_12.xlsx", "CLO_Portfolio_2026_01.xlsx", "broken.xlsx"]
    assert [w["status"] for w in items] == ["processed", "processed", "failed"]
    failed = items[2]
    assert failed["error"]["code"] == "WORKBOOK_INVALID_FORMAT"
    assert failed["metrics"] == {"total_par": None, "total_mv": None, "holding_count": 0}  # not 0: never computed
    assert [w["name"] for w in _get(world, "/workbooks", tag="monthly").json()["data"]] == [
        "CLO_Portfolio_2026_01.xlsx",
        "CLO_Portfolio_2025_12.xlsx",
    ]
    assert [w["name"] for w in _get(world, "/workbooks", status="failed").json()["data"]] == ["broken.xlsx"]
    ranged = _get(world, "/workbooks", report_date_from="2026-01-01", report_date_to="2026-01-31").json()
    assert [w["report_date"] for w in ranged["data"]] == ["2026-01-31"]
    by_score, _, _ = _walk(world, "/workbooks", 2, sort="data_quality_score", order="desc")
    assert len(by_score) == 3
    assert_envelope(_get(world, "/workbooks", sort="nope"), 422, "VALIDATION_ERROR")
    assert_envelope(_get(world, "/workbooks", cursor="garbage!"), 422, "VALIDATION_ERROR")
    assert [w["name"] for w in _get(world, "/workbooks", who="b").json()["data"]] == ["b.xlsx"]


def test_workbook_detail_in_the_seed_shape(world):
    wid = world["ids"]["CLO_Portfolio_2025_12.xlsx"]
    body = _get(world, f"/workbooks/{wid}").json()
    assert {"id", "name", "status", "created_at", "updated_at", "sheets", "metrics", "data_quality", "links"} <= set(
        body
    )
    first = world["months"][0]
    # 300 generated loans + the planted duplicate row (a copy of holding 3)
    assert body["metrics"]["holding_count"] == 301
    assert body["metrics"]["total_par"] == sum(h.par for h in first) + first[3].par
    assert [s["name"] for s in body["sheets"]] == ["Summary", "Holdings", "Structure"]
    assert body["sheets"][1]["row_count"] == 4 + 301 + 1  # title rows, header, holdings, total
    assert body["links"]["holdings"] == f"/api/v1/workbooks/{wid}/holdings"
    assert body["processing_stats"]["formula_cells"] == 303  # one MV formula per row + two totals
    assert body["processing_stats"]["formulas_cached"] == 303
    assert body["data_quality"]["anomalies"] >= 1
    assert body["report_date"] == "2025-12-31"
    assert body["tags"] == ["monthly", "CLO-1", "demo"]


def test_not_found_and_tenant_isolation(world):
    wid = world["ids"]["CLO_Portfolio_2025_12.xlsx"]
    for path in ("", "/sheets", "/holdings", "/metrics", "/insights", "/anomalies", "/data-quality", "/patterns"):
        assert_envelope(_get(world, f"/workbooks/{wid}{path}", who="b"), 404, "RESOURCE_NOT_FOUND")
        assert_envelope(_get(world, f"/workbooks/{uuid.uuid4()}{path}"), 404, "RESOURCE_NOT_FOUND")
    assert_envelope(_get(world, "/workbooks/not-a-uuid"), 422, "VALIDATION_ERROR")
    assert_envelope(_get(world, f"/workbooks/{world['b_id']}"), 404, "RESOURCE_NOT_FOUND")
    assert_envelope(_get(world, "/mappings/diagnostics", who="b", workbook_id=wid), 404, "RESOURCE_NOT_FOUND")
    insight = _get(world, f"/workbooks/{wid}/insights").json()["insights"][0]["id"]
    assert _get(world, f"/insights/{insight}").status_code == 200
    assert_envelope(_get(world, f"/insights/{insight}", who="b"), 404, "RESOURCE_NOT_FOUND")
    assert_envelope(_get(world, "/insights/correlations", who="b", workbook_id=wid), 404, "RESOURCE_NOT_FOUND")
    no_clo = make_token(world["tenants"][0], permissions=["read:uploads"])
    response = world["client"].get(f"{API}/workbooks", headers=bearer(no_clo))
    assert_envelope(response, 403, "AUTH_INSUFFICIENT_PERMISSIONS")
    with_clo = make_token(world["tenants"][0], permissions=["read:clo"])
    assert world["client"].get(f"{API}/workbooks", headers=bearer(with_clo)).status_code == 200


def test_sheets_and_paged_sheet_data(world):
    wid = world["ids"]["CLO_Portfolio_2025_12.xlsx"]
    sheets = _get(world, f"/workbooks/{wid}/sheets").json()
    assert [(s["name"], s["hidden"]) for s in sheets] == [("Summary", False), ("Holdings", False), ("Structure", False)]
    rows, pages, total = _walk(world, f"/workbooks/{wid}/sheets/Structure/data", 10)
    structure = demo.structure_rows(demo.REPORT_DATES[0])
    assert total == len([r for r in structure if r]) == len(rows)
    assert pages == -(-total // 10)
    assert rows[0] == {"row_index": 1, "cells": ["Deal", demo.DEAL_NAME]}
    assert rows[-1]["cells"][0] == [r for r in structure if r][-1][0]  # the last test of the Tests table
    header = _get(world, f"/workbooks/{wid}/sheets/Holdings/data", limit=1, cursor=None).json()
    assert header["data"][0]["row_index"] == 1
    page4 = _get(world, f"/workbooks/{wid}/sheets/Holdings/data", limit=200).json()["data"]
    assert page4[2]["cells"][:3] == ["CUSIP_ID", "ISIN", "Issuer Name"]  # header on row 4
    assert_envelope(_get(world, f"/workbooks/{wid}/sheets/Nope/data"), 404, "RESOURCE_NOT_FOUND")


def test_holdings_filters_sorts_and_pagination(world):
    wid = world["ids"]["CLO_Portfolio_2025_12.xlsx"]
    first = world["months"][0]
    items, pages, total = _walk(world, f"/workbooks/{wid}/holdings", 200)
    assert (len(items), pages, total) == (301, 2, 301)
    assert [h["row_index"] for h in items] == list(range(5, 306))
    assert len({h["id"] for h in items}) == 301
    h0 = items[0]
    assert (h0["cusip"], h0["issuer_name"], h0["par_amount"]) == (first[0].cusip, first[0].issuer, first[0].par)
    assert all(
        h0[f] is None
        for f in ("effective_rating", "rating_source", "rating_factor", "in_ccc_bucket", "years_to_maturity")
    )
    by_cusip = _get(world, f"/workbooks/{wid}/holdings", cusip=first[3].cusip.lower()).json()["data"]
    assert len(by_cusip) == 2  # the planted duplicate
    defaulted = _get(world, f"/workbooks/{wid}/holdings", is_defaulted="true").json()["data"]
    assert [h["cusip"] for h in defaulted] == [first[10].cusip]
    ccc = _get(world, f"/workbooks/{wid}/holdings", rating="Caa1", limit=200).json()
    assert all("Caa1" in (h["rating_moodys"], h["rating_sp"], h["rating_fitch"]) for h in ccc["data"])
    assert ccc["pagination"]["total_count"] == sum(1 for h in first if h.moodys == "Caa1") + (first[3].moodys == "Caa1")
    word = first[0].issuer.split()[0].lower()
    by_issuer = _get(world, f"/workbooks/{wid}/holdings", issuer=word, limit=200).json()["data"]
    assert by_issuer
    assert all(word in h["issuer_name"].lower() for h in by_issuer)
    industry = first[0].industry
    by_industry = _get(world, f"/workbooks/{wid}/holdings", industry=industry.upper(), limit=200).json()
    assert by_industry["pagination"]["total_count"] == sum(1 for h in first if h.industry == industry) + (
        first[3].industry == industry
    )
    by_par, _, _ = _walk(world, f"/workbooks/{wid}/holdings", 70, sort="par_amount", order="desc")
    pars = [h["par_amount"] for h in by_par]
    assert pars == sorted(pars, reverse=True)
    assert len(by_par) == 301
    bad_isin = [h for h in items if h["isin_valid"] is False]
    assert len(bad_isin) == 1  # flagged, not dropped
    assert_envelope(_get(world, f"/workbooks/{wid}/holdings", is_defaulted="maybe"), 422, "VALIDATION_ERROR")


def test_metrics_quality_insights_anomalies_patterns(world):
    wid = world["ids"]["CLO_Portfolio_2026_01.xlsx"]
    metrics = _get(world, f"/workbooks/{wid}/metrics").json()
    assert metrics["compliance"] is None
    assert metrics["holding_count"] == 313
    quality = _get(world, f"/workbooks/{wid}/data-quality").json()
    assert set(quality["dimensions"]) == {"completeness", "accuracy", "consistency", "timeliness", "uniqueness"}
    assert quality["dimensions"]["uniqueness"] == round(100 * 312 / 313, 2)  # one duplicate row
    assert quality["definitions"]["timeliness"].startswith("100 when")
    body = _get(world, f"/workbooks/{wid}/insights").json()
    assert set(body) == {"workbook_id", "generated_at", "data_quality", "insights", "anomalies"}
    types = {i["type"] for i in body["insights"]}
    assert {"anomaly", "pattern", "trend"} <= types
    spread = [a for a in body["anomalies"] if a["field"] == "spread"]
    assert spread[0]["value"] == 2400.0
    assert spread[0]["expected_range"][1] < 2400.0
    assert spread[0]["z_score"] > 3
    (ccc_trend,) = [i for i in body["insights"] if i["title"] == "Increasing CCC exposure trend"]
    assert [p["date"] for p in ccc_trend["trend_data"]] == ["2025-12-31", "2026-01-31"]
    patterns = _get(world, f"/workbooks/{wid}/insights", type="pattern").json()["insights"]
    assert patterns
    assert all(i["type"] == "pattern" for i in patterns)
    assert {"Duplicate positions", "Invalid ISIN check digit", "Holdings without a rating"} <= {
        p["title"] for p in patterns
    }
    walked, _, total = _walk(world, f"/workbooks/{wid}/patterns", 2)
    assert len(walked) == total == len(patterns)
    anomalies, _, total = _walk(world, f"/workbooks/{wid}/anomalies", 3)
    assert len(anomalies) == total == len(body["anomalies"])
    zs = [abs(a["z_score"]) for a in anomalies]
    assert zs == sorted(zs, reverse=True)
    assert _get(world, f"/workbooks/{wid}/anomalies", field="spread").json()["pagination"]["total_count"] == 1


def test_the_ccc_share_is_one_number_on_every_route(world):
    """`ccc_par_pct` of each workbook: /metrics = /insights/trends = the CCC insight = the served holdings by hand."""
    trends = {p["workbook_id"]: p for p in _get(world, "/insights/trends").json()["series"]}
    assert len(trends) == 2
    for wid, point in trends.items():
        holdings, _, _ = _walk(world, f"/workbooks/{wid}/holdings", 200)
        total = sum(h["par_amount"] or 0 for h in holdings)
        ccc = sum(h["par_amount"] or 0 for h in holdings if ccc_by_hand(h))
        expected = round(100 * ccc / total, 4)
        assert 0 < expected < 100
        assert _get(world, f"/workbooks/{wid}/metrics").json()["ccc_par_pct"] == pytest.approx(expected, abs=1e-9)
        assert point["ccc_par_pct"] == pytest.approx(expected, abs=1e-9)
        (insight,) = [
            i
            for i in _get(world, f"/workbooks/{wid}/insights", type="pattern").json()["insights"]
            if i["title"] == "CCC bucket exposure"
        ]
        assert insight["data"]["ccc_par_pct"] == pytest.approx(expected, abs=1e-9)
        assert f"{expected:.2f}% of par" in insight["description"]
        defaulted = sum(h["par_amount"] or 0 for h in holdings if h["is_defaulted"])
        assert _get(world, f"/workbooks/{wid}/metrics").json()["defaulted_pct"] == pytest.approx(
            round(100 * defaulted / total, 4), abs=1e-9
        )
        assert point["defaulted_pct"] == pytest.approx(round(100 * defaulted / total, 4), abs=1e-9)


def test_dbt_applies_the_same_ccc_rule_as_python(world):
    """stg_clo_holdings.is_ccc (through the rating_scale seed) equals `core.ratings.ccc_holdings` per holding."""
    query = sa.text(
        "select rating_moodys, rating_sp, rating_fitch, is_defaulted, is_ccc, effective_rating"
        " from staging.stg_clo_holdings where tenant_id = :tenant"
    )
    with world["engine"].connect() as conn:
        frame = pd.DataFrame(conn.execute(query, {"tenant": world["tenants"][0]}).mappings().all())
    assert len(frame) > 600
    assert frame["is_ccc"].tolist() == ratings.ccc_holdings(frame).tolist()
    expected, _ = ratings.effective_ratings(frame["rating_moodys"], frame["rating_sp"], frame["rating_fitch"])
    assert frame["effective_rating"].tolist() == expected.tolist()
    assert 0 < frame["is_ccc"].sum() < len(frame)


def test_trends_and_correlations(world):
    trends = _get(world, "/insights/trends").json()
    assert [p["report_date"] for p in trends["series"]] == ["2025-12-31", "2026-01-31"]
    ccc = [p["ccc_par_pct"] for p in trends["series"]]
    assert ccc[0] < ccc[1]
    assert any(t["title"] == "Increasing CCC exposure trend" for t in trends["trends"])
    assert _get(world, "/insights/trends", report_date_from="2026-01-01").json()["series"][0]["report_date"] == (
        "2026-01-31"
    )
    correlations = _get(world, "/insights/correlations").json()
    assert correlations["report_date"] == "2026-01-31"
    pairs = {(c["field_a"], c["field_b"]): c for c in correlations["correlations"]}
    assert len(pairs) == 6
    # Second method: Python's statistics.correlation over the holdings the API serves.
    holdings, _, _ = _walk(world, f"/workbooks/{correlations['workbook_id']}/holdings", 200)
    for a, b in (("spread", "coupon"), ("spread", "price"), ("price", "par_amount")):
        both = [(h[a], h[b]) for h in holdings if h[a] is not None and h[b] is not None]
        expected = statistics.correlation([x for x, _ in both], [y for _, y in both])
        assert pairs[(a, b)]["pearson_r"] == pytest.approx(expected, abs=1e-6)
        assert pairs[(a, b)]["n"] == len(both)
    wid = world["ids"]["CLO_Portfolio_2025_12.xlsx"]
    assert _get(world, "/insights/correlations", workbook_id=wid).json()["report_date"] == "2025-12-31"
    assert_envelope(_get(world, "/insights/correlations", workbook_id="x"), 422, "VALIDATION_ERROR")


def test_mappings_diagnostics_and_functions(world):
    profiles, _, total = _walk(world, "/mappings/profiles", 2, order="asc")
    assert [p["id"] for p in profiles] == ["bloomberg_clo", "generic_canonical", "generic_trustee"]
    assert total == 3
    bloomberg = _get(world, "/mappings/profiles/bloomberg_clo").json()
    assert bloomberg["mappings"]["par_amount"] == {"source": "Face Value", "transform": "to_number"}
    assert_envelope(_get(world, "/mappings/profiles/nope"), 404, "RESOURCE_NOT_FOUND")
    aliases = _get(world, "/mappings/aliases", order="asc").json()["data"]
    assert [a["name"] for a in aliases] == ["bloomberg_clo", "default", "trustee"]
    assert "cusip" in _get(world, "/mappings/aliases/default").json()["fields"]
    assert_envelope(_get(world, "/mappings/aliases/nope"), 404, "RESOURCE_NOT_FOUND")
    wid = world["ids"]["CLO_Portfolio_2026_01.xlsx"]
    diagnostics = _get(world, "/mappings/diagnostics", workbook_id=wid).json()
    assert diagnostics["mode"] == "profile"
    assert diagnostics["header_row"] == 4
    assert diagnostics["detected_mappings"]["cusip"]["source_column"] == "CUSIP_ID"
    assert diagnostics["schema_drift"]["compared_to"] == world["ids"]["CLO_Portfolio_2025_12.xlsx"]
    assert diagnostics["schema_drift"]["new_columns"] == []
    assert any(f["rule"] == "isin_check_digit" for f in diagnostics["validation_failures"])
    assert_envelope(_get(world, "/mappings/diagnostics"), 422, "VALIDATION_ERROR")
    functions, pages, total = _walk(world, "/calculations/functions", 200, order="asc")
    assert total == len(supported_functions()) == len(functions)
    assert pages == -(-total // 200)
    assert {"SUM", "IF", "VLOOKUP", "ROUND"} <= {f["name"] for f in functions}
    math_only = _get(world, "/calculations/functions", category="math", q="su", order="asc").json()["data"]
    assert "SUM" in {f["name"] for f in math_only}
    assert all(f["category"] == "math" for f in math_only)
    assert _get(world, "/calculations/functions/sum").json()["name"] == "SUM"
    assert_envelope(_get(world, "/calculations/functions/NOPE"), 404, "RESOURCE_NOT_FOUND")


def test_holdings_serve_the_loan_identifiers(world):
    (book,) = _get(world, "/workbooks", who="c").json()["data"]
    assert book["status"] == "processed"
    items, _, total = _walk(world, f"/workbooks/{book['id']}/holdings", 200, who="c")
    assert total == 4
    served = [(h["loanx_id"], h["figi"], h["asset_id"], h["cusip"], h["figi_valid"]) for h in items]
    assert served == [
        ("LX123456", None, None, None, None),
        (None, "BBG000BLNNH6", None, None, True),
        (None, None, "ADM-7", None, None),
        ("LX234567", "BBG000BLNNH7", "ADM-8", "037833100", False),  # BBG000BLNNH6 is IBM's: the 7 is a typo
    ]
    fields = _get(world, "/mappings/fields").json()
    assert {"loanx_id", "figi", "asset_id"} <= set(fields)
