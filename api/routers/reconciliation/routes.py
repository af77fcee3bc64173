"""CLO reconciliation reads (seed 000 Reconciliation API, GET only): runs, variances with history, exports, config.

Runs and variances come from the analytics tables the reconciliation assets write; a variance's status is the
latest event of its append-only history (resolutions arrive as landed files, never through this API).
Models in `schemas.py`, queries in `queries.py` of this package.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from api.deps import AppRuntime, Caller, Db, requires_clo
from api.downloads import attachment
from api.errors import error_responses
from api.pagination import Page, PageQuery
from api.routers.clo_common import WorkbookId, number, require_landed_workbook
from api.routers.reconciliation.queries import (
    current_review,
    first_variances,
    report_frame,
    require_reconciliation,
    require_variance,
    unmatched_positions,
    variance_events,
    variances_page,
    workbook_reconciliations_page,
)
from api.routers.reconciliation.schemas import (
    DETAIL_UNMATCHED,
    DETAIL_VARIANCES,
    AutoRulesOut,
    EventOut,
    ReconciliationDetailOut,
    ReconciliationOut,
    ReconciliationSummaryOut,
    ReconLinks,
    ResolutionOut,
    ToleranceOut,
    UnmatchedOut,
    VarianceDetailOut,
    VarianceOut,
)
from orchestration.reconciliation import config
from orchestration.reconciliation.config import NUMERIC_FIELDS
from orchestration.reconciliation.engine import CATEGORIES, STATUSES
from orchestration.reports.render import MEDIA_TYPES, variances_csv, variances_xlsx

router = APIRouter(tags=["clo reconciliation"], dependencies=[requires_clo()])

ERRORS = error_responses(401, 403, 404, 422, 429, 503)
ReconId = Annotated[uuid.UUID, Path(description="Reconciliation UUID.")]
VarianceId = Annotated[uuid.UUID, Path(description="Variance UUID.")]
CategoryFilter = Literal[
    "par", "price", "rating", "identity", "accrued",
    "par_variance", "price_variance", "rating_variance", "identity_variance", "accrued_variance",
]  # fmt: skip


def _iso(value: dt.date | None) -> str | None:
    """A date as ISO text, None kept."""
    return value.isoformat() if value is not None else None


def _summary(raw: dict[str, Any], current: dict[str, Any]) -> ReconciliationSummaryOut:
    """The stored summary as counts (missing ones 0), its review counts as of now (`queries.current_review`)."""
    merged = {**raw, "requires_review": current["requires_review"], "reviewed": current["reviewed"]}
    return ReconciliationSummaryOut(**{k: int(merged.get(k, 0)) for k in ReconciliationSummaryOut.model_fields})


def _recon(row: Any, current: dict[str, Any]) -> ReconciliationOut:
    """A reconciliations row as the response model, with its links and current review counts."""
    base = f"/api/v1/reconciliations/{row.reconciliation_id}"
    return ReconciliationOut(
        id=row.reconciliation_id,
        workbook_id=row.workbook_id,
        source_type=row.source_type,
        source_file=row.statement_file_name,
        report_date=_iso(row.report_date),
        executed_at=row.executed_at,
        status=row.status,
        tolerance_profile=row.tolerance_profile,
        summary=_summary(row.summary or {}, current),
        links=ReconLinks(variances=f"{base}/variances", report=f"{base}/report"),
    )


def _value(field: str, text: str | None) -> float | str | None:
    """A stored value as a number for numeric fields (text kept if it does not parse), else text."""
    if text is None or field not in NUMERIC_FIELDS:
        return text
    try:
        return float(text)
    except ValueError:
        return text


def _variance(row: Any) -> VarianceOut:
    """A current-variance row as the response model (resolution null while open)."""
    resolution = None
    if row.status != "open":
        resolution = ResolutionOut(
            resolution_type=row.resolution_type,
            explanation=row.explanation,
            action=row.action,
            resolved_by=row.resolved_by,
            resolved_at=row.resolved_at,
            rule_id=row.rule_id,
        )
    return VarianceOut(
        id=row.variance_id,
        reconciliation_id=row.reconciliation_id,
        position_key=row.position_key,
        cusip=row.cusip,
        isin=row.isin,
        issuer=row.issuer_name,
        category=f"{row.category}_variance",
        field=row.field,
        internal_value=_value(row.field, row.internal_value),
        external_value=_value(row.field, row.external_value),
        difference=number(row.difference),
        difference_pct=number(row.difference_pct),
        within_tolerance=row.within_tolerance,
        status=row.status,
        resolution=resolution,
    )


def _unmatched(row: Any) -> UnmatchedOut:
    """An unmatched position with the par of the side it was found on."""
    internal = row.match_status == "unmatched_internal"
    return UnmatchedOut(
        position_key=row.position_key,
        side="internal" if internal else "external",
        cusip=row.cusip,
        isin=row.isin,
        issuer=row.issuer_name,
        par_amount=number(row.internal_par if internal else row.external_par),
    )


@router.get("/workbooks/{workbook_id}/reconciliations", summary="List a workbook's reconciliations", responses=ERRORS)
def list_workbook_reconciliations(
    db: Db, runtime: AppRuntime, caller: Caller, page: PageQuery, workbook_id: WorkbookId
) -> Page[ReconciliationOut]:
    """Every reconciliation of the workbook (trustee, Geneva, Bloomberg), newest first by default."""
    require_landed_workbook(db, caller.tenant_id, workbook_id)
    rows, info = workbook_reconciliations_page(db, runtime, page, caller.tenant_id, workbook_id)
    current = current_review(db, caller.tenant_id, [row.reconciliation_id for row in rows])
    return Page[ReconciliationOut](data=[_recon(row, current[row.reconciliation_id]) for row in rows], pagination=info)


@router.get("/reconciliation/tolerance", summary="Get tolerance settings", responses=error_responses(401, 403, 429))
def get_tolerance() -> ToleranceOut:
    """Every tolerance profile; a statement's sidecar picks one with `tolerance_profile`."""
    return ToleranceOut(default_profile="default", profiles=[p.as_dict() for p in config.load_profiles().values()])


@router.get("/reconciliation/auto-rules", summary="Get auto-resolution rules", responses=error_responses(401, 403, 429))
def get_auto_rules() -> AutoRulesOut:
    """The auto-resolution rules, in the order they are tried."""
    return AutoRulesOut(rules=[r.as_dict() for r in config.load_rules()])


@router.get("/reconciliations/{reconciliation_id}", summary="Get reconciliation details", responses=ERRORS)
def get_reconciliation(db: Db, caller: Caller, reconciliation_id: ReconId) -> ReconciliationDetailOut:
    """A run with its summary, unmatched positions on each side and its first variances (current status)."""
    row = require_reconciliation(db, caller.tenant_id, reconciliation_id)
    unmatched = unmatched_positions(db, caller.tenant_id, row.reconciliation_id, DETAIL_UNMATCHED + 1)
    variances, count = first_variances(db, caller.tenant_id, row.reconciliation_id, DETAIL_VARIANCES)
    summary = row.summary or {}
    current = current_review(db, caller.tenant_id, [row.reconciliation_id])[row.reconciliation_id]
    return ReconciliationDetailOut(
        **_recon(row, current).model_dump(),
        matching_fields=list(row.matching_fields),
        comparison_fields=list(row.comparison_fields),
        variances_by_category={c: int((summary.get("variances_by_category") or {}).get(c, 0)) for c in CATEGORIES},
        variances_by_status={s: int(current["variances_by_status"].get(s, 0)) for s in STATUSES},
        unmatched=[_unmatched(u) for u in unmatched[:DETAIL_UNMATCHED]],
        unmatched_truncated=len(unmatched) > DETAIL_UNMATCHED,
        variances=[_variance(v_) for v_ in variances],
        variance_count=count,
    )


@router.get("/reconciliations/{reconciliation_id}/variances", summary="Get all variances", responses=ERRORS)
def list_variances(
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
    row = require_reconciliation(db, caller.tenant_id, reconciliation_id)
    rows, info = variances_page(
        db, runtime, page, caller.tenant_id, row.reconciliation_id, category, status, within_tolerance
    )
    return Page[VarianceOut](data=[_variance(v_) for v_ in rows], pagination=info)


@router.get(
    "/reconciliations/{reconciliation_id}/variances/{variance_id}",
    summary="Get a variance with its history",
    responses=ERRORS,
)
def get_variance(db: Db, caller: Caller, reconciliation_id: ReconId, variance_id: VarianceId) -> VarianceDetailOut:
    """One variance, its current status and every event of its history (opened, auto-rule, resolutions)."""
    row = require_reconciliation(db, caller.tenant_id, reconciliation_id)
    found = require_variance(db, caller.tenant_id, row.reconciliation_id, variance_id)
    history = [
        EventOut(
            status=ev.status,
            resolution_type=ev.resolution_type,
            explanation=ev.explanation,
            action=ev.action,
            resolved_by=ev.resolved_by,
            rule_id=ev.rule_id,
            source=ev.source,
            recorded_at=ev.recorded_at,
        )
        for ev in variance_events(db, caller.tenant_id, variance_id)
    ]
    return VarianceDetailOut(**_variance(found).model_dump(), history=history)


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
def get_reconciliation_report(
    db: Db,
    caller: Caller,
    reconciliation_id: ReconId,
    format: Annotated[Literal["csv", "xlsx"], Query(description="csv (default) or xlsx.")] = "csv",
) -> Response:
    """Every variance of the run with its current status; text cells are escaped against formula injection."""
    row = require_reconciliation(db, caller.tenant_id, reconciliation_id)
    frame = report_frame(db, caller.tenant_id, row.reconciliation_id)
    name = f"reconciliation_{row.reconciliation_id}.{format}"
    if format == "csv":
        body = variances_csv(frame)
    else:
        current = current_review(db, caller.tenant_id, [row.reconciliation_id])[row.reconciliation_id]
        recon = dict(row._mapping)
        recon["summary"] = {**(row.summary or {}), **current}
        body = variances_xlsx(recon, frame)
    return Response(
        content=body,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": attachment(name)},
    )
