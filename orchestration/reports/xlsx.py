"""Render a workbook report as XLSX with xlsxwriter; every text cell is formula-injection escaped."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from orchestration.core.exports import NOT_AVAILABLE, escape_cell, reconciliation_rows, write_cell, write_table
from orchestration.reports import content
from orchestration.reports.config import ReportTemplate
from orchestration.reports.content import ReportData

SHEET_NAMES: dict[str, str] = {
    "summary": "Summary",
    "compliance": "Compliance",
    "holdings": "Holdings",
    "transactions": "Transactions",
    "reconciliation": "Reconciliation",
}


def _pairs(sheet: Worksheet, top: int, rows: Sequence[tuple[str, str]], bold: Any) -> int:
    for r, (label, value) in enumerate(rows, start=top):
        sheet.write_string(r, 0, str(escape_cell(label)), bold)
        sheet.write_string(r, 1, str(escape_cell(value)))
    return top + len(rows)


def _frame_table(sheet: Worksheet, top: int, frame: pd.DataFrame, columns: Any, header_fmt: Any) -> int:
    return write_table(sheet, top, [label for _, label in columns], content.table_rows(frame, columns), header_fmt)


def _compliance_groups(sheet: Worksheet, top: int, data: ReportData, bold: Any, header_fmt: Any) -> int:
    """Each category's heading, the table header and its tests; returns the next free row.

    No autofilter (unlike the other tables): a sheet has only one, and the headings sit between the tables.
    """
    row = top
    labels = [label for _, label in content.COMPLIANCE_COLUMNS]
    for group in content.compliance_groups(data.compliance):
        sheet.write_string(row, 0, str(escape_cell(group.heading())), bold)
        for col, label in enumerate(labels):
            sheet.write_string(row + 1, col, str(escape_cell(label)), header_fmt)
        row += 2
        for values in content.table_rows(group.tests, content.COMPLIANCE_COLUMNS):
            for col, value in enumerate(values):
                write_cell(sheet, row, col, value)
            row += 1
        row += 1
    return row


def render_xlsx(data: ReportData, template: ReportTemplate) -> bytes:
    """The report as XLSX bytes: one sheet per section (Transactions only when there are any)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    header = book.add_format({"bold": True, "bg_color": "#E1E6F0", "border": 1})
    title = book.add_format({"bold": True, "font_size": 14})
    for section in template.sections:
        if section == "transactions" and data.transactions.empty:
            continue
        sheet = book.add_worksheet(SHEET_NAMES[section])
        sheet.set_column(0, 0, 28)
        sheet.set_column(1, 12, 16)
        sheet.write_string(0, 0, SHEET_NAMES[section], title)
        if section == "summary":
            _pairs(sheet, 2, content.summary_rows(data), bold)
        elif section == "compliance":
            if data.compliance.empty:
                _pairs(sheet, 2, [("Compliance results", NOT_AVAILABLE)], bold)
                continue
            end = _compliance_groups(sheet, 2, data, bold, header)
            chart = (
                content.compliance_trend_png(data.compliance_history, data.compliance)
                if template.options.get("include_charts", True)
                else None
            )
            if chart is not None:
                sheet.insert_image(end + 2, 0, "trend.png", {"image_data": io.BytesIO(chart), "x_scale": 0.8})
        elif section == "holdings":
            _frame_table(sheet, 2, data.holdings, content.HOLDING_COLUMNS, header)
        elif section == "transactions":
            _frame_table(sheet, 2, data.transactions, content.TRANSACTION_COLUMNS, header)
        elif section == "reconciliation":
            end = _pairs(sheet, 2, reconciliation_rows(data.reconciliation), bold)
            if data.reconciliation is not None and template.options.get("include_variance", True):
                _frame_table(sheet, end + 2, data.variances, content.VARIANCE_COLUMNS, header)
    book.close()
    return buffer.getvalue()
