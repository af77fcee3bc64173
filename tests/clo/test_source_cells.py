"""Source cells (issue 18): every stored holding field walks back to the cell of the landed file it came from.

Workbooks written here with openpyxl (two sheets, the header below row 1, a profile-mapped and an auto-detected
layout, sheet names that need Excel's quotes) and a CSV go through the real landing, the `clo_workbook` asset and
Postgres. The test reads `source_cells` back from the warehouse, opens the archived file itself (openpyxl, or the
csv module), takes the value at each referenced cell, applies the named transform by hand and compares it with
the stored field. The profile's version is worked from its YAML file here (canonical JSON, sha256).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
import yaml

from orchestration.clo import tables
from orchestration.clo.mapping.source_cells import cell_ref
from orchestration.core import landing_log
from orchestration.core.settings import PROJECT_ROOT
from tests.clo.files import openpyxl_book

# Valid CUSIPs (check digits worked in test_identifiers_normalize) and their issuers.
CUSIPS = ["037833100", "38259P508", "594918104", "000361105", "459200101"]
PROFILE_HEADERS = ["CUSIP_ID", "Issuer Name", "Face Value", "Mid Price", "Spread (bps)", "Moody's Rating",
                   "S&P Rating", "Maturity", "Country", "Defaulted"]  # fmt: skip
AUTO_HEADERS = ["CUSIP", "Issuer", "Par Amount", "Price", "Spread", "Moody's", "S&P", "Maturity Date", "Country"]
NUMBERS = {"par_amount", "price", "spread"}


def _profile_rows() -> list[list[Any]]:
    """bloomberg_clo's headers on row 4 of `Holdings`; 12 holdings on rows 5-17, row 9 blank, a total on row 18."""
    rows: list[list[Any]] = [["Bloomberg CLO export"], ["As of", dt.datetime(2026, 3, 31)], [], PROFILE_HEADERS]
    for n in range(12):
        cusip = CUSIPS[n % 5]
        moodys = None if n == 2 else ["B2", "b1", "Caa1", "ba3"][n % 4]
        sp, maturity = ["B", "bb-", "CCC+"][n % 3], dt.datetime(2030, 1 + n % 12, 15)
        rows.append([cusip, f"Issuer {n} Inc ", 1_000_000 + n * 250_000, 95.5 + n, 300 + 25 * n, moodys, sp,
                     maturity, "United Kingdom", "N"])  # fmt: skip
        if len(rows) == 8:
            rows.append([])  # row 9 blank: the holdings below keep their own row numbers
    rows[-1][2] = "1,250,000"  # row 17, column C: par as text with thousands separators
    rows[-1][9] = "Y"
    rows.append(["Total", None, 99_000_000])
    return rows


def _auto_rows() -> list[list[Any]]:
    """Headers on row 3 below a title; prices as fractions of par, spreads in percent, one CUSIP as a number."""
    rows: list[list[Any]] = [["Manager's quarterly holdings"], [], AUTO_HEADERS]
    for n in range(6):
        cusip: Any = 361105 if n == 3 else CUSIPS[n % 5]  # 000361105 typed into Excel as a number
        rows.append([cusip, f"Obligor {n}", 2_000_000 + n * 100_000, 0.97 + n / 200, 3.5 + n / 4,
                     ["caa1", "B3", "Ba2"][n % 3], "B-", dt.datetime(2029, 6, 30), "Canada"])  # fmt: skip
    return rows


def _by_hand(transform: str, value: Any) -> Any:
    """The named transform of docs/clo.md "Source cells", done here without the mapping's code."""
    if transform in ("number", "integer", "percent_to_bps", "fraction_to_percent"):
        number = float(value.replace(",", "")) if isinstance(value, str) else float(value)
        if transform == "integer":
            number = float(round(number))  # no value here ends in .5
        return number * 100 if transform in ("percent_to_bps", "fraction_to_percent") else number
    if transform == "identifier:cusip":
        text = str(value).strip().upper().replace(" ", "")
        return text.zfill(9) if text.isdigit() else text
    if transform == "rating:moodys":
        text = value.strip()
        return text[0].upper() + text[1:].lower()  # Moody's tokens: B2, Ba3, Caa1
    if transform in ("rating:sp", "rating:fitch", "upper"):
        return value.strip().upper()
    if transform == "date":
        return value.date()
    if transform == "text":
        return str(value).strip()
    if transform == "country":
        return {"united kingdom": "GB", "canada": "CA"}[value.strip().lower()]
    if transform == "bool":
        return {"Y": True, "N": False}[value.strip().upper()]
    raise AssertionError(f"no hand rule for transform {transform!r}")


def _open_cell(book: openpyxl.Workbook, reference: str) -> Any:
    """The value at an A1 reference `Sheet!C17` / `'My Sheet'!C17`, resolved with openpyxl."""
    sheet, _, coordinate = reference.rpartition("!")
    if sheet.startswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return book[sheet][coordinate].value


def _stored(platform: Any, key: str) -> list[dict[str, Any]]:
    h = tables.holdings
    with platform.warehouse.connect() as conn:
        rows = conn.execute(sa.select(h).where(h.c.partition_key == key).order_by(h.c.row_index)).mappings()
        return [dict(r) for r in rows]


def _profile_version(platform: Any, key: str) -> str | None:
    w = tables.workbooks
    with platform.warehouse.connect() as conn:
        return conn.execute(sa.select(w.c.mapping_profile_version).where(w.c.partition_key == key)).scalar_one()


def _value(stored: Any) -> Any:
    return float(stored) if isinstance(stored, Decimal) else stored


def _assert_cells_hold_the_stored_values(holdings: list[dict[str, Any]], read: Any) -> int:
    """Each source cell's value, by hand through its transform, equals the stored field; returns the cells seen."""
    seen = 0
    for holding in holdings:
        cells = holding["source_cells"]
        assert cells, holding["row_index"]
        for field_name, source in cells.items():
            raw = read(source["cell"])
            assert raw is not None, (field_name, source)
            expected = _by_hand(source["transform"], raw)
            stored = _value(holding[field_name])
            if field_name in NUMBERS:
                assert stored == pytest.approx(expected, rel=1e-12), (field_name, source, raw)
            else:
                assert stored == expected, (field_name, source, raw)
            seen += 1
        # Every field the holding stores (a flag: set) names its cell.
        present = {f for f in ("cusip", "issuer_name", "par_amount", "rating_moodys", "maturity_date") if holding[f]}
        assert present <= set(cells), (holding["row_index"], present - set(cells))
    return seen


def test_profile_mapped_workbook_names_each_fields_cell(platform, lander, tenant):
    content = openpyxl_book({"Cover": [["Quarterly letter"], ["See Holdings"]], "Holdings": _profile_rows()})
    key = lander.land(tenant, "bloomberg_q1.xlsx", content, {"mapping_profile_id": "bloomberg_clo"})
    assert lander.run(key).success
    holdings = _stored(platform, key)
    assert [h["row_index"] for h in holdings] == [5, 6, 7, 8, *range(10, 18)]
    book = openpyxl.load_workbook(landing_log.require(platform.warehouse, "clo", key).archive_path)

    last = holdings[-1]
    assert last["row_index"] == 17
    assert last["source_cells"]["par_amount"] == {"cell": "Holdings!C17", "column": "Face Value", "transform": "number"}
    assert float(last["par_amount"]) == 1_250_000
    assert last["source_cells"] == {
        "cusip": {"cell": "Holdings!A17", "column": "CUSIP_ID", "transform": "identifier:cusip"},
        "issuer_name": {"cell": "Holdings!B17", "column": "Issuer Name", "transform": "text"},
        "par_amount": {"cell": "Holdings!C17", "column": "Face Value", "transform": "number"},
        "price": {"cell": "Holdings!D17", "column": "Mid Price", "transform": "number"},
        "spread": {"cell": "Holdings!E17", "column": "Spread (bps)", "transform": "integer"},
        "rating_moodys": {"cell": "Holdings!F17", "column": "Moody's Rating", "transform": "rating:moodys"},
        "rating_sp": {"cell": "Holdings!G17", "column": "S&P Rating", "transform": "rating:sp"},
        "maturity_date": {"cell": "Holdings!H17", "column": "Maturity", "transform": "date"},
        "country": {"cell": "Holdings!I17", "column": "Country", "transform": "country"},
        "is_defaulted": {"cell": "Holdings!J17", "column": "Defaulted", "transform": "bool"},
    }
    # Row 7's Moody's cell is empty: no cell named, nothing stored.
    row7 = next(h for h in holdings if h["row_index"] == 7)
    assert "rating_moodys" not in row7["source_cells"]
    assert row7["rating_moodys"] is None
    assert _assert_cells_hold_the_stored_values(holdings, lambda ref: _open_cell(book, ref)) == 12 * 10 - 1

    document = yaml.safe_load((PROJECT_ROOT / "assets_config/mappings/bloomberg_clo.yaml").read_text())
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    assert _profile_version(platform, key) == hashlib.sha256(canonical.encode()).hexdigest()

    # dbt passes the column through to the mart the API reads, and its test checks the shape.
    platform.run_dbt("build", "--select", "+clo_holdings", "+clo_workbooks", "--indirect-selection", "cautious")
    mart = sa.table("clo_holdings", sa.column("row_index"), sa.column("source_cells"), sa.column("partition_key"),
                    schema="marts")  # fmt: skip
    with platform.warehouse.connect() as conn:
        served = dict(
            conn.execute(sa.select(mart.c.row_index, mart.c.source_cells).where(mart.c.partition_key == key)).all()
        )
    assert served == {h["row_index"]: h["source_cells"] for h in holdings}


def test_auto_detected_workbook_quotes_the_sheet_and_names_the_unit_fix(platform, lander, tenant):
    sheet = "Manager's Q4 Holdings"
    content = openpyxl_book({"Notes": [["Prepared by the manager"]], sheet: _auto_rows()})
    key = lander.land(tenant, "manager_q4.xlsx", content)
    assert lander.run(key).success
    holdings = _stored(platform, key)
    assert [h["row_index"] for h in holdings] == [4, 5, 6, 7, 8, 9]
    book = openpyxl.load_workbook(landing_log.require(platform.warehouse, "clo", key).archive_path)

    as_number = next(h for h in holdings if h["row_index"] == 7)
    assert as_number["cusip"] == "000361105"
    assert as_number["source_cells"]["cusip"] == {
        "cell": "'Manager''s Q4 Holdings'!A7",
        "column": "CUSIP",
        "transform": "identifier:cusip",
    }
    first = holdings[0]["source_cells"]
    assert first["price"] == {
        "cell": "'Manager''s Q4 Holdings'!D4",
        "column": "Price",
        "transform": "fraction_to_percent",
    }
    assert first["spread"]["transform"] == "percent_to_bps"
    assert first["rating_moodys"] == {
        "cell": "'Manager''s Q4 Holdings'!F4",
        "column": "Moody's",
        "transform": "rating:moodys",
    }
    assert holdings[0]["rating_moodys"] == "Caa1"  # `caa1` in F4
    assert _assert_cells_hold_the_stored_values(holdings, lambda ref: _open_cell(book, ref)) == 6 * 9
    assert _profile_version(platform, key) is None


def test_a_csv_names_its_cells_on_the_sheet_the_reader_names_after_the_file(platform, lander, tenant):
    lines = [["Trustee holdings"], AUTO_HEADERS[:4]]
    lines += [[CUSIPS[n], f"Obligor {n}", f"{1_000_000 + n:,}", 98 + n] for n in range(3)]
    text = io.StringIO()
    csv.writer(text).writerows(lines)
    key = lander.land(tenant, "trustee-2026-03.csv", text.getvalue())
    assert lander.run(key).success
    holdings = _stored(platform, key)
    archived = Path(landing_log.require(platform.warehouse, "clo", key).archive_path)
    grid = list(csv.reader(io.StringIO(archived.read_text())))

    def read(reference: str) -> Any:
        sheet, _, coordinate = reference.rpartition("!")
        assert sheet == "'trustee-2026-03'"  # the file's stem, quoted for its dashes
        column, row = openpyxl.utils.cell.coordinate_from_string(coordinate)
        return grid[row - 1][openpyxl.utils.cell.column_index_from_string(column) - 1]

    assert holdings[1]["source_cells"]["par_amount"] == {
        "cell": "'trustee-2026-03'!C4",
        "column": "Par Amount",
        "transform": "number",
    }
    assert float(holdings[1]["par_amount"]) == 1_000_001
    assert _assert_cells_hold_the_stored_values(holdings, read) == 3 * 4


@pytest.mark.parametrize(
    ("sheet", "written"),
    [
        ("Holdings", "Holdings!B7"),
        ("Sheet_1.v2", "Sheet_1.v2!B7"),
        ("My Sheet", "'My Sheet'!B7"),
        ("Manager's", "'Manager''s'!B7"),
        ("2026Q1", "'2026Q1'!B7"),  # starts with a digit
        ("AB12", "'AB12'!B7"),  # reads as a cell
        ("R1C1", "'R1C1'!B7"),  # reads as an R1C1 reference
        ("C", "'C'!B7"),
        ("trustee-2026", "'trustee-2026'!B7"),
    ],
)
def test_sheet_names_are_quoted_as_excel_writes_them(sheet, written):
    assert cell_ref(sheet, 1, 7) == written
