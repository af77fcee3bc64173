"""CLO report reads (seed 000 Reports API, GET only): templates, a workbook's rendered reports, downloads.

Reports are rendered by the `clo/workbook_reports` asset (per workbook partition, monthly schedule or on
demand) and stored as bytea in analytics.clo_workbook_reports; this router lists and serves them through
marts.clo_reports (a view over that table: a report is served as soon as it is rendered).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from api import configuration
from api.deps import AppRuntime, Caller, Db, Reader, requires_clo
from api.downloads import attachment
from api.errors import error_responses, not_found
from api.marts import clo as t
from api.pagination import Page, PageQuery, keyset
from api.routers.clo_common import WORKBOOK_ID, WorkbookId, in_memory_page, require_landed_workbook

router = APIRouter(tags=["clo reports"], dependencies=[requires_clo()])

ERRORS = error_responses(401, 403, 404, 422, 429, 503)
REPORT_ID = "9b2f1c3e-6a4d-5e8f-9a0b-1c2d3e4f5a6b"
ReportId = Annotated[uuid.UUID, Path(description="Report UUID.")]


class TemplateOut(BaseModel):
    """A report template from assets_config/reports/."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "trustee_monthly",
                    "name": "Trustee monthly report",
                    "description": "Month-end CLO report for the trustee and investors.",
                    "formats": ["pdf", "xlsx"],
                    "sections": ["summary", "compliance", "holdings", "transactions", "reconciliation"],
                    "schedule": "monthly",
                    "options": {"include_charts": True, "include_variance": True, "max_variances": 500},
                }
            ]
        }
    )

    id: str
    name: str
    description: str
    formats: list[str]
    sections: list[str]
    schedule: str | None
    options: dict[str, Any]


class ReportLinks(BaseModel):
    """Where to fetch the file."""

    download: str


class ReportOut(BaseModel):
    """A rendered report (seed 000 Report)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": REPORT_ID,
                    "workbook_id": WORKBOOK_ID,
                    "template": "trustee_monthly",
                    "format": "pdf",
                    "file_name": "trustee_monthly_CLO_2024-1_2026-01-25.pdf",
                    "media_type": "application/pdf",
                    "size_bytes": 184320,
                    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    "report_date": "2026-01-25",
                    "generated_at": "2026-01-26T06:00:00Z",
                    "status": "completed",
                    "sections": {
                        "sections": ["summary", "compliance", "holdings", "transactions", "reconciliation"],
                        "compliance": True,
                        "transactions": False,
                        "reconciliation": True,
                    },
                    "reconciliation_id": "7c9e6679-7425-50de-944b-e07fc1f90ae7",
                    "links": {"download": f"/api/v1/reports/{REPORT_ID}/download"},
                }
            ]
        }
    )

    id: str
    workbook_id: str
    template: str
    format: Literal["pdf", "xlsx"]
    file_name: str
    media_type: str
    size_bytes: int
    sha256: str
    report_date: str | None
    generated_at: dt.datetime
    status: Literal["completed"] = "completed"
    sections: dict[str, Any] = Field(description="Sections rendered and which had data.")
    reconciliation_id: str | None
    links: ReportLinks


REPORT_COLUMNS = [c for c in t.reports.c if c.name != "content"]
"""Everything of a report but its bytes (listings and details never read the file)."""
REPORT_LIST = TypeAdapter(list[ReportOut])
TEMPLATES = TypeAdapter(list[TemplateOut])


def _report(row: Any) -> dict[str, Any]:
    """A marts.clo_reports row (without content) as the response fields, with its download link."""
    return {
        "id": row.report_id,
        "workbook_id": row.workbook_id,
        "template": row.template,
        "format": row.format,
        "file_name": row.file_name,
        "media_type": row.media_type,
        "size_bytes": row.size_bytes,
        "sha256": row.sha256,
        "report_date": row.report_date.isoformat() if row.report_date else None,
        "generated_at": row.generated_at,
        "sections": row.sections or {},
        "reconciliation_id": row.reconciliation_id,
        "links": {"download": f"/api/v1/reports/{row.report_id}/download"},
    }


@router.get("/reports/templates", summary="List report templates", responses=error_responses(401, 403, 422, 429, 503))
async def list_templates(db: Db, page: PageQuery) -> Page[TemplateOut]:
    """Every template in assets_config/reports/ (as ops/configuration validated it), by id."""
    items = TEMPLATES.validate_python(await configuration.documents(db, "report_template"))
    data, info = in_memory_page(items, page, key=lambda item: item.id, sort="id")
    return Page[TemplateOut](data=data, pagination=info)


@router.get("/workbooks/{workbook_id}/reports", summary="List a workbook's reports", responses=ERRORS)
async def list_workbook_reports(
    db: Db, runtime: AppRuntime, caller: Caller, page: PageQuery, workbook_id: WorkbookId
) -> Page[ReportOut]:
    """The workbook's rendered reports (one per template and format), newest first by default."""
    await require_landed_workbook(db, caller.tenant_id, workbook_id)
    r = t.reports.c
    data, info = await keyset(
        db,
        runtime.counts,
        page,
        columns=REPORT_COLUMNS,
        filters=[r.tenant_id == caller.tenant_id, r.workbook_id == str(workbook_id)],
        count_from=t.reports,
        sort="generated_at",
        sort_expr=r.generated_at,
        kind="datetime",
        id_expr=r.report_id,
        count_key=("reports", caller.tenant_id, str(workbook_id)),
        build=_report,
    )
    return Page[ReportOut](data=REPORT_LIST.validate_python(data), pagination=info)


async def _require_report(db: Reader, tenant_id: str, report_id: uuid.UUID, *columns: Any) -> Any:
    """The given columns of the caller's report, or 404."""
    r = t.reports.c
    query = sa.select(*columns).where(r.tenant_id == tenant_id, r.report_id == str(report_id)).limit(1)
    row = (await db.execute(query)).first()
    if row is None:
        raise not_found("report", str(report_id))
    return row


@router.get("/reports/{report_id}", summary="Get report details", responses=ERRORS)
async def get_report(db: Db, caller: Caller, report_id: ReportId) -> ReportOut:
    """One report of the caller's tenant."""
    row = await _require_report(db, caller.tenant_id, report_id, *REPORT_COLUMNS)
    return ReportOut.model_validate(_report(row))


@router.get(
    "/reports/{report_id}/download",
    summary="Download report file",
    response_class=Response,
    responses={
        **ERRORS,
        200: {
            "description": "The PDF or XLSX file.",
            "content": {
                "application/pdf": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            },
        },
    },
)
async def download_report(db: Db, caller: Caller, report_id: ReportId) -> Response:
    """The rendered file, with its sha256 in `ETag`."""
    r = t.reports.c
    row = await _require_report(db, caller.tenant_id, report_id, r.content, r.media_type, r.file_name, r.sha256)
    return Response(
        content=bytes(row.content),
        media_type=row.media_type,
        headers={"Content-Disposition": attachment(row.file_name), "ETag": f'"{row.sha256}"'},
    )
