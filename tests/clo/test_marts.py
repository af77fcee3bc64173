"""The CLO figures dbt shapes for the API, from a few hand-written rows, against numbers worked by hand.

Rows go straight into raw/analytics (as the Python assets would write them), dbt builds staging.clo and
marts.clo, and the API serves: holding-field correlations and the latest processed workbook, the data-quality
weights, anomalies by |z|, patterns most severe first; and the views (sheet rows, landed workbooks, reports)
serve rows written after the build.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import math
import uuid
import warnings

import pytest
import sqlalchemy as sa

from api.keys import create_api_key
from api.main import create_app
from orchestration.clo import tables as clo
from orchestration.clo.insights import CORRELATION_FIELDS
from orchestration.clo.quality import WEIGHTS
from orchestration.reports import tables as reports
from tests.api.helpers import api_settings, assert_envelope
from tests.clo.test_api import CLO_MARTS

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

API = "/api/v1"
LANDED = dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.UTC)
# (spread, price, coupon, par) of the latest workbook's four holdings; par is constant, one coupon is missing
HOLDINGS = [(100, 99.1, 5, 10), (200, 98.1, 6, 10), (300, 96.1, 7, 10), (400, 95.1, None, 10)]
STORED_WEIGHTS = {"completeness": 0.3, "accuracy": 0.2, "consistency": 0.2, "timeliness": 0.1, "uniqueness": 0.2}
"""Weights as a scorer recorded them (not today's `WEIGHTS`: the route must serve the recorded ones)."""


def _workbook(
    tenant: str, name: str, status: str, report_date: dt.date | None, minutes: int, score: float | None = None
) -> dict:
    sha = hashlib.sha256(f"{tenant}:{name}".encode()).hexdigest()
    return {
        "tenant_id": tenant,
        "partition_key": f"{tenant}.{sha[:16]}",
        "workbook_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant}/{name}")),
        "name": name,
        "file_name": name,
        "status": status,
        "error_code": "WORKBOOK_INVALID_FORMAT" if status == "failed" else None,
        "file_size": 1000,
        "sha256": sha,
        "report_date": report_date,
        "tags": [],
        "metadata": {},
        "sheets": [{"name": "Holdings", "index": 0, "row_count": 3, "column_count": 2, "hidden": False}],
        "processing_stats": {},
        "data_quality_score": score,
        "landed_at": LANDED + dt.timedelta(minutes=minutes),
    }


def _holding(wb: dict, row: int, spread, price, coupon, par) -> dict:
    return {
        "tenant_id": wb["tenant_id"],
        "partition_key": wb["partition_key"],
        "workbook_id": wb["workbook_id"],
        "holding_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{wb['workbook_id']}/{row}")),
        "sheet": "Holdings",
        "row_index": row,
        "spread": spread,
        "price": price,
        "coupon": coupon,
        "par_amount": par,
        "is_defaulted": False,
        "raw_data": {},
    }


def _keys(wb: dict) -> dict:
    return {k: wb[k] for k in ("tenant_id", "partition_key", "workbook_id")}


def _quality(wb: dict, details: dict) -> dict:
    scores = dict.fromkeys(("overall_score", *WEIGHTS), 90)
    return {**_keys(wb), **scores, "issues": 0, "details": details, "computed_at": LANDED}


def _sheet_row(wb: dict, row: int, cells: list) -> dict:
    return {**_keys(wb), "sheet_name": "Holdings", "row_index": row, "cells": cells}


def _anomaly(wb: dict, holding: dict, z: float) -> dict:
    return {
        **_keys(wb),
        "anomaly_id": f"anomaly-{z}",
        "holding_id": holding["holding_id"],
        "field": "spread",
        "value": 1,
        "mean": 0,
        "std": 1,
        "z_score": z,
        "expected_low": -3,
        "expected_high": 3,
        "threshold": 3,
        "detection_method": "z_score",
        "severity": "warning",
    }


def _insight(wb: dict, severity: str) -> dict:
    return {
        **_keys(wb),
        "insight_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{wb['workbook_id']}/{severity}")),
        "type": "pattern",
        "severity": severity,
        "title": severity,
        "description": severity,
        "affected_positions": [],
        "data": {},
        "status": "active",
        "created_at": LANDED,
    }


def _report(wb: dict, fmt: str, content: bytes) -> dict:
    return {
        **_keys(wb),
        "report_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{wb['workbook_id']}/{fmt}")),
        "template": "trustee_monthly",
        "format": fmt,
        "file_name": f"report.{fmt}",
        "media_type": "application/pdf" if fmt == "pdf" else "application/octet-stream",
        "content": content,
        "size_bytes": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "sections": {"summary": True},
        "report_date": wb["report_date"],
        "generated_at": LANDED,
    }


@pytest.fixture(scope="module")
def world(platform):
    tenant = f"clom-{uuid.uuid4().hex[:6]}"
    latest = _workbook(tenant, "jan.xlsx", "processed", dt.date(2026, 1, 31), 1, 88.1)
    earlier = _workbook(tenant, "dec.xlsx", "processed", dt.date(2025, 12, 31), 2, 92.37)
    undated = _workbook(tenant, "undated.xlsx", "processed", None, 3)
    failed = _workbook(tenant, "feb.xlsx", "failed", dt.date(2026, 2, 28), 4)
    holdings = [_holding(latest, 5 + i, *values) for i, values in enumerate(HOLDINGS)]
    holdings.append(_holding(earlier, 5, 100, 99, 5, 10))
    with platform.warehouse.begin() as conn:
        conn.execute(sa.insert(clo.workbooks), [latest, earlier, undated, failed])
        conn.execute(sa.insert(clo.holdings), holdings)
        conn.execute(
            sa.insert(clo.data_quality),
            [_quality(latest, {"weights": STORED_WEIGHTS, "holdings": 4}), _quality(undated, {"holdings": 0})],
        )
        conn.execute(sa.insert(clo.anomalies), [_anomaly(latest, holdings[0], z) for z in (3.5, -4.2, 3.1)])
        conn.execute(sa.insert(clo.insights), [_insight(latest, s) for s in ("info", "critical", "warning")])
        conn.execute(sa.insert(clo.sheet_rows), [_sheet_row(latest, r, ["row", r]) for r in (1, 2, 4)])
        conn.execute(sa.insert(reports.reports), [_report(latest, "pdf", b"%PDF-1.4 by hand")])
    platform.run_dbt("build", "--select", *CLO_MARTS)
    client = TestClient(create_app(api_settings(), instance=platform.instance))
    client.__enter__()
    yield {
        "client": client,
        "h": {"X-API-Key": create_api_key(platform.warehouse, tenant, "clo marts tests")},
        "wb": {"latest": latest, "earlier": earlier, "undated": undated, "failed": failed},
        "engine": platform.warehouse,
        "tenant": tenant,
    }
    client.__exit__(None, None, None)


def _get(world, path, **params):
    return world["client"].get(f"{API}{path}", headers=world["h"], params=params)


def _walk(world, path, **params):
    """Every item, one per page (at most ten pages: a cursor that repeats a row must fail, not loop)."""
    items, cursor = [], None
    for _ in range(10):
        body = _get(world, path, limit=1, **params, **({"cursor": cursor} if cursor else {})).json()
        items += body["data"]
        cursor = body["pagination"]["cursor"]
        if cursor is None:
            return items
    raise AssertionError(f"{path} did not end after 10 pages: {[item.get('id') for item in items]}")


def test_keyset_pages_over_decimal_sort_values_neither_repeat_nor_skip(world):
    """Prices and |z| that no float holds exactly (95.1, 4.2) at every page boundary."""
    wid = world["wb"]["latest"]["workbook_id"]
    prices = [h["price"] for h in _walk(world, f"/workbooks/{wid}/holdings", sort="price", order="asc")]
    assert prices == [95.1, 96.1, 98.1, 99.1]
    prices = [h["price"] for h in _walk(world, f"/workbooks/{wid}/holdings", sort="price", order="desc")]
    assert prices == [99.1, 98.1, 96.1, 95.1]
    scores = [w["data_quality"]["score"] for w in _walk(world, "/workbooks", sort="data_quality_score")]
    assert scores == [92.37, 88.1, None, None]


def test_correlations_of_the_latest_processed_workbook_worked_by_hand(world):
    """Σ over the four holdings, by hand (d = value - mean):
    spread 100..400 (mean 250, d = -150 -50 50 150) against price 99.1 98.1 96.1 95.1 (mean 97.1, d = 2 1 -1 -2):
    Σdxdy = -700, Σdx² = 50000, Σdy² = 10, r = -700 / √500000.
    spread against coupon over the three rows with a coupon: 100 200 300 against 5 6 7, exactly linear: r = 1.
    price 99.1 98.1 96.1 (mean 97.1 + 2/3, d = 4/3 1/3 -5/3) against coupon 5 6 7 (d = -1 0 1):
    Σdxdy = -3, Σdx² = 14/3, Σdy² = 2, r = -3 / √(28/3). par is constant: r is null, n counts the pairs.
    The latest processed workbook is January's: February's failed, the undated one sorts last.
    """
    body = _get(world, "/insights/correlations").json()
    assert body["workbook_id"] == world["wb"]["latest"]["workbook_id"]
    assert body["report_date"] == "2026-01-31"
    got = {(c["field_a"], c["field_b"]): (c["pearson_r"], c["n"]) for c in body["correlations"]}
    assert list(got) == list(itertools.combinations(CORRELATION_FIELDS, 2))  # the pipeline's fields, its order
    assert got[("spread", "price")] == (pytest.approx(round(-700 / math.sqrt(500_000), 6), abs=1e-12), 4)
    assert got[("spread", "coupon")] == (pytest.approx(1.0, abs=1e-12), 3)
    assert got[("price", "coupon")] == (pytest.approx(round(-3 / math.sqrt(28 / 3), 6), abs=1e-12), 3)
    assert got[("spread", "par_amount")] == (None, 4)
    assert got[("price", "par_amount")] == (None, 4)
    assert got[("coupon", "par_amount")] == (None, 3)
    # one holding: no pair varies, r is null; a failed workbook has no holdings: n is 0, and it is not a 404
    earlier = _get(world, "/insights/correlations", workbook_id=world["wb"]["earlier"]["workbook_id"]).json()
    assert [(c["pearson_r"], c["n"]) for c in earlier["correlations"]] == [(None, 1)] * 6
    failed = _get(world, "/insights/correlations", workbook_id=world["wb"]["failed"]["workbook_id"]).json()
    assert [(c["pearson_r"], c["n"]) for c in failed["correlations"]] == [(None, 0)] * 6
    assert_envelope(_get(world, "/insights/correlations", workbook_id=str(uuid.uuid4())), 404, "RESOURCE_NOT_FOUND")
    with world["engine"].connect() as conn:
        latest = conn.execute(
            sa.text(
                "select distinct workbook_id from marts.clo_holding_correlations where tenant_id = :t and is_latest"
            ),
            {"t": world["tenant"]},
        ).all()
    assert latest == [(world["wb"]["latest"]["workbook_id"],)]


def test_quality_serves_the_weights_the_scorer_recorded(world):
    latest = _get(world, f"/workbooks/{world['wb']['latest']['workbook_id']}/data-quality").json()
    assert latest["weights"] == STORED_WEIGHTS
    assert list(latest["weights"]) == list(latest["definitions"]) == list(latest["dimensions"])
    assert latest["dimensions"] == dict.fromkeys(STORED_WEIGHTS, 90.0)
    # a workbook scored without holdings recorded no weights
    assert _get(world, f"/workbooks/{world['wb']['undated']['workbook_id']}/data-quality").json()["weights"] == {}
    path = f"/workbooks/{world['wb']['earlier']['workbook_id']}/data-quality"
    assert_envelope(_get(world, path), 404, "RESOURCE_NOT_FOUND")


def test_anomalies_by_absolute_z_and_patterns_most_severe_first(world):
    wid = world["wb"]["latest"]["workbook_id"]
    # |z|: 4.2 > 3.5 > 3.1, whatever the sign
    expected = [-4.2, 3.5, 3.1]
    assert [a["z_score"] for a in _get(world, f"/workbooks/{wid}/anomalies").json()["data"]] == expected
    assert [a["z_score"] for a in _walk(world, f"/workbooks/{wid}/anomalies")] == expected
    insights = _get(world, f"/workbooks/{wid}/insights").json()
    assert [a["z_score"] for a in insights["anomalies"]] == expected
    assert [i["severity"] for i in insights["insights"]] == ["critical", "warning", "info"]
    patterns = _get(world, f"/workbooks/{wid}/patterns", order="desc").json()["data"]
    assert [i["severity"] for i in patterns] == ["critical", "warning", "info"]


def test_views_serve_rows_written_after_the_build(world):
    latest = world["wb"]["latest"]
    wid = latest["workbook_id"]
    rows = _get(world, f"/workbooks/{wid}/sheets/Holdings/data").json()
    assert [(r["row_index"], r["cells"]) for r in rows["data"]] == [(1, ["row", 1]), (2, ["row", 2]), (4, ["row", 4])]
    listed = _get(world, f"/workbooks/{wid}/reports").json()
    assert [r["format"] for r in listed["data"]] == ["pdf"]
    later = _workbook(world["tenant"], "mar.xlsx", "processed", dt.date(2026, 3, 31), 9)
    with world["engine"].begin() as conn:  # after the dbt build: no rebuild before the reads below
        conn.execute(sa.insert(clo.workbooks), [later])
        conn.execute(sa.insert(reports.reports), [_report(latest, "xlsx", b"PK by hand")])
        conn.execute(sa.insert(clo.sheet_rows), [_sheet_row(latest, 9, ["late"])])
    listed = _get(world, f"/workbooks/{wid}/reports").json()
    assert sorted(r["format"] for r in listed["data"]) == ["pdf", "xlsx"]
    xlsx = next(r for r in listed["data"] if r["format"] == "xlsx")
    download = _get(world, f"/reports/{xlsx['id']}/download")
    assert download.content == b"PK by hand"
    assert download.headers["etag"] == f'"{hashlib.sha256(b"PK by hand").hexdigest()}"'
    assert _get(world, f"/reports/{xlsx['id']}").json()["size_bytes"] == len(b"PK by hand")
    assert _get(world, f"/workbooks/{later['workbook_id']}/reports").json()["data"] == []  # landed: not a 404
    assert_envelope(_get(world, f"/workbooks/{uuid.uuid4()}/reports"), 404, "RESOURCE_NOT_FOUND")
    assert _get(world, f"/workbooks/{wid}/sheets/Holdings/data", order="desc", limit=1).json()["data"][0] == {
        "row_index": 9,
        "cells": ["late"],
    }


def test_the_views_survive_a_rebuild_of_the_staging_views(world, platform):
    """The API's views over staging views still answer after dbt rebuilt those (no drop cascading to them)."""
    platform.run_dbt("run", "--select", "staging.clo")
    wid = world["wb"]["latest"]["workbook_id"]
    assert _get(world, f"/workbooks/{wid}/reports").status_code == 200
    assert _get(world, f"/workbooks/{wid}/sheets/Holdings/data").status_code == 200
    with world["engine"].connect() as conn:
        views = conn.execute(
            sa.text(
                "select table_name from information_schema.views where table_schema = 'marts' and table_name = any(:n)"
            ),
            {"n": ["clo_reports", "clo_landed_workbooks", "clo_sheet_rows"]},
        ).scalars()
        assert sorted(views) == ["clo_landed_workbooks", "clo_reports", "clo_sheet_rows"]
