"""The file formats every layer writes: media types, safe cells, and the reconciliation variance exports.

Shared by the reports domain (scheduled PDF/XLSX reports) and the API (on-demand CSV/XLSX exports of a
reconciliation's current variances), so neither imports the other. Every text cell is escaped against formula
injection (OWASP CSV injection): text starting with = + - @ or a tab/CR gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

MEDIA_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
NOT_AVAILABLE = "not available"
DANGEROUS_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
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
"""The columns of a variance export, in order."""
SUMMARY_KEYS: tuple[str, ...] = (
    "total_positions",
    "matched",
    "unmatched_internal",
    "unmatched_external",
    "with_variances",
    "within_tolerance",
    "auto_resolved",
    "requires_review",
    "reviewed",
)
"""The seed-000 reconciliation summary fields, in the order a report lists them."""


def escape_cell(value: Any) -> Any:
    """Prefix a leading apostrophe to text a spreadsheet would run as a formula; numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def fmt(value: Any, digits: int = 2) -> str:
    """Numbers with thousands separators, dates ISO, missing as an empty string."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        return f"{float(value):,.{digits}f}"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_cell(sheet: Worksheet, row: int, col: int, value: Any, fmt_: Any = None) -> None:
    """Numbers as numbers, dates as ISO text, everything else as escaped text (never as a formula)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        sheet.write_blank(row, col, None, fmt_)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, fmt_)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        sheet.write_number(row, col, float(value), fmt_)
    elif hasattr(value, "item") and not isinstance(value, str):
        write_cell(sheet, row, col, value.item(), fmt_)
    else:
        text = fmt(value) if not isinstance(value, str) else value
        sheet.write_string(row, col, str(escape_cell(text)), fmt_)


def write_table(
    sheet: Worksheet, top: int, headers: Sequence[str], rows: Sequence[Sequence[Any]], header_fmt: Any
) -> int:
    """A header row and the rows under it; returns the next free row."""
    for col, header in enumerate(headers):
        sheet.write_string(top, col, str(escape_cell(header)), header_fmt)
    for r, row in enumerate(rows, start=top + 1):
        for col, value in enumerate(row):
            write_cell(sheet, r, col, value)
    if rows:
        sheet.autofilter(top, 0, top + len(rows), len(headers) - 1)
    return top + len(rows) + 1


def reconciliation_rows(recon: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The reconciliation summary as label/value pairs (seed 000 summary fields)."""
    if recon is None:
        return [("Reconciliation", NOT_AVAILABLE)]
    summary = recon.get("summary") or {}
    rows = [
        ("Reconciliation id", str(recon.get("reconciliation_id", ""))),
        ("Source", str(recon.get("source_type", ""))),
        ("Statement", str(recon.get("statement_file_name", ""))),
        ("Executed at", fmt(recon.get("executed_at"))),
        ("Tolerance profile", str(recon.get("tolerance_profile", ""))),
    ]
    rows += [(key.replace("_", " ").capitalize(), fmt(summary.get(key, 0))) for key in SUMMARY_KEYS]
    return rows


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


def variances_xlsx(recon: Mapping[str, Any], variances: pd.DataFrame) -> bytes:
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
