"""One entry point for rendering a template in a format (media types and cell escaping: `core.exports`)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from orchestration.reports.config import ReportTemplate
from orchestration.reports.content import ReportData
from orchestration.reports.pdf import render_pdf

NAMESPACE = uuid.UUID("2d4f7a10-93c5-4b1e-8e0f-5a6b7c8d9e01")


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
