"""Deterministic demo: a trustee statement for the demo tenant's January workbook, and a resolutions file.

The statement is the trustee's view of the same loans (generic_trustee layout: a `Collateral` sheet under an
"As of" line, plus `Pending Trades`) with planted differences of every category the demo workbook supports:
par (a pending buy → auto-resolved timing; a real break; a rounding cent within tolerance), price (under 1/8
point → auto-resolved; a real break; within tolerance), rating (Moody's and S&P one notch apart), identity
(the workbook's bad ISIN check digit; a renamed issuer; a spelling variant within tolerance), one loan missing
from the statement and one the workbook does not hold. The demo workbook carries no accrued interest, so
accrued variances are exercised by the tests only. The resolutions file resolves two variances by their
deterministic ids.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import xlsxwriter

from orchestration.clo import demo as clo_demo
from orchestration.core.ids import workbook_id
from orchestration.core.landing import copy_into_landing, partition_key_for
from orchestration.reconciliation import ids

REPORT_DATE = clo_demo.REPORT_DATES[1]
TENANT = clo_demo.DEMO_TENANT
STATEMENT_NAME = f"trustee_statement_{REPORT_DATE:%Y_%m}.xlsx"
RESOLUTIONS_NAME = f"resolutions_{REPORT_DATE:%Y_%m}.csv"
HEADERS = (
    "CUSIP", "ISIN", "Obligor", "Principal Balance", "Market Price", "Moody's Rating", "S&P Rating",
    "Fitch Rating", "Maturity Date", "Currency",
)  # fmt: skip
PENDING_BUY = 250_000.0
EXTRA_CUSIP = "99999ZZ97"


def workbook_rows() -> list[list[Any]]:
    """The January workbook's holding rows exactly as the CLO demo writes them (problems included)."""
    holdings = clo_demo.next_month(clo_demo.generate_holdings())
    rows = [list(h.__dict__.values()) for h in holdings]
    rows[5][1] = rows[5][1][:-1] + str((int(rows[5][1][-1]) + 1) % 10)
    rows[12][7] = rows[12][8] = rows[12][9] = None
    rows.append(list(rows[3]))
    return rows


def _notch(rating: str | None, scale: tuple[str, ...]) -> str | None:
    if rating is None or rating not in scale:
        return rating
    index = scale.index(rating)
    return scale[index + 1] if index + 1 < len(scale) else scale[index - 1]


def statement_rows() -> tuple[list[list[Any]], list[list[Any]]]:
    """(collateral rows, pending trades rows) of the trustee statement, with the planted differences."""
    from orchestration.core.ratings import MOODYS_SCALE, SP_SCALE

    holdings = clo_demo.next_month(clo_demo.generate_holdings())
    source = workbook_rows()
    out: list[list[Any]] = []
    for index, row in enumerate(source):
        cusip, isin, issuer, par, price, _spread, _coupon, moodys, sp, fitch, maturity = row[:11]
        if index == 5:
            isin = holdings[5].isin  # the trustee has the right check digit: identity variance on isin
        if index == 80:
            continue  # missing from the statement: unmatched internal
        if index == 40:
            par -= PENDING_BUY  # a buy settling after month-end: auto-resolved as timing
        elif index == 41:
            par += 100_000  # a real par break
        elif index == 42:
            par += 0.5  # rounding, within tolerance
        elif index == 50:
            price = round(price + 0.1, 3)  # pricing source, under 1/8: auto-resolved
        elif index == 51:
            price = round(price - 0.75, 3)  # a real price break
        elif index == 52:
            price = round(price + 0.005, 3)  # within the 0.01 tolerance
        elif index == 60:
            moodys = _notch(moodys, MOODYS_SCALE)
        elif index == 61:
            sp = _notch(sp, SP_SCALE)
        elif index == 70:
            issuer = "Northwind Industrial Holdings"  # a different obligor name: identity variance
        elif index == 71:
            issuer = issuer.rstrip("s") if issuer.endswith("s") else issuer + "s"  # spelling variant, within
        out.append([cusip, isin, issuer, par, price, moodys or "NR", sp or "NR", fitch or "NR", maturity, "USD"])
    out.append(
        [EXTRA_CUSIP, "US99999ZZ975", "Contoso Capital Partners", 2_000_000.0, 99.25, "B2", "B", "NR",
         dt.date(2031, 3, 15), "USD"]
    )  # fmt: skip
    trades = [
        ["Trade Date", "Settle Date", "CUSIP", "Type", "Par Amount", "Price"],
        [
            REPORT_DATE - dt.timedelta(days=2),
            REPORT_DATE + dt.timedelta(days=4),
            source[40][0],
            "Buy",
            PENDING_BUY,
            99.5,
        ],
    ]
    return out, trades


def statement_bytes(title: str = "Trustee report") -> bytes:
    """The trustee statement (.xlsx), reproducible byte for byte (another `title`: other bytes, same content)."""
    rows, trades = statement_rows()
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"title": title, "author": "CalcBridge demo", "created": dt.datetime(2026, 2, 2)})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("Collateral")
    sheet.write(0, 0, f"{clo_demo.DEAL_NAME} - Trustee Collateral Report", bold)
    sheet.write(1, 0, "As of")
    sheet.write_datetime(1, 1, dt.datetime.combine(REPORT_DATE, dt.time()), date_format)
    for c, name in enumerate(HEADERS):
        sheet.write(3, c, name, bold)
    for r, row in enumerate(rows, start=4):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
            elif isinstance(value, float | int):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, str(value))
    pending = book.add_worksheet("Pending Trades")
    for r, row in enumerate(trades):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                pending.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
            else:
                pending.write(r, c, value)
    book.close()
    return buffer.getvalue()


def statement_sidecar() -> dict[str, Any]:
    """Names the mapping profile and the report date; the workbook is found by that date."""
    return {
        "name": "Trustee collateral report",
        "mapping_profile_id": "generic_trustee",
        "metadata": {"report_date": REPORT_DATE.isoformat(), "source": "trustee"},
        "tolerance_profile": "default",
    }


def demo_variance_ids(tenant: str = TENANT) -> dict[str, str]:
    """The ids the statement's par break (row 41) and rating difference (row 60) get, computed like the engine."""
    holdings = clo_demo.next_month(clo_demo.generate_holdings())
    wb_bytes = clo_demo.workbook_bytes(holdings, REPORT_DATE)
    wb = workbook_id(tenant, hashlib.sha256(wb_bytes).hexdigest())
    statement = ids.statement_key("trustee", partition_key_for(tenant, hashlib.sha256(statement_bytes()).hexdigest()))
    source = workbook_rows()
    return {
        "par_break": ids.variance_id(wb, statement, f"cusip:{source[41][0].upper()}", "par", "par_amount"),
        "rating": ids.variance_id(wb, statement, f"cusip:{source[60][0].upper()}", "rating", "rating_moodys"),
    }


def resolutions_bytes(tenant: str = TENANT) -> bytes:
    """Two resolutions (seed 000 resolve request fields) for the par break and the rating difference."""
    found = demo_variance_ids(tenant)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["variance_id", "resolution_type", "explanation", "action", "resolved_by"])
    writer.writerow(
        [found["par_break"], "explained", "Trustee booked an add-on of 100,000 a day early", "no_action_required",
         "analyst@acme.example"]
    )  # fmt: skip
    writer.writerow(
        [found["rating"], "corrected", "Moody's downgrade confirmed; internal rating updated next month",
         "update_internal_rating", "analyst@acme.example"]
    )  # fmt: skip
    return buffer.getvalue().encode("utf-8")


def write_demo(landing_root: Path, scratch: Path) -> list[Path]:
    """Land the trustee statement (with its sidecar) and the resolutions file for the demo tenant."""
    statement = scratch / STATEMENT_NAME
    statement.write_bytes(statement_bytes())
    (scratch / f"{STATEMENT_NAME}.meta.json").write_text(json.dumps(statement_sidecar(), indent=2), encoding="utf-8")
    resolutions = scratch / RESOLUTIONS_NAME
    resolutions.write_bytes(resolutions_bytes())
    return [
        copy_into_landing(statement, landing_root, TENANT, "trustee"),
        copy_into_landing(resolutions, landing_root, TENANT, "resolutions"),
    ]
