"""Real workbook files for the CLO tests, written with openpyxl (no cached formula values) or xlsxwriter."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import openpyxl
import xlsxwriter

BLOOMBERG_HEADERS = (
    "CUSIP_ID", "ISIN", "Issuer Name", "Face Value", "Mid Price", "Spread (bps)", "Moody's Rating", "S&P Rating",
    "Maturity", "Industry", "Country",
)  # fmt: skip

# Five holdings with valid identifiers (check digits worked in test_identifiers_normalize):
# 037833100/US0378331005 (Apple), 38259P508 (Google), 594918104 (Microsoft), 000361105 (AAR), 459200101 (IBM).
HOLDINGS: list[tuple[Any, ...]] = [
    ("037833100", "US0378331005", "Apple Loan", 5_000_000, 98.5, 425, "B2", "B", dt.date(2029, 6, 15), "Tech", "US"),
    (
        "38259P508",
        "US38259P5089",
        "Google Loan",
        3_000_000,
        100.0,
        300,
        "Ba3",
        "BB-",
        dt.date(2030, 1, 15),
        "Tech",
        "US",
    ),
    (
        "594918104",
        "US5949181045",
        "Microsoft Loan",
        2_000_000,
        99.0,
        350,
        "B1",
        "B+",
        dt.date(2028, 3, 1),
        "Tech",
        "United Kingdom",
    ),
    (
        "000361105",
        "US0003611052",
        "AAR Loan",
        4_000_000,
        80.0,
        600,
        "Caa1",
        "CCC+",
        dt.date(2027, 9, 30),
        "Aerospace",
        "Canada",
    ),
    (
        "459200101",
        "US4592001014",
        "IBM Loan",
        1_000_000,
        101.0,
        275,
        "Ba2",
        "BB",
        dt.date(2031, 12, 31),
        "Services",
        "US",
    ),
]


def openpyxl_book(
    sheets: dict[str, Sequence[Sequence[Any]]],
    *,
    hidden: Sequence[str] = (),
    merged: dict[str, list[str]] | None = None,
) -> bytes:
    """An .xlsx written by openpyxl: formulas are stored without cached values."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
        for ref in (merged or {}).get(name, []):
            sheet.merge_cells(ref)
        if name in hidden:
            sheet.sheet_state = "hidden"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsxwriter_book(sheets: dict[str, Sequence[Sequence[Any]]], cached: dict[str, Any] | None = None) -> bytes:
    """An .xlsx written by xlsxwriter; a formula cell `=…` gets the cached value from `cached[sheet!A1]`."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, str) and value.startswith("="):
                    ref = f"{name}!{xlsxwriter.utility.xl_rowcol_to_cell(r, c)}"
                    sheet.write_formula(r, c, value, None, (cached or {}).get(ref, 0))
                elif isinstance(value, dt.date):
                    sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()))
                elif value is not None:
                    sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


def holdings_rows(
    headers: Sequence[str] = BLOOMBERG_HEADERS, rows: Sequence[Sequence[Any]] = HOLDINGS
) -> list[list[Any]]:
    """Header plus holdings rows."""
    return [list(headers), *[list(r) for r in rows]]


MOODYS_CCC = {"Caa1", "Caa2", "Caa3", "Ca", "C"}
SP_FITCH_CCC = {"CCC+", "CCC", "CCC-", "CC", "C", "SD", "RD", "D"}


def ccc_by_hand(h: dict[str, Any]) -> bool:
    """Convention 6 written out: Moody's if rated, else S&P, else Fitch, else Caa3; Caa1/CCC+ or lower; performing."""
    if h["is_defaulted"]:
        return False
    if h["rating_moodys"]:
        return h["rating_moodys"] in MOODYS_CCC
    for other in (h["rating_sp"], h["rating_fitch"]):
        if other:
            return other in SP_FITCH_CCC
    return True
