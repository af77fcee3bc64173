"""CLO reconciliation reads (seed 000 Reconciliation API, GET only): runs, variances with history, exports, config.

Runs, variances and histories come from the reconciliation marts, views that dbt builds over the analytics
tables: a run's counts and each variance's current status (the latest event of its append-only history;
resolutions arrive as landed files, never through this API) are current without a rebuild. Models in
`schemas.py`, queries in `queries.py` of this package.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import TypeAdapter
from sqlalchemy.engine import Row

from api import configuration
from api.deps import AppRuntime, Caller, Db, requires_clo
from api.downloads import attachment
from api.errors import error_responses
from api.pagination import Page, PageQuery
from api.routers.clo_common import WorkbookId, iso, number, require_landed_workbook
from api.routers.provenance.links import provenance_link
from api.routers.reconciliation.queries import (
    require_reconciliation,
    require_variance,
    run_variances,
    unmatched_positions,
    variance_events,
    variances_page,
    workbook_reconciliations_page,
)
from api.routers.reconciliation.schemas import (
    DETAIL_UNMATCHED,
    DETAIL_VARIANCES,
    AutoRulesOut,
    ReconciliationDetailOut,
    ReconciliationOut,
    ReconciliationSummaryOut,
    ToleranceOut,
    VarianceDetailOut,
    VarianceOut,
)
from orchestration.core.exports import MEDIA_TYPES, variances_csv, variances_xlsx

router = APIRouter(tags=["clo reconciliation"], dependencies=[requires_clo()])

ERRORS = error_responses(401, 403, 404, 422, 429, 503)
ReconId = Annotated[uuid.UUID, Path(description="Reconciliation UUID.")]
VarianceId = Annotated[uuid.UUID, Path(description="Variance UUID.")]
CategoryFilter = Literal[
    "par", "price", "rating", "identity", "accrued",
    "par_variance", "price_variance", "rating_variance", "identity_variance", "accrued_variance",
]  # fmt: skip
SUMMARY_FIELDS = tuple(ReconciliationSummaryOut.model_fields)
RECONCILIATION_PAGE = TypeAdapter(Page[ReconciliationOut])
VARIANCE_PAGE = TypeAdapter(Page[VarianceOut])


def _summary(row: Row[Any]) -> dict[str, int]:
    """The run's counts as of now, as `marts.reconciliation_summaries` computes them."""
    values = row._mapping
    return {name: values[name] for name in SUMMARY_FIELDS}


def _recon(row: Row[Any]) -> dict[str, Any]:
    """A `reconciliation_summaries` row as ReconciliationOut's fields, with its links."""
    base = f"/api/v1/reconciliations/{row.reconciliation_id}"
    return {
        "id": row.reconciliation_id,
        "workbook_id": row.workbook_id,
        "source_type": row.source_type,
        "source_file": row.statement_file_name,
        "report_date": iso(row.report_date),
        "executed_at": row.executed_at,
        "status": row.status,
        "tolerance_profile": row.tolerance_profile,
        "summary": _summary(row),
        "links": {"variances": f"{base}/variances", "report": f"{base}/report"},
    }


def _value(parsed: Any, text: str | None) -> float | str | None:
    """A compared value: the number the mart parsed (par, price, accrued), else the text as stored."""
    return text if parsed is None else float(parsed)


def _variance(row: Row[Any]) -> dict[str, Any]:
    """A `reconciliation_variances` row as VarianceOut's fields (resolution null while open)."""
    resolution = None
    if row.status != "open":
        resolution = {
            "resolution_type": row.resolution_type,
            "explanation": row.explanation,
            "action": row.action,
            "resolved_by": row.resolved_by,
            "resolved_at": row.resolved_at,
            "rule_id": row.rule_id,
        }
    return {
        "id": row.variance_id,
        "reconciliation_id": row.reconciliation_id,
        "position_key": row.position_key,
        "cusip": row.cusip,
        "isin": row.isin,
        "issuer": row.issuer_name,
        "category": f"{row.category}_variance",
        "field": row.field,
        "internal_value": _value(row.internal_number, row.internal_value),
        "external_value": _value(row.external_number, row.external_value),
        "difference": number(row.difference),
        "difference_pct": number(row.difference_pct),
        "within_tolerance": row.within_tolerance,
        "status": row.status,
        "resolution": resolution,
        "links": provenance_link("variance", row.variance_id),
    }


def _unmatched(row: Row[Any]) -> dict[str, Any]:
    """An unmatched position with the side it was found on and its par there."""
    return {
        "position_key": row.position_key,
        "side": row.unmatched_side,
        "cusip": row.cusip,
        "isin": row.isin,
        "loanx_id": row.loanx_id,
        "figi": row.figi,
        "asset_id": row.asset_id,
        "issuer": row.issuer_name,
        "par_amount": number(row.unmatched_par),
    }


def _render_report(fmt: str, run: Row[Any], variances: list[Row[Any]]) -> bytes:
    """The export's bytes (blocking: pandas and the CSV/XLSX writers; call it in a worker thread).

    The export's `auto_rule_id` is the rule of the variance's latest event, else the rule that auto-resolved it.
    """
    frame = pd.DataFrame([{**row._mapping, "auto_rule_id": row.rule_id} for row in variances])
    for column in ("difference", "difference_pct"):
        if column in frame:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    if fmt == "csv":
        return variances_csv(frame)
    return variances_xlsx({**run._mapping, "summary": _summary(run)}, frame)


@router.get("/workbooks/{workbook_id}/reconciliations", summary="List a workbook's reconciliations", responses=ERRORS)
async def list_workbook_reconciliations(
    db: Db, runtime: AppRuntime, caller: Caller, page: PageQuery, workbook_id: WorkbookId
) -> Page[ReconciliationOut]:
    """Every reconciliation of the workbook (trustee, Geneva, Bloomberg), newest first by default."""
    await require_landed_workbook(db, caller.tenant_id, workbook_id)
    rows, info = await workbook_reconciliations_page(db, runtime, page, caller.tenant_id, workbook_id)
    return RECONCILIATION_PAGE.validate_python({"data": [_recon(row) for row in rows], "pagination": info})


@router.get(
    "/reconciliation/tolerance", summary="Get tolerance settings", responses=error_responses(401, 403, 429, 503)
)
async def get_tolerance(db: Db) -> ToleranceOut:
    """Every tolerance profile; a statement's sidecar picks one with `tolerance_profile`."""
    profiles = await configuration.documents(db, "reconciliation_tolerance_profile")
    return ToleranceOut.model_validate({"default_profile": "default", "profiles": profiles})


@router.get(
    "/reconciliation/auto-rules", summary="Get auto-resolution rules", responses=error_responses(401, 403, 429, 503)
)
async def get_auto_rules(db: Db) -> AutoRulesOut:
    """The auto-resolution rules, in the order they are tried."""
    return AutoRulesOut.model_validate({"rules": await configuration.documents(db, "reconciliation_auto_rule")})


@router.get("/reconciliations/{reconciliation_id}", summary="Get reconciliation details", responses=ERRORS)
async def get_reconciliation(db: Db, caller: Caller, reconciliation_id: ReconId) -> ReconciliationDetailOut:
    """A run with its summary, unmatched positions on each side and its first variances (current status)."""
    row = await require_reconciliation(db, caller.tenant_id, reconciliation_id)
    unmatched = await unmatched_positions(db, caller.tenant_id, row.reconciliation_id, DETAIL_UNMATCHED + 1)
    variances = await run_variances(db, caller.tenant_id, row.reconciliation_id, DETAIL_VARIANCES)
    return ReconciliationDetailOut.model_validate(
        {
            **_recon(row),
            "matching_fields": row.matching_fields,
            "comparison_fields": row.comparison_fields,
            "variances_by_category": row.variances_by_category,
            "variances_by_status": row.variances_by_status,
            "unmatched": [_unmatched(u) for u in unmatched[:DETAIL_UNMATCHED]],
            "unmatched_truncated": len(unmatched) > DETAIL_UNMATCHED,
            "variances": [_variance(v) for v in variances],
            "variance_count": row.variances,
        }
    )


@router.get("/reconciliations/{reconciliation_id}/variances", summary="Get all variances", responses=ERRORS)
async def list_variances(
    db: Db,
    runtime: AppRuntime,
    caller: Caller,
    page: PageQuery,
    reconciliation_id: ReconId,
    category: Annotated[CategoryFilter | None, Query(description="par, price, rating, identity or accrued.")] = None,
    status: Annotated[Literal["open", "explained", "resolved", "ignored"] | None, Query()] = None,
    within_tolerance: Annotated[bool | None, Query()] = None,
) -> Page[VarianceOut]:
    """A run's variances with their current status, filtered and cursor-paginated by position."""
    run = await require_reconciliation(db, caller.tenant_id, reconciliation_id)
    base_category = category.removesuffix("_variance") if category is not None else None
    rows, info = await variances_page(
        db, runtime, page, caller.tenant_id, run.reconciliation_id, (base_category, status, within_tolerance)
    )
    return VARIANCE_PAGE.validate_python({"data": [_variance(v) for v in rows], "pagination": info})


@router.get(
    "/reconciliations/{reconciliation_id}/variances/{variance_id}",
    summary="Get a variance with its history",
    responses=ERRORS,
)
async def get_variance(
    db: Db, caller: Caller, reconciliation_id: ReconId, variance_id: VarianceId
) -> VarianceDetailOut:
    """One variance, its current status and every event of its history (opened, auto-rule, resolutions)."""
    run = await require_reconciliation(db, caller.tenant_id, reconciliation_id)
    found = await require_variance(db, caller.tenant_id, run.reconciliation_id, variance_id)
    history = await variance_events(db, caller.tenant_id, variance_id)
    return VarianceDetailOut.model_validate({**_variance(found), "history": [event._asdict() for event in history]})


@router.get(
    "/reconciliations/{reconciliation_id}/report",
    summary="Download a reconciliation report",
    response_class=Response,
    responses={
        **ERRORS,
        200: {
            "description": "The variances as CSV, or an XLSX with Summary and Variances sheets.",
            "content": {MEDIA_TYPES["csv"]: {}, MEDIA_TYPES["xlsx"]: {}},
        },
    },
)
async def get_reconciliation_report(
    db: Db,
    caller: Caller,
    reconciliation_id: ReconId,
    format: Annotated[Literal["csv", "xlsx"], Query(description="csv (default) or xlsx.")] = "csv",
) -> Response:
    """Every variance of the run with its current status; text cells are escaped against formula injection."""
    run = await require_reconciliation(db, caller.tenant_id, reconciliation_id)
    variances = await run_variances(db, caller.tenant_id, run.reconciliation_id, None)
    body = await run_in_threadpool(_render_report, format, run, variances)
    return Response(
        content=body,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": attachment(f"reconciliation_{run.reconciliation_id}.{format}")},
    )
