"""The trustee_monthly report: the PDF opens with the expected pages and text, page 1 renders to PNG, and the XLSX
has the expected sheets with formula-injection escaped cells."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pypdf
import pypdfium2
import pytest

from orchestration.core.exports import escape_cell, variances_csv, variances_xlsx
from orchestration.reports.config import load_templates
from orchestration.reports.content import ReportData, portfolio_summary
from orchestration.reports.render import render

GENERATED = dt.datetime(2026, 1, 26, 8, 0, tzinfo=dt.UTC)


def holdings(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cusip": [f"{i:09d}" for i in range(n)],
            "isin": [f"US{i:09d}0" for i in range(n)],
            "issuer_name": ['=HYPERLINK("http://evil")' if i == 0 else f"Issuer {i % 300}" for i in range(n)],
            "par_amount": [1_000_000.0 + i for i in range(n)],
            "price": [98.0 + (i % 4) * 0.5 for i in range(n)],
            "market_value": [(1_000_000.0 + i) * (98.0 + (i % 4) * 0.5) / 100 for i in range(n)],
            "spread": [350.0] * n,
            "rating_moodys": ["B2"] * n,
            "rating_sp": ["B"] * n,
            "is_defaulted": [False] * n,
            "maturity_date": [dt.date(2030, 6, 30)] * n,
            "industry": ["+Healthcare" if i == 1 else "Software" for i in range(n)],
        }
    )


def compliance() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "test_id": ["OC_A", "WARF", "CCC"],
            "name": ["Class A OC", "Max WARF", "CCC bucket"],
            "category": ["coverage", "quality", "concentration"],
            "current_value": [132.5, 2850.0, 8.2],
            "trigger_level": [125.0, 3000.0, 7.5],
            "cushion_pct": [6.0, 5.0, -9.33],
            "status": ["passed", "passed", "failed"],
            "trend": ["stable", "improving", "deteriorating"],
            "report_date": [dt.date(2026, 1, 25)] * 3,
        }
    )


def data(n: int = 60, with_compliance: bool = True) -> ReportData:
    variances = pd.DataFrame(
        {
            "cusip": ["000000001"],
            "issuer_name": ["@SUM(A1)"],
            "category": ["par"],
            "field": ["par_amount"],
            "internal_value": ["5000000"],
            "external_value": ["5100000"],
            "difference": [-100000.0],
            "difference_pct": [-1.96],
            "within_tolerance": [False],
            "status": ["open"],
        }
    )
    return ReportData(
        workbook={"workbook_id": "wb-1", "name": "CLO 2024-1", "report_date": dt.date(2026, 1, 25)},
        holdings=holdings(n),
        compliance=compliance() if with_compliance else pd.DataFrame(),
        transactions=pd.DataFrame(
            {"cusip": ["000000001"], "par_amount": [250000.0], "settle_date": [dt.date(2026, 1, 28)]}
        ),
        reconciliation={
            "reconciliation_id": "r-1",
            "source_type": "trustee",
            "executed_at": GENERATED,
            "tolerance_profile": "default",
            "summary": {"total_positions": 62, "matched": 59, "unmatched_internal": 1, "unmatched_external": 2},
        },
        variances=variances,
        generated_at=GENERATED,
    )


@pytest.fixture(scope="module")
def template():
    return load_templates()["trustee_monthly"]


def test_templates_listed_from_assets_config(template):
    assert template.sections == ("summary", "compliance", "holdings", "transactions", "reconciliation")
    assert template.formats == ("pdf", "xlsx")


def test_summary_figures_by_hand():
    frame = pd.DataFrame(
        {
            "issuer_name": ["a", "b", "c"],
            "par_amount": [1.0, 3.0, 4.0],
            "market_value": [1.0, 2.88, 2.0],
            "price": [100.0, 96.0, 50.0],
            "spread": [300.0, 400.0, None],
            "rating_moodys": ["B2", None, "Caa2"],
            "rating_sp": [None, "CCC+", None],
            "rating_fitch": [None, None, None],
            "is_defaulted": [False, False, True],
        }
    )
    s = portfolio_summary(frame)
    assert s["total_par"] == 8.0
    assert s["wa_price"] == pytest.approx((100 + 3 * 96 + 4 * 50) / 8)  # 73.5
    assert s["wa_spread"] == pytest.approx((300 + 3 * 400) / 4)  # 375: holdings without a spread are left out
    # CCC: b (S&P CCC+ → Caa1); c is Caa2 but defaulted → 3 / 8 of par
    assert s["ccc_par_pct"] == 37.5
    assert s["defaulted_par"] == 4.0


def test_pdf_has_a_page_run_per_section_and_renders(template):
    report = render(data(), template, "pdf")
    reader = pypdf.PdfReader(io.BytesIO(report.content))
    texts = [page.extract_text() for page in reader.pages]
    # summary, compliance, holdings (60 rows fit on 2 pages), transactions, reconciliation
    assert len(reader.pages) >= 5
    assert "Summary - CLO 2024-1" in texts[0]
    assert "3 passed" not in texts[0]
    assert "2 passed, 0 warning, 1 failed" in texts[0]
    assert any("Compliance" in t and "Class A OC" in t for t in texts)
    assert any("Holdings (60)" in t for t in texts)
    assert any("Transactions (1)" in t for t in texts)
    assert "Reconciliation" in texts[-1]
    assert "-100,000.00" in texts[-1]
    page = pypdfium2.PdfDocument(report.content)[0]
    image = page.render(scale=1).to_pil()
    png = io.BytesIO()
    image.save(png, format="PNG")
    assert image.size[0] > image.size[1] > 500  # landscape A4 at 72 dpi: 842 x 595
    assert png.getvalue().startswith(b"\x89PNG")


def test_pdf_without_compliance_says_not_available(template):
    report = render(data(with_compliance=False), template, "pdf")
    texts = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(report.content)).pages]
    assert "not available" in texts[0]
    assert "Compliance results" in texts[1]
    assert "not available" in texts[1]


def test_pdf_of_1500_holdings_paginates(template):
    report = render(data(1500), template, "pdf")
    pages = pypdf.PdfReader(io.BytesIO(report.content)).pages
    assert len(pages) > 30  # ~37 rows a page: 1500 rows need 41 holdings pages


def test_xlsx_sheets_and_escaped_cells(template):
    report = render(data(), template, "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(report.content))
    assert book.sheetnames == ["Summary", "Compliance", "Holdings", "Transactions", "Reconciliation"]
    holdings_sheet = book["Holdings"]
    assert holdings_sheet["A3"].value == "CUSIP"
    assert holdings_sheet["C4"].value == '\'=HYPERLINK("http://evil")'
    assert holdings_sheet["K5"].value == "'+Healthcare"
    assert holdings_sheet["D4"].value == 1_000_000.0  # numbers stay numbers
    assert all(cell.data_type != "f" for row in holdings_sheet.iter_rows() for cell in row)
    recon = book["Reconciliation"]
    values = [c.value for row in recon.iter_rows() for c in row if c.value is not None]
    assert "'@SUM(A1)" in values
    assert -100000.0 in values


def test_xlsx_without_transactions_has_no_transactions_sheet(template):
    d = data()
    d.transactions = pd.DataFrame()
    book = openpyxl.load_workbook(io.BytesIO(render(d, template, "xlsx").content))
    assert "Transactions" not in book.sheetnames


def test_reconciliation_exports_escape_cells():
    d = data()
    csv_text = variances_csv(d.variances).decode()
    assert "'@SUM(A1)" in csv_text
    assert ",-100000.0," in csv_text
    book = openpyxl.load_workbook(io.BytesIO(variances_xlsx(d.reconciliation, d.variances)))
    assert book.sheetnames == ["Summary", "Variances"]
    assert book["Variances"]["E2"].value == "'@SUM(A1)"


@pytest.mark.parametrize(("value", "expected"), [("=1+1", "'=1+1"), ("-2", "'-2"), ("a=b", "a=b"), (-2.0, -2.0)])
def test_escape_cell(value, expected):
    assert escape_cell(value) == expected


def test_the_trend_legend_does_not_cover_the_lines():
    """Ten tests over three report dates: the legend's box lies outside the plotting area (it used to sit inside)."""
    from orchestration.reports.content import compliance_trend_figure

    dates = ["2026-01-31", "2026-02-28", "2026-03-31"]
    history = pd.DataFrame(
        [
            {"test_id": f"test_{i}", "report_date": d, "cushion_pct": 5.0 * i - j}
            for i in range(10)
            for j, d in enumerate(dates)
        ]
    )
    fig = compliance_trend_figure(history, history)
    fig.canvas.draw()
    (ax,) = fig.axes
    legend, plot = ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert legend.x0 >= plot.x1  # entirely to the right of the axes: no line is hidden under it
    assert len(ax.get_legend().get_texts()) == 10
