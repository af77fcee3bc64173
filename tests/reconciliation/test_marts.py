"""The reconciliation marts against counts worked by hand from a small workbook, statement and two resolution files.

Workbook and statement (CSV, default tolerance profile: par to 1.00, price to 0.01, ratings exact; auto rule
`price_source_eighth_point` resolves a price difference under 0.125):

    pos  workbook                         statement                       variances
    A    par 1,000,000   price 100  B1   the same                         none
    B    par 1,000,000   price 99   B1   par 1,000,000.50                 par -0.50 within tolerance
    C    par 1,000,000   price 99   B1   price 99.10                      price -0.10 auto-resolved
    D    par 2,000,000   price 98   B1   par 2,050,000, price 97          par -50,000 and price +1 need review
    E    par 1,000,000   price 95   B1   price 96                         price -1 needs review
    F    in the workbook only                                             (unmatched internal)
    G    in the statement only                                            (unmatched external)
    H    par 1,000,000   price 99   B2   Moody's B3                       rating +1 notch needs review

So 8 positions: 6 matched, 1 unmatched on each side; 6 variances (par 2, price 3, rating 1). Positions with
variances: B (within tolerance), C (auto-resolved), D, E, H (need review). Then two resolution files land,
and the marts, views, follow without a dbt run:

    after             requires_review  reviewed  open  explained  resolved  ignored
    the run           3 (D E H)        0         5     0          1 (C)     0
    file 1: D par     3 (D E H)        0         4     1          1         0     D's price is still open
    file 2: D price,  1 (H)            2 (D E)   2     1          2         1     B stays open: within tolerance
            E ignored
"""

from __future__ import annotations

import json
import uuid
import warnings
from typing import Any

import pytest
import sqlalchemy as sa

from api.keys import create_api_key
from api.main import create_app
from orchestration.clo.check_digits import cusip_check_digit
from tests.api.helpers import api_settings
from tests.reconciliation.conftest import Lander
from tests.reconciliation.test_pipeline import RECONCILIATION_MARTS

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

CUSIP = {p: f"1234567{n}{cusip_check_digit(f'1234567{n}')}" for n, p in enumerate("ABCDEFGH")}
HEADER = "CUSIP,Issuer Name,Par Amount,Price,Moodys Rating\n"
WORKBOOK = {
    "A": ("Alpha Lending", 1_000_000, 100, "B1"),
    "B": ("Bravo Lending", 1_000_000, 99, "B1"),
    "C": ("Charlie Lending", 1_000_000, 99, "B1"),
    "D": ("Delta Lending", 2_000_000, 98, "B1"),
    "E": ("Echo Lending", 1_000_000, 95, "B1"),
    "F": ("Foxtrot Lending", 1_000_000, 99, "B1"),
    "H": ("Hotel Lending", 1_000_000, 99, "B2"),
}
STATEMENT = {
    **{p: row for p, row in WORKBOOK.items() if p != "F"},
    "B": ("Bravo Lending", 1_000_000.5, 99, "B1"),
    "C": ("Charlie Lending", 1_000_000, 99.1, "B1"),
    "D": ("Delta Lending", 2_050_000, 97, "B1"),
    "E": ("Echo Lending", 1_000_000, 96, "B1"),
    "G": ("Golf Lending", 1_000_000, 99, "B1"),
    "H": ("Hotel Lending", 1_000_000, 99, "B3"),
}
REPORT_DATE = {"metadata": {"report_date": "2026-01-31"}}
COUNTS = (
    "total_positions, matched, unmatched_internal, unmatched_external, with_variances, within_tolerance, "
    "auto_resolved, requires_review, reviewed, variances, variances_by_category, variances_by_status"
)


def _csv(rows: dict[str, tuple[str, float, float, str]]) -> str:
    return HEADER + "".join(f"{CUSIP[p]},{n},{par},{price},{rating}\n" for p, (n, par, price, rating) in rows.items())


def _by_status(open_: int, explained: int, resolved: int, ignored: int) -> dict[str, int]:
    return {"open": open_, "explained": explained, "resolved": resolved, "ignored": ignored}


@pytest.fixture(scope="module")
def run(platform: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One tenant's workbook and statement reconciled, the reconciliation marts built once."""
    tenant = f"recm-{uuid.uuid4().hex[:6]}"
    lander = Lander(platform=platform, root=tmp_path_factory.mktemp("recon_marts"))
    lander.workbook(tenant, "book.csv", _csv(WORKBOOK), {"name": "Marts book", **REPORT_DATE})
    _key, result = lander.reconcile(tenant, "trustee", "statement.csv", _csv(STATEMENT), REPORT_DATE)
    assert result.success
    platform.run_dbt("build", "--select", *RECONCILIATION_MARTS)
    with platform.warehouse.connect() as conn:
        rid = conn.execute(
            sa.text("select reconciliation_id from marts.reconciliation_summaries where tenant_id = :t"), {"t": tenant}
        ).scalar_one()
        ids = {
            (row.cusip, row.field): row.variance_id
            for row in conn.execute(
                sa.text("select cusip, field, variance_id from marts.reconciliation_variances where tenant_id = :t"),
                {"t": tenant},
            )
        }
    return {"tenant": tenant, "lander": lander, "platform": platform, "rid": rid, "ids": ids}


def _summary(run: dict[str, Any]) -> dict[str, Any]:
    with run["platform"].warehouse.connect() as conn:
        row = conn.execute(
            sa.text(f"select {COUNTS} from marts.reconciliation_summaries where reconciliation_id = :r"),
            {"r": run["rid"]},
        ).one()
    return row._asdict()


def _statuses(run: dict[str, Any]) -> dict[tuple[str, str], str]:
    with run["platform"].warehouse.connect() as conn:
        rows = conn.execute(
            sa.text("select cusip, field, status from marts.reconciliation_variances where reconciliation_id = :r"),
            {"r": run["rid"]},
        ).all()
    return {(row.cusip, row.field): row.status for row in rows}


def test_the_run_counts_as_worked_by_hand(run: dict[str, Any]) -> None:
    assert _summary(run) == {
        "total_positions": 8,
        "matched": 6,
        "unmatched_internal": 1,
        "unmatched_external": 1,
        "with_variances": 5,
        "within_tolerance": 1,
        "auto_resolved": 1,
        "requires_review": 3,
        "reviewed": 0,
        "variances": 6,
        "variances_by_category": {"par": 2, "price": 3, "rating": 1, "identity": 0, "accrued": 0},
        "variances_by_status": _by_status(5, 0, 1, 0),
    }
    assert set(run["ids"]) == {
        (CUSIP["B"], "par_amount"),
        (CUSIP["C"], "price"),
        (CUSIP["D"], "par_amount"),
        (CUSIP["D"], "price"),
        (CUSIP["E"], "price"),
        (CUSIP["H"], "rating_moodys"),
    }
    assert _statuses(run)[(CUSIP["C"], "price")] == "resolved"


def test_numbers_for_par_price_and_accrued_text_for_ratings(run: dict[str, Any]) -> None:
    with run["platform"].warehouse.connect() as conn:
        rows = {
            row.field: row
            for row in conn.execute(
                sa.text(
                    "select field, internal_value, internal_number, external_number, needs_review"
                    " from marts.reconciliation_variances where reconciliation_id = :r and cusip in (:d, :h)"
                ),
                {"r": run["rid"], "d": CUSIP["D"], "h": CUSIP["H"]},
            )
        }
    assert (rows["par_amount"].internal_number, rows["par_amount"].external_number) == (2_000_000, 2_050_000)
    assert (rows["price"].internal_number, rows["price"].external_number) == (98, 97)
    assert (rows["rating_moodys"].internal_value, rows["rating_moodys"].internal_number) == ("B2", None)
    assert all(row.needs_review for row in rows.values())


def test_counts_follow_each_resolution_file_without_a_dbt_run(run: dict[str, Any]) -> None:
    ids, lander, tenant = run["ids"], run["lander"], run["tenant"]
    first = (
        "variance_id,resolution_type,explanation,action,resolved_by\n"
        f"{ids[(CUSIP['D'], 'par_amount')]},explained,Add-on booked early,none,analyst@example.com\n"
    )
    _key, result = lander.resolve(tenant, "first.csv", first)
    assert result.success
    after_first = _summary(run)
    # D's price variance is still open: D still requires review.
    assert (after_first["requires_review"], after_first["reviewed"]) == (3, 0)
    assert after_first["variances_by_status"] == _by_status(4, 1, 1, 0)

    second = {
        "resolutions": [
            {"variance_id": ids[(CUSIP["D"], "price")], "resolution_type": "corrected", "resolved_by": "a@x.io"},
            {
                "variance_id": ids[(CUSIP["E"], "price")],
                "resolution_type": "explained",
                "status": "ignored",
                "resolved_by": "a@x.io",
            },
        ]
    }
    _key, result = lander.resolve(tenant, "second.json", json.dumps(second))
    assert result.success
    after_second = _summary(run)
    assert (after_second["requires_review"], after_second["reviewed"]) == (1, 2)
    assert after_second["variances_by_status"] == _by_status(2, 1, 2, 1)
    parts = ("within_tolerance", "auto_resolved", "requires_review", "reviewed")
    assert sum(after_second[p] for p in parts) == after_second["with_variances"] == 5
    statuses = _statuses(run)
    assert statuses[(CUSIP["B"], "par_amount")] == statuses[(CUSIP["H"], "rating_moodys")] == "open"
    assert statuses[(CUSIP["E"], "price")] == "ignored"

    # The API serves the same current counts, and its variance list walks to the same statuses.
    platform = run["platform"]
    key = {"X-API-Key": create_api_key(platform.warehouse, tenant, "recon marts tests")}
    with TestClient(create_app(api_settings(), instance=platform.instance)) as client:
        detail = client.get(f"/api/v1/reconciliations/{run['rid']}", headers=key).json()
        listed = client.get(f"/api/v1/reconciliations/{run['rid']}/variances", headers=key).json()["data"]
    assert detail["variances_by_status"] == after_second["variances_by_status"]
    assert detail["variances_by_category"] == after_second["variances_by_category"]
    assert (detail["summary"]["requires_review"], detail["summary"]["reviewed"]) == (1, 2)
    assert detail["variance_count"] == len(listed) == 6
    by_field = {(v["cusip"], v["field"]): v for v in listed}
    assert by_field[(CUSIP["D"], "par_amount")]["internal_value"] == 2_000_000
    assert by_field[(CUSIP["H"], "rating_moodys")]["internal_value"] == "B2"
    assert by_field[(CUSIP["E"], "price")]["resolution"]["resolution_type"] == "explained"
