"""CLO reconciliation reads (seed 000 Reconciliation API, GET only): runs, variances with history, exports, config.

Runs and variances come from the analytics tables the reconciliation assets write; a variance's status is the
latest event of its append-only history (resolutions arrive as landed files, never through this API).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import pandas as pd
import sqlalchemy as sa
from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Connection

from api.deps import AppRuntime, Caller, Db, requires
from api.errors import error_responses, not_found
from api.pagination import Page, PageQuery
from api.routers.clo_common import WORKBOOK_ID, WorkbookId, keyset, number, text_key
from orchestration.clo import tables as clo
from orchestration.reconciliation import config, store
from orchestration.reconciliation import tables as t
from orchestration.reconciliation.config import NUMERIC_FIELDS
from orchestration.reconciliation.engine import CATEGORIES, STATUSES
from orchestration.reports.render import MEDIA_TYPES, variances_csv, variances_xlsx

router = APIRouter(tags=["clo reconciliation"], dependencies=[requires("read:clo")])

ERRORS = error_responses(401, 403, 404, 422, 429, 503)
RECON_ID = "7c9e6679-7425-50de-944b-e07fc1f90ae7"
VARIANCE_ID = "1b4e28ba-2fa1-51d2-883f-0016d3cca427"
ReconId = Annotated[uuid.UUID, Path(description="Reconciliation UUID.")]
VarianceId = Annotated[uuid.UUID, Path(description="Variance UUID.")]
CategoryFilter = Literal[
    "par", "price", "rating", "identity", "accrued",
    "par_variance", "price_variance", "rating_variance", "identity_variance", "accrued_variance",
]  # fmt: skip
DETAIL_VARIANCES = 100
DETAIL_UNMATCHED = 200


class SummaryOut(BaseModel):
    """Seed 000's summary in positions: with_variances = within_tolerance + auto_resolved + requires_review."""

    total_positions: int
    matched: int
    unmatched_internal: int
    unmatched_external: int
    with_variances: int
    within_tolerance: int
    auto_resolved: int = 0
    requires_review: int


class ReconLinks(BaseModel):
    """Where the details live."""

    variances: str
    report: str


class ReconciliationOut(BaseModel):
    """One reconciliation run (seed 000 Reconciliation)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": RECON_ID,
                    "workbook_id": WORKBOOK_ID,
                    "source_type": "trustee",
                    "source_file": "trustee_2026-01.xlsx",
                    "report_date": "2026-01-25",
                    "executed_at": "2026-01-25T10:40:00Z",
                    "status": "completed",
                    "tolerance_profile": "default",
                    "summary": {
                        "total_positions": 150,
                        "matched": 145,
                        "unmatched_internal": 3,
                        "unmatched_external": 2,
                        "with_variances": 12,
                        "within_tolerance": 8,
                        "auto_resolved": 0,
                        "requires_review": 4,
                    },
                    "links": {
                        "variances": f"/api/v1/reconciliations/{RECON_ID}/variances",
                        "report": f"/api/v1/reconciliations/{RECON_ID}/report",
                    },
                }
            ]
        }
    )

    id: str
    workbook_id: str
    source_type: Literal["trustee", "geneva", "bloomberg"]
    source_file: str
    report_date: str | None
    executed_at: dt.datetime
    status: str
    tolerance_profile: str
    summary: SummaryOut
    links: ReconLinks


class ResolutionOut(BaseModel):
    """The resolution behind a variance's current status (null while open)."""

    resolution_type: str | None
    explanation: str | None
    action: str | None
    resolved_by: str | None
    resolved_at: dt.datetime | None
    rule_id: str | None = Field(description="Auto-resolution rule that fired, if any.")


class VarianceOut(BaseModel):
    """One variance (seed 000 Variance); numbers for numeric fields, text for ratings and identifiers."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": VARIANCE_ID,
                    "reconciliation_id": RECON_ID,
                    "position_key": "cusip:000361105",
                    "cusip": "000361105",
                    "isin": "US0003611052",
                    "issuer": "ABC Corporation",
                    "category": "par_variance",
                    "field": "par_amount",
                    "internal_value": 5000000,
                    "external_value": 5100000,
                    "difference": -100000,
                    "difference_pct": -1.96,
                    "within_tolerance": False,
                    "status": "open",
                    "resolution": None,
                }
            ]
        }
    )

    id: str
    reconciliation_id: str
    position_key: str
    cusip: str | None
    isin: str | None
    issuer: str | None
    category: str = Field(
        description="par_variance, price_variance, rating_variance, identity_variance, accrued_variance"
    )
    field: str
    internal_value: float | str | None
    external_value: float | str | None
    difference: float | None = Field(description="internal - external (notches for ratings).")
    difference_pct: float | None = Field(description="difference / |external| × 100.")
    within_tolerance: bool
    status: Literal["open", "explained", "resolved", "ignored"]
    resolution: ResolutionOut | None


class EventOut(BaseModel):
    """One entry of a variance's append-only history."""

    status: str
    resolution_type: str | None
    explanation: str | None
    action: str | None
    resolved_by: str | None
    rule_id: str | None
    source: Literal["reconciliation", "auto_rule", "resolution_file"]
    recorded_at: dt.datetime


class VarianceDetailOut(VarianceOut):
    """A variance with its full history, oldest first."""

    history: list[EventOut]


class UnmatchedOut(BaseModel):
    """A position found on one side only."""

    position_key: str
    side: Literal["internal", "external"]
    cusip: str | None
    isin: str | None
    issuer: str | None
    par_amount: float | None


class ReconciliationDetailOut(ReconciliationOut):
    """A run with its options, per-category counts, unmatched positions and its first variances."""

    matching_fields: list[str]
    comparison_fields: list[str]
    variances_by_category: dict[str, int]
    variances_by_status: dict[str, int] = Field(description="Status right after the run (before resolutions).")
    unmatched: list[UnmatchedOut] = Field(description=f"Up to {DETAIL_UNMATCHED} unmatched positions, internal first.")
    unmatched_truncated: bool = Field(description="More unmatched positions exist (see the summary counts).")
    variances: list[VarianceOut] = Field(description=f"The first {DETAIL_VARIANCES} variances in position order.")
    variance_count: int


class ToleranceOut(BaseModel):
    """Tolerance profiles (assets_config/reconciliation/tolerances.yaml)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "default_profile": "default",
                    "profiles": [
                        {
                            "name": "default",
                            "description": "Month-end trustee tie-out",
                            "par_amount": {"absolute": 1.0, "percent": None},
                            "rating": {"notches": 0},
                            "identity": {"issuer_similarity": 0.9},
                        }
                    ],
                }
            ]
        }
    )

    default_profile: str
    profiles: list[dict[str, Any]]


class AutoRulesOut(BaseModel):
    """Auto-resolution rules in the order they are tried (assets_config/reconciliation/auto_rules.yaml)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rules": [
                        {
                            "id": "price_source_eighth_point",
                            "kind": "difference_below",
                            "fields": ["price"],
                            "description": "Price difference below 1/8 point is a pricing-source difference.",
                            "abs_below": 0.125,
                            "precision": 0.01,
                            "explanation": "Pricing source difference (under 1/8 point)",
                            "action": "no_action_required",
                            "enabled": True,
                        }
                    ]
                }
            ]
        }
    )

    rules: list[dict[str, Any]]


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _summary(raw: dict[str, Any]) -> SummaryOut:
    return SummaryOut(**{k: int(raw.get(k, 0)) for k in SummaryOut.model_fields})


def _recon(row: Any) -> ReconciliationOut:
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
        summary=_summary(row.summary or {}),
        links=ReconLinks(variances=f"{base}/variances", report=f"{base}/report"),
    )


def _value(field: str, text: str | None) -> float | str | None:
    if text is None or field not in NUMERIC_FIELDS:
        return text
    try:
        return float(text)
    except ValueError:
        return text


def _variance(row: Any) -> VarianceOut:
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


def require_reconciliation(db: Connection, tenant_id: str, reconciliation_id: uuid.UUID | str) -> Any:
    """The caller's reconciliation, or 404 (another tenant's is indistinguishable from an unknown one)."""
    r = t.reconciliations.c
    row = db.execute(
        sa.select(t.reconciliations).where(r.tenant_id == tenant_id, r.reconciliation_id == str(reconciliation_id))
    ).first()
    if row is None:
        raise not_found("reconciliation", str(reconciliation_id))
    return row


def require_tenant_workbook(db: Connection, tenant_id: str, workbook_id: uuid.UUID) -> None:
    """404 unless the caller's tenant has landed this workbook."""
    w = clo.workbooks.c
    found = db.execute(
        sa.select(w.workbook_id).where(w.tenant_id == tenant_id, w.workbook_id == str(workbook_id)).limit(1)
    ).first()
    if found is None:
        raise not_found("workbook", str(workbook_id))


@router.get("/workbooks/{workbook_id}/reconciliations", summary="List a workbook's reconciliations", responses=ERRORS)
def list_workbook_reconciliations(
    db: Db, runtime: AppRuntime, caller: Caller, page: PageQuery, workbook_id: WorkbookId
) -> Page[ReconciliationOut]:
    """Every reconciliation of the workbook (trustee, Geneva, Bloomberg), newest first by default."""
    require_tenant_workbook(db, caller.tenant_id, workbook_id)
    r = t.reconciliations.c
    data, info = keyset(
        db,
        runtime,
        page,
        columns=[t.reconciliations],
        filters=[r.tenant_id == caller.tenant_id, r.workbook_id == str(workbook_id)],
        count_from=t.reconciliations,
        sort="executed_at",
        sort_expr=r.executed_at,
        kind="datetime",
        id_expr=r.reconciliation_id,
        count_key=("reconciliations", caller.tenant_id, str(workbook_id)),
        build=_recon,
    )
    return Page[ReconciliationOut](data=data, pagination=info)


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
    p = t.positions.c
    unmatched = db.execute(
        sa.select(p.position_key, p.match_status, p.cusip, p.isin, p.issuer_name, p.internal_par, p.external_par)
        .where(p.tenant_id == caller.tenant_id, p.partition_key == row.partition_key, p.match_status != "matched")
        .order_by(p.match_status, p.position_key)
        .limit(DETAIL_UNMATCHED + 1)
    ).all()
    vs = store.current_variances_subquery(caller.tenant_id)
    filters = [vs.c.reconciliation_id == row.reconciliation_id]
    variances = db.execute(
        sa.select(vs).where(*filters).order_by(vs.c.position_key, vs.c.variance_id).limit(DETAIL_VARIANCES)
    ).all()
    count = db.execute(sa.select(sa.func.count()).select_from(vs).where(*filters)).scalar_one()
    summary = row.summary or {}
    return ReconciliationDetailOut(
        **_recon(row).model_dump(),
        matching_fields=list(row.matching_fields),
        comparison_fields=list(row.comparison_fields),
        variances_by_category={c: int((summary.get("variances_by_category") or {}).get(c, 0)) for c in CATEGORIES},
        variances_by_status={s: int((summary.get("variances_by_status") or {}).get(s, 0)) for s in STATUSES},
        unmatched=[
            UnmatchedOut(
                position_key=u.position_key,
                side="internal" if u.match_status == "unmatched_internal" else "external",
                cusip=u.cusip,
                isin=u.isin,
                issuer=u.issuer_name,
                par_amount=number(u.internal_par if u.match_status == "unmatched_internal" else u.external_par),
            )
            for u in unmatched[:DETAIL_UNMATCHED]
        ],
        unmatched_truncated=len(unmatched) > DETAIL_UNMATCHED,
        variances=[_variance(v_) for v_ in variances],
        variance_count=int(count),
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
    vs = store.current_variances_subquery(caller.tenant_id)
    filters = [vs.c.reconciliation_id == row.reconciliation_id]
    if category is not None:
        filters.append(vs.c.category == category.removesuffix("_variance"))
    if status is not None:
        filters.append(vs.c.status == status)
    if within_tolerance is not None:
        filters.append(vs.c.within_tolerance.is_(within_tolerance))
    data, info = keyset(
        db,
        runtime,
        page,
        columns=[vs],
        filters=filters,
        count_from=vs,
        sort="position",
        sort_expr=text_key(vs.c.position_key),
        kind="text",
        id_expr=vs.c.variance_id,
        count_key=("variances", caller.tenant_id, row.reconciliation_id, category, status, within_tolerance),
        build=_variance,
    )
    return Page[VarianceOut](data=data, pagination=info)


@router.get(
    "/reconciliations/{reconciliation_id}/variances/{variance_id}",
    summary="Get a variance with its history",
    responses=ERRORS,
)
def get_variance(db: Db, caller: Caller, reconciliation_id: ReconId, variance_id: VarianceId) -> VarianceDetailOut:
    """One variance, its current status and every event of its history (opened, auto-rule, resolutions)."""
    row = require_reconciliation(db, caller.tenant_id, reconciliation_id)
    vs = store.current_variances_subquery(caller.tenant_id)
    found = db.execute(
        sa.select(vs).where(vs.c.reconciliation_id == row.reconciliation_id, vs.c.variance_id == str(variance_id))
    ).first()
    if found is None:
        raise not_found("variance", str(variance_id))
    e = t.variance_events.c
    events = db.execute(
        sa.select(t.variance_events)
        .where(e.tenant_id == caller.tenant_id, e.variance_id == str(variance_id))
        .order_by(e.recorded_at, e.seq, e.source.desc())
    ).all()
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
        for ev in events
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
    vs = store.current_variances_subquery(caller.tenant_id)
    frame_rows = (
        db.execute(
            sa.select(vs)
            .where(vs.c.reconciliation_id == row.reconciliation_id)
            .order_by(vs.c.position_key, vs.c.variance_id)
        )
        .mappings()
        .all()
    )
    # The export's auto_rule_id is the rule of the latest event (else the rule that auto-resolved it).
    frame = (
        pd.DataFrame(frame_rows, columns=list(vs.c.keys()))
        .drop(columns=["auto_rule_id"])
        .rename(columns={"rule_id": "auto_rule_id"})
    )
    for column in ("difference", "difference_pct"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    name = f"reconciliation_{row.reconciliation_id}.{format}"
    if format == "csv":
        body = variances_csv(frame)
    else:
        recon = dict(row._mapping)
        body = variances_xlsx(recon, frame)
    return Response(
        content=body,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
