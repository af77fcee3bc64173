"""Reading real workbook files: formulas with and without cached values, odd layouts and bad files."""

import datetime as dt
import io
import zipfile

import pytest

from orchestration.clo.mapping import extract_holdings, find_report_date
from orchestration.clo.reader import read_workbook
from orchestration.core.errors import InputError
from tests.clo.files import HOLDINGS, holdings_rows, openpyxl_book, xlsxwriter_book


def test_formulas_without_cached_values_are_evaluated_and_counted():
    rows = holdings_rows()
    rows[0].append("Market Value")
    for r in range(1, len(rows)):
        rows[r].append(f"=D{r + 1}*E{r + 1}/100")
    rows.append(["Total", None, None, f"=SUM(D2:D{len(rows)})", None, None, None, None, None, None, None, "=1/0"])
    parsed = read_workbook(openpyxl_book({"Holdings": rows}), "book.xlsx")
    sheet = parsed.sheet("Holdings")
    # 5,000,000 × 98.5 / 100 = 4,925,000; 4,000,000 × 80 / 100 = 3,200,000; par total 15,000,000
    assert sheet.rows[1][11] == 4_925_000.0
    assert sheet.rows[4][11] == 3_200_000.0
    assert sheet.rows[6][3] == 15_000_000.0
    stats = parsed.formula_stats
    assert (stats["formula_cells"], stats["cached"], stats["evaluated"], stats["failed"]) == (7, 0, 6, 1)
    assert stats["failures"][0]["cell"] == "L7"
    assert "#DIV/0!" in stats["failures"][0]["error"]


def test_formulas_with_cached_values_keep_the_cache():
    rows = [["a", "b", "c"], [2, 3, "=A2*B2"]]
    # The cache deliberately disagrees with the formula: a cached value is trusted, not recomputed.
    parsed = read_workbook(xlsxwriter_book({"S": rows}, cached={"S!C2": 7}), "cached.xlsx")
    assert parsed.sheet("S").rows[1][2] == 7
    stats = parsed.formula_stats
    assert (stats["formula_cells"], stats["cached"], stats["evaluated"]) == (1, 1, 0)


def test_cross_sheet_and_chained_formulas_without_cache():
    book = openpyxl_book({"A": [[2, "=A1*10", "=A1+B1"], ["=A2+1"]], "B": [["=A!C1*2"]]})
    parsed = read_workbook(book, "chain.xlsx")
    # B1 = 2 × 10 = 20; C1 = 2 + 20 = 22; B!A1 = 22 × 2 = 44; A2 refers to itself (circular) and fails
    assert parsed.sheet("A").rows[0] == [2, 20.0, 22.0]
    assert parsed.sheet("B").rows[0] == [44.0]
    assert parsed.formula_stats["evaluated"] == 3
    assert parsed.formula_stats["failed"] == 1
    assert parsed.formula_stats["failures"][0]["error"] == "circular reference"


def test_header_on_row_five_hidden_sheet_and_report_date():
    rows = [["CLO Holdings Report"], ["As of", dt.date(2026, 1, 31)], [], [], *holdings_rows()]
    book = openpyxl_book({"Notes": [["hidden notes"]], "Positions": rows}, hidden=["Notes"])
    parsed = read_workbook(book, "r5.xlsx")
    assert [(s.name, s.hidden) for s in parsed.sheets] == [("Notes", True), ("Positions", False)]
    assert find_report_date(parsed) == dt.date(2026, 1, 31)
    extraction = extract_holdings(parsed)
    assert extraction.diagnostics.sheet == "Positions"
    assert extraction.diagnostics.header_row == 5
    assert list(extraction.holdings["row_index"]) == [6, 7, 8, 9, 10]


def test_merged_group_headers():
    top = ["Identifiers", None, "Issuer", "Face Value", "Mid Price", "Spread (bps)", "Ratings", None, "Maturity"]
    sub = ["CUSIP", "ISIN", None, None, None, None, "Moody's", "S&P", None]
    body = [list(h[:9]) for h in HOLDINGS]
    merged = {"H": ["A1:B1", "C1:C2", "D1:D2", "E1:E2", "F1:F2", "G1:H1", "I1:I2"]}
    parsed = read_workbook(openpyxl_book({"H": [top, sub, *body]}, merged=merged), "merged.xlsx")
    extraction = extract_holdings(parsed)
    mapped = {k: v["source_column"] for k, v in extraction.diagnostics.detected_mappings.items()}
    assert extraction.diagnostics.header_row == 2
    assert mapped["cusip"] == "CUSIP"
    assert mapped["issuer_name"] == "Issuer"
    assert mapped["par_amount"] == "Face Value"
    assert mapped["rating_moodys"] == "Moody's"
    assert mapped["rating_sp"] == "S&P"
    assert list(extraction.holdings["rating_sp"]) == ["B", "BB-", "B+", "CCC+", "BB"]


def test_xlsm_and_csv():
    book = openpyxl_book({"Holdings": holdings_rows()})
    parsed = read_workbook(book, "macro.xlsm")
    assert parsed.file_format == "xlsm"
    assert len(extract_holdings(parsed).holdings) == 5
    lines = [",".join(f'"{v}"' if "," in str(v) else str(v) for v in row) for row in holdings_rows()]
    lines[1] = lines[1].replace("5000000", '"5,000,000"')
    csv = read_workbook(("\n".join(lines) + "\n").encode(), "export.csv")
    assert [s.name for s in csv.sheets] == ["export"]
    holdings = extract_holdings(csv).holdings
    assert holdings["par_amount"].tolist() == [5e6, 3e6, 2e6, 4e6, 1e6]
    assert holdings["maturity_date"].tolist()[0] == dt.date(2029, 6, 15)


def test_bad_files_raise_typed_errors():
    good = openpyxl_book({"Holdings": holdings_rows()})
    with pytest.raises(InputError) as truncated:
        read_workbook(good[: len(good) // 2], "truncated.xlsx")
    assert truncated.value.code == "WORKBOOK_INVALID_FORMAT"
    with pytest.raises(InputError) as text:
        read_workbook(b"CUSIP,Par\n123,4\n", "renamed.xlsx")
    assert text.value.code == "WORKBOOK_INVALID_FORMAT"
    with pytest.raises(InputError) as binary_csv:
        read_workbook(good, "binary.csv")
    assert binary_csv.value.code == "WORKBOOK_INVALID_FORMAT"
    with pytest.raises(InputError) as big:
        read_workbook(good, "big.xlsx", max_bytes=1000)
    assert big.value.code == "WORKBOOK_TOO_LARGE"


def test_decompressed_size_guard_catches_zip_bombs():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 5_000_000)  # compresses to a few KB
    data = buffer.getvalue()
    assert len(data) < 50_000
    with pytest.raises(InputError) as bomb:
        read_workbook(data, "bomb.xlsx", max_bytes=100_000)  # decompressed limit 20 × 100 KB = 2 MB
    assert bomb.value.code == "WORKBOOK_TOO_LARGE"
    assert bomb.value.details["decompressed_bytes"] > 5_000_000
