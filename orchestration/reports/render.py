"""One entry point for rendering a template in a format, plus the reconciliation exports (CSV and XLSX)."""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from dataclasses import dataclass
from typing import Any

import pandas as pd
import xlsxwriter

from orchestration.reports.config import ReportTemplate
from orchestration.reports.content import VARIANCE_COLUMNS, ReportData, reconciliation_rows
from orchestration.reports.escape import escape_cell
from orchestration.reports.pdf import render_pdf
from orchestration.reports.xlsx import write_table

MEDIA_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
NAMESPACE = uuid.UUID("2d4f7a10-93c5-4b1e-8e0f-5a6b7c8d9e01")
EXPORT_COLUMNS: tuple[str, ...] = (
    "variance_id",
    "position_key",
    "cusip",
    "isin",
    "issuer_name",
    "category",
    "field",
    "internal_value",
    "external_value",
    "difference",
    "difference_pct",
    "within_tolerance",
    "status",
    "resolution_type",
    "auto_rule_id",
    "explanation",
    "resolved_by",
)


@dataclass(frozen=True)
class RenderedReport:
    """A rendered file with its id (stable per workbook, template and format) and checksum."""

    report_id: str
    template: str
    format: str
    file_name: str
    content: bytes
    sha256: str


def report_id(workbook_id: str, template: str, fmt: str) -> str:
    """uuid5 of ``"{workbook_id}:{template}:{format}"``: re-rendering replaces the same report."""
    return str(uuid.uuid5(NAMESPACE, f"{workbook_id}:{template}:{fmt}"))


def render(data: ReportData, template: ReportTemplate, fmt: str) -> RenderedReport:
    """Render one template in one format."""
    from orchestration.reports.xlsx import render_xlsx

    body = render_pdf(data, template) if fmt == "pdf" else render_xlsx(data, template)
    stem = str(data.workbook.get("name") or data.workbook.get("workbook_id") or "workbook")
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem)[:60]
    date = str(data.workbook.get("report_date") or "")
    return RenderedReport(
        report_id=report_id(str(data.workbook.get("workbook_id")), template.id, fmt),
        template=template.id,
        format=fmt,
        file_name=f"{template.id}_{safe}_{date}.{fmt}".replace("_.", "."),
        content=body,
        sha256=hashlib.sha256(body).hexdigest(),
    )


def _export_rows(variances: pd.DataFrame) -> list[list[Any]]:
    frame = variances.reindex(columns=list(EXPORT_COLUMNS))
    return frame.astype(object).where(frame.notna(), None).to_numpy().tolist()


def variances_csv(variances: pd.DataFrame) -> bytes:
    """The variances of one reconciliation as CSV, every text cell escaped against formula injection."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in _export_rows(variances):
        writer.writerow(["" if v is None else escape_cell(v) if isinstance(v, str) else v for v in row])
    return buffer.getvalue().encode("utf-8")


def variances_xlsx(recon: dict[str, Any], variances: pd.DataFrame) -> bytes:
    """A Summary sheet and a Variances sheet for one reconciliation."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    header = book.add_format({"bold": True, "bg_color": "#E1E6F0", "border": 1})
    summary = book.add_worksheet("Summary")
    summary.set_column(0, 1, 30)
    for r, (label, value) in enumerate(reconciliation_rows(recon)):
        summary.write_string(r, 0, str(escape_cell(label)), bold)
        summary.write_string(r, 1, str(escape_cell(value)))
    sheet = book.add_worksheet("Variances")
    sheet.set_column(0, len(EXPORT_COLUMNS) - 1, 16)
    write_table(sheet, 0, EXPORT_COLUMNS, _export_rows(variances), header)
    book.close()
    return buffer.getvalue()


__all__ = ["MEDIA_TYPES", "VARIANCE_COLUMNS", "RenderedReport", "render", "variances_csv", "variances_xlsx"]
