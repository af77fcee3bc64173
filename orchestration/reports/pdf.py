"""Render a workbook report as PDF with fpdf2 (pure Python, from the package registry); one section per page run."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from fpdf import FPDF

from orchestration.core.exports import NOT_AVAILABLE, fmt, reconciliation_rows
from orchestration.reports import content
from orchestration.reports.config import ReportTemplate
from orchestration.reports.content import ReportData

ROW_HEIGHT = 4.6
FONT = "Helvetica"


def _latin(text: str) -> str:
    """The core PDF fonts are Latin-1: replace what they cannot draw instead of failing."""
    return text.encode("latin-1", "replace").decode("latin-1")


class _ReportPdf(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.report_title = _latin(title)
        self.set_auto_page_break(auto=True, margin=14)
        self.set_margins(10, 12, 10)

    def header(self) -> None:
        self.set_font(FONT, "B", 8)
        self.set_text_color(110)
        self.cell(0, 5, self.report_title, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FONT, "", 7)
        self.set_text_color(110)
        self.cell(0, 5, f"CalcBridge - page {self.page_no()}/{{nb}}", align="R")
        self.set_text_color(0)


def _heading(pdf: _ReportPdf, text: str) -> None:
    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 9, _latin(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _subheading(pdf: _ReportPdf, text: str) -> None:
    """A group's heading, moved to the next page with its first rows rather than left alone at the bottom."""
    if pdf.will_page_break(7 + 3 * ROW_HEIGHT):
        pdf.add_page()
    pdf.set_font(FONT, "B", 10)
    pdf.cell(0, 7, _latin(text), new_x="LMARGIN", new_y="NEXT")


def _pairs(pdf: _ReportPdf, rows: Sequence[tuple[str, str]]) -> None:
    for label, value in rows:
        pdf.set_font(FONT, "B", 9)
        pdf.cell(60, 6, _latin(label))
        pdf.set_font(FONT, "", 9)
        pdf.cell(0, 6, _latin(value), new_x="LMARGIN", new_y="NEXT")


def _table(
    pdf: _ReportPdf,
    headers: Sequence[str],
    widths: Sequence[float],
    rows: Sequence[Sequence[Any]],
    numeric: Sequence[bool],
) -> None:
    """A simple grid with the header repeated after each page break (plain cells: fast for thousands of rows)."""

    def draw_header() -> None:
        pdf.set_font(FONT, "B", 7)
        pdf.set_fill_color(225, 230, 240)
        for header, width in zip(headers, widths, strict=True):
            pdf.cell(width, ROW_HEIGHT + 0.6, _latin(header), border=1, fill=True)
        pdf.ln()
        pdf.set_font(FONT, "", 7)

    draw_header()
    for row in rows:
        if pdf.will_page_break(ROW_HEIGHT):
            pdf.add_page()
            draw_header()
        for value, width, is_num in zip(row, widths, numeric, strict=True):
            text = _latin(fmt(value))
            max_chars = max(int(width / 1.45), 3)
            if len(text) > max_chars:
                text = text[: max_chars - 1] + "~"
            pdf.cell(width, ROW_HEIGHT, text, border="B", align="R" if is_num else "L")
        pdf.ln()


def _widths(columns: Sequence[tuple[str, str]], wide: set[str], total: float = 277.0) -> list[float]:
    weights = [
        3.0 if key in wide else 1.4 if key in {"isin", "internal_value", "external_value"} else 1.0
        for key, _ in columns
    ]
    scale = total / sum(weights)
    return [w * scale for w in weights]


NUMERIC_KEYS = {
    "par_amount", "price", "market_value", "spread", "current_value", "trigger_level", "cushion_pct",
    "difference", "difference_pct",
}  # fmt: skip


def _section_table(pdf: _ReportPdf, frame: Any, columns: tuple[tuple[str, str], ...], wide: set[str]) -> None:
    _table(
        pdf,
        [label for _, label in columns],
        _widths(columns, wide),
        content.table_rows(frame, columns),
        [key in NUMERIC_KEYS for key, _ in columns],
    )


def render_pdf(data: ReportData, template: ReportTemplate) -> bytes:
    """The report as PDF bytes: each template section starts on a new page."""
    name = str(data.workbook.get("deal") or data.workbook.get("name") or "CLO")
    pdf = _ReportPdf(f"{template.name} - {name} - {fmt(data.workbook.get('report_date'))}")
    pdf.set_title(f"{template.name}: {name}")
    pdf.set_author("CalcBridge")
    pdf.set_creation_date(data.generated_at)
    options = template.options
    for section in template.sections:
        if section == "transactions" and data.transactions.empty:
            continue
        pdf.add_page()
        if section == "summary":
            _heading(pdf, f"Summary - {name}")
            _pairs(pdf, content.summary_rows(data))
        elif section == "compliance":
            _heading(pdf, "Compliance")
            if data.compliance.empty:
                _pairs(pdf, [("Compliance results", NOT_AVAILABLE)])
                continue
            chart = (
                content.compliance_trend_png(data.compliance_history, data.compliance)
                if options.get("include_charts", True)
                else None
            )
            if chart is not None:
                pdf.image(io.BytesIO(chart), w=200)
                pdf.ln(2)
            for group in content.compliance_groups(data.compliance):  # by category, the deal's order inside
                _subheading(pdf, group.heading())
                _section_table(pdf, group.tests, content.COMPLIANCE_COLUMNS, {"test_id", "name"})
                pdf.ln(2)
        elif section == "holdings":
            _heading(pdf, f"Holdings ({len(data.holdings):,})")
            _section_table(pdf, data.holdings, content.HOLDING_COLUMNS, {"issuer_name", "industry"})
        elif section == "transactions":
            _heading(pdf, f"Transactions ({len(data.transactions):,})")
            _section_table(pdf, data.transactions, content.TRANSACTION_COLUMNS, set())
        elif section == "reconciliation":
            _heading(pdf, "Reconciliation")
            _pairs(pdf, reconciliation_rows(data.reconciliation))
            if data.reconciliation is not None and options.get("include_variance", True) and not data.variances.empty:
                limit = int(options.get("max_variances", 500))
                pdf.ln(3)
                pdf.set_font(FONT, "B", 10)
                shown = min(limit, len(data.variances))
                pdf.cell(0, 6, f"Variances ({shown:,} of {len(data.variances):,})", new_x="LMARGIN", new_y="NEXT")
                _section_table(pdf, data.variances.head(limit), content.VARIANCE_COLUMNS, {"issuer_name"})
    return bytes(pdf.output())
