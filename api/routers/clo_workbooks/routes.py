"""CLO workbooks (seed 000): workbooks, sheets and their rows, holdings, metrics, insights, anomalies, quality.

Everything is scoped to the caller's tenant (another tenant's workbook is a 404); lists use keyset cursors.
Holdings carry the compliance fields (effective rating and its source, rating factor, CCC bucket, years to
maturity) of the workbook's latest compliance run; `/metrics` carries that run's intermediates.
Models in `schemas.py`, queries in `queries.py` of this package.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from api.deps import AppRuntime, Caller, Db, requires_clo
from api.errors import error_responses, not_found
from api.pagination import Page, PageQuery
from api.routers.clo_common import AscPageQuery, InsightOut, WorkbookId, insight_out, iso, number, require_workbook
from api.routers.clo_workbooks import queries as q
from api.routers.clo_workbooks.schemas import (
    DIMENSION_DEFINITIONS,
    AnomalyOut,
    DataQualityOut,
    ErrorInfo,
    HoldingOut,
    MetricsOut,
    MetricsSummary,
    QualitySummary,
    SheetOut,
    SheetRowOut,
    WorkbookInsightsOut,
    WorkbookOut,
)
from api.routers.compliance.queries import compliance_metrics, holding_compliance_fields
from orchestration.clo.ids import sheet_id
from orchestration.clo.quality import WEIGHTS

router = APIRouter(tags=["clo workbooks"], dependencies=[requires_clo()])
ERRORS = error_responses(401, 403, 404, 422, 429, 503)
LIST_ERRORS = error_responses(401, 403, 422, 429, 503)
HoldingSort = Literal[
    "row_index", "cusip", "issuer_name", "par_amount", "market_value", "price", "spread", "maturity_date"
]


def _links(workbook_id: str) -> dict[str, str]:
    """The workbook's links to itself and its sub-resources."""
    base = f"/api/v1/workbooks/{workbook_id}"
    return {
        "self": base,
        "sheets": f"{base}/sheets",
        "holdings": f"{base}/holdings",
        "metrics": f"{base}/metrics",
        "insights": f"{base}/insights",
        "data_quality": f"{base}/data-quality",
        "compliance": f"{base}/compliance",
        "reconciliation": f"{base}/reconciliations",
    }


def _sheets(row: Any) -> list[SheetOut]:
    """A workbook row's sheets with their stable ids."""
    return [
        SheetOut(
            id=sheet_id(row.workbook_id, s["name"]),
            name=s["name"],
            index=int(s.get("index", i)),
            row_count=int(s["row_count"]),
            column_count=int(s["column_count"]),
            hidden=bool(s.get("hidden", False)),
        )
        for i, s in enumerate(row.sheets or [])
    ]


def _workbook(row: Any, detail: bool = False) -> WorkbookOut:
    """A marts.clo_workbooks row in the seed's Workbook shape (processing stats on detail only)."""
    return WorkbookOut(
        id=row.workbook_id,
        name=row.name,
        file_name=row.file_name,
        status=row.status,
        created_at=row.created_at,
        updated_at=row.updated_at,
        report_date=iso(row.report_date),
        source=row.source,
        mapping_profile_id=row.mapping_profile_id,
        tags=list(row.tags or []),
        metadata=dict(row.metadata or {}),
        file_size=int(row.file_size),
        checksum=row.sha256,
        error=ErrorInfo(code=row.error_code, message=row.error_message) if row.error_code else None,
        sheets=_sheets(row),
        metrics=MetricsSummary(
            total_par=number(row.total_par),
            total_mv=number(row.total_mv),
            holding_count=int(row.holding_count or 0),
        ),
        data_quality=QualitySummary(
            score=number(row.data_quality_score),
            issues=int(row.data_quality_issues or 0),
            anomalies=int(row.anomaly_count or 0),
        ),
        processing_stats=dict(row.processing_stats or {}) if detail else None,
        links=_links(row.workbook_id),
    )


def _holding(row: Any) -> HoldingOut:
    """A marts.clo_holdings row in the seed's Holding shape (compliance fields added by the route)."""
    return HoldingOut(
        id=row.holding_id,
        workbook_id=row.workbook_id,
        sheet=row.sheet,
        sheet_id=sheet_id(row.workbook_id, row.sheet),
        row_index=row.row_index,
        cusip=row.cusip,
        isin=row.isin,
        issuer_name=row.issuer_name,
        par_amount=number(row.par_amount),
        market_value=number(row.market_value),
        price=number(row.price),
        spread=number(row.spread),
        coupon=number(row.coupon),
        accrued_interest=number(row.accrued_interest),
        rating_moodys=row.rating_moodys,
        rating_sp=row.rating_sp,
        rating_fitch=row.rating_fitch,
        maturity_date=iso(row.maturity_date),
        industry=row.industry,
        country=row.country,
        currency=row.currency,
        is_defaulted=bool(row.is_defaulted),
        asset_type=row.asset_type,
        cusip_valid=row.cusip_valid,
        isin_valid=row.isin_valid,
        raw_data=dict(row.raw_data or {}),
    )


def _anomaly(row: Any) -> AnomalyOut:
    """A marts anomaly row in the seed's anomaly shape."""
    return AnomalyOut(
        id=row.anomaly_id,
        holding_id=row.holding_id,
        field=row.field,
        cusip=row.cusip,
        issuer_name=row.issuer_name,
        value=number(row.value) or 0.0,
        mean=number(row.mean) or 0.0,
        std=number(row.std) or 0.0,
        expected_range=(number(row.expected_low) or 0.0, number(row.expected_high) or 0.0),
        z_score=number(row.z_score) or 0.0,
        threshold=number(row.threshold) or 0.0,
        detection_method=row.detection_method,
        severity=row.severity,
    )


def _quality_out(row: Any) -> DataQualityOut:
    """A data-quality row with its weights and dimension definitions."""
    return DataQualityOut(
        workbook_id=row.workbook_id,
        overall_score=number(row.overall_score) or 0.0,
        dimensions={d: number(getattr(row, d)) or 0.0 for d in WEIGHTS},
        weights=dict(WEIGHTS),
        issues=int(row.issues),
        definitions=DIMENSION_DEFINITIONS,
        details=dict(row.details or {}),
        computed_at=row.computed_at,
    )


@router.get("/workbooks", summary="List workbooks", responses=LIST_ERRORS)
def list_workbooks(
    db: Db,
    runtime: AppRuntime,
    caller: Caller,
    page: PageQuery,
    sort: Annotated[
        Literal["created_at", "name", "report_date", "status", "data_quality_score"],
        Query(description="Sort field; ties broken by workbook id."),
    ] = "created_at",
    tag: Annotated[str | None, Query(max_length=200, description="Only workbooks carrying this tag.")] = None,
    status: Annotated[
        Literal["pending", "processing", "processed", "failed"] | None, Query(description="Only this status.")
    ] = None,
    report_date_from: Annotated[dt.date | None, Query(description="Report date on or after (YYYY-MM-DD).")] = None,
    report_date_to: Annotated[dt.date | None, Query(description="Report date on or before (YYYY-MM-DD).")] = None,
) -> Page[WorkbookOut]:
    """The caller's workbooks, failed ones included, cursor-paginated."""
    data, info = q.workbooks_page(
        db,
        runtime,
        page,
        caller.tenant_id,
        sort=sort,
        tag=tag,
        status=status,
        report_date_from=report_date_from,
        report_date_to=report_date_to,
        build=_workbook,
    )
    return Page[WorkbookOut](data=data, pagination=info)


@router.get("/workbooks/{workbook_id}", summary="Get a workbook", responses=ERRORS)
def get_workbook(db: Db, caller: Caller, workbook_id: WorkbookId) -> WorkbookOut:
    """One workbook with sheets, metrics, data quality, processing stats and links."""
    return _workbook(require_workbook(db, caller.tenant_id, workbook_id), detail=True)


@router.get("/workbooks/{workbook_id}/sheets", summary="List a workbook's sheets", responses=ERRORS)
def list_sheets(db: Db, caller: Caller, workbook_id: WorkbookId) -> list[SheetOut]:
    """Every sheet: name, row and column counts, hidden or not."""
    return _sheets(require_workbook(db, caller.tenant_id, workbook_id))


@router.get("/workbooks/{workbook_id}/sheets/{name}/data", summary="Page through a sheet's rows", responses=ERRORS)
def sheet_data(
    db: Db,
    runtime: AppRuntime,
    caller: Caller,
    page: AscPageQuery,
    workbook_id: WorkbookId,
    name: Annotated[str, Path(max_length=255, description="Sheet name (case-sensitive).")],
) -> Page[SheetRowOut]:
    """Cell values of one sheet, one item per non-empty row, by Excel row number."""
    workbook = require_workbook(db, caller.tenant_id, workbook_id)
    if name not in {s["name"] for s in workbook.sheets or []}:
        raise not_found("sheet", name)
    data, info = q.sheet_rows_page(
        db,
        runtime,
        page,
        caller.tenant_id,
        workbook.partition_key,
        name,
        build=lambda row: SheetRowOut(row_index=row.row_index, cells=list(row.cells)),
    )
    return Page[SheetRowOut](data=data, pagination=info)


@router.get("/workbooks/{workbook_id}/holdings", summary="List a workbook's holdings", responses=ERRORS)
def list_holdings(
    db: Db,
    runtime: AppRuntime,
    caller: Caller,
    page: AscPageQuery,
    workbook_id: WorkbookId,
    sort: Annotated[HoldingSort, Query(description="Sort field; ties broken by holding id.")] = "row_index",
    cusip: Annotated[str | None, Query(max_length=12, description="Exact CUSIP.")] = None,
    issuer: Annotated[str | None, Query(max_length=255, description="Issuer name contains (case-insensitive).")] = None,
    industry: Annotated[str | None, Query(max_length=255, description="Exact industry (case-insensitive).")] = None,
    rating: Annotated[
        str | None, Query(max_length=10, description="Any agency's canonical rating token equals this.")
    ] = None,
    is_defaulted: Annotated[bool | None, Query(description="Only defaulted (true) or performing (false).")] = None,
) -> Page[HoldingOut]:
    """Canonical holdings of one workbook, filtered and cursor-paginated."""
    require_workbook(db, caller.tenant_id, workbook_id)
    data, info = q.holdings_page(
        db,
        runtime,
        page,
        caller.tenant_id,
        str(workbook_id),
        sort=sort,
        cusip=cusip,
        issuer=issuer,
        industry=industry,
        rating=rating,
        is_defaulted=is_defaulted,
        build=_holding,
    )
    derived = holding_compliance_fields(db, caller.tenant_id, str(workbook_id), [h.id for h in data])
    data = [h.model_copy(update=derived[h.id]) if h.id in derived else h for h in data]
    return Page[HoldingOut](data=data, pagination=info)


@router.get("/workbooks/{workbook_id}/metrics", summary="Get a workbook's aggregated metrics", responses=ERRORS)
def get_metrics(db: Db, caller: Caller, workbook_id: WorkbookId) -> MetricsOut:
    """Total par, total market value, holding count and averages, plus the latest compliance run's intermediates."""
    row = require_workbook(db, caller.tenant_id, workbook_id)
    return MetricsOut(
        workbook_id=row.workbook_id,
        report_date=iso(row.report_date),
        total_par=number(row.total_par),
        total_mv=number(row.total_mv),
        holding_count=int(row.holding_count or 0),
        ccc_par_pct=number(row.ccc_par_pct),
        defaulted_pct=number(row.defaulted_pct),
        wa_spread=number(row.wa_spread),
        wa_price=number(row.wa_price),
        compliance=compliance_metrics(db, caller.tenant_id, str(row.workbook_id)),
    )


@router.get("/workbooks/{workbook_id}/data-quality", summary="Get a workbook's data quality", responses=ERRORS)
def get_data_quality(db: Db, caller: Caller, workbook_id: WorkbookId) -> DataQualityOut:
    """The five dimensions, the overall 0-100 score, their definitions and the findings behind them."""
    workbook = require_workbook(db, caller.tenant_id, workbook_id)
    row = q.quality(db, caller.tenant_id, workbook.partition_key)
    if row is None:
        raise not_found("data quality of workbook", str(workbook_id))
    return _quality_out(row)


@router.get("/workbooks/{workbook_id}/insights", summary="Get a workbook's insights", responses=ERRORS)
def get_workbook_insights(
    db: Db,
    caller: Caller,
    workbook_id: WorkbookId,
    type: Annotated[
        Literal["anomaly", "pattern", "trend", "correlation"] | None, Query(description="Only this type.")
    ] = None,
    severity: Annotated[Literal["info", "warning", "critical"] | None, Query(description="Only this severity.")] = None,
) -> WorkbookInsightsOut:
    """Seed 000's Insights Response: data quality, insights (most severe first) and anomalies."""
    workbook = require_workbook(db, caller.tenant_id, workbook_id)
    rows = q.insight_rows(db, caller.tenant_id, str(workbook_id), type=type, severity=severity)
    anomaly_rows = q.anomaly_rows(db, caller.tenant_id, workbook.partition_key)
    quality = q.quality(db, caller.tenant_id, workbook.partition_key)
    return WorkbookInsightsOut(
        workbook_id=str(workbook_id),
        generated_at=quality.computed_at if quality is not None else None,
        data_quality=(
            {
                "overall_score": number(quality.overall_score),
                "dimensions": {d: number(getattr(quality, d)) for d in WEIGHTS},
            }
            if quality is not None
            else None
        ),
        insights=[insight_out(r) for r in rows],
        anomalies=[_anomaly(r) for r in anomaly_rows],
    )


@router.get("/workbooks/{workbook_id}/anomalies", summary="List a workbook's anomalies", responses=ERRORS)
def list_anomalies(
    db: Db,
    runtime: AppRuntime,
    caller: Caller,
    page: PageQuery,
    workbook_id: WorkbookId,
    field: Annotated[
        Literal["par_amount", "market_value", "price", "spread", "coupon"] | None,
        Query(description="Only this numeric field."),
    ] = None,
) -> Page[AnomalyOut]:
    """Z-score anomalies, largest |z| first by default, with the expected range."""
    workbook = require_workbook(db, caller.tenant_id, workbook_id)
    data, info = q.anomalies_page(
        db, runtime, page, caller.tenant_id, workbook.partition_key, field=field, build=_anomaly
    )
    return Page[AnomalyOut](data=data, pagination=info)


@router.get("/workbooks/{workbook_id}/patterns", summary="List a workbook's identified patterns", responses=ERRORS)
def list_patterns(
    db: Db, runtime: AppRuntime, caller: Caller, page: PageQuery, workbook_id: WorkbookId
) -> Page[InsightOut]:
    """Pattern insights (concentrations, CCC bucket, defaults, duplicates, identifier problems), most severe first."""
    require_workbook(db, caller.tenant_id, workbook_id)
    data, info = q.patterns_page(db, runtime, page, caller.tenant_id, str(workbook_id), build=insight_out)
    return Page[InsightOut](data=data, pagination=info)
