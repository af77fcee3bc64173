"""CLO workbooks (seed 000): workbooks, sheets and their rows, holdings, metrics, insights, anomalies, quality.

Everything is scoped to the caller's tenant (another tenant's workbook is a 404); lists use keyset cursors.
Holdings carry the compliance fields (effective rating and its source, rating factor, CCC bucket, years to
maturity) of the workbook's latest compliance run; `/metrics` carries that run's intermediates.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Connection

from api.deps import AppRuntime, Caller, Db, requires
from api.errors import error_responses, not_found
from api.pagination import Page, PageQuery
from api.routers import clo_tables as t
from api.routers.clo_common import (
    WORKBOOK_ID,
    AscPageQuery,
    WorkbookId,
    date_key,
    iso,
    keyset,
    number,
    number_key,
    require_workbook,
    text_key,
)
from api.routers.compliance.queries import compliance_metrics, holding_compliance_fields
from orchestration.clo.ids import sheet_id
from orchestration.clo.quality import WEIGHTS

router = APIRouter(tags=["clo workbooks"], dependencies=[requires("read:clo")])
ERRORS = error_responses(401, 403, 404, 422, 429, 503)
LIST_ERRORS = error_responses(401, 403, 422, 429, 503)
HOLDING_ID = "7c9e6679-7425-5de4-944b-e07fc1f90ae7"
DIMENSION_DEFINITIONS: dict[str, str] = {
    "completeness": "Present cells over 10 checks per holding (identifier, issuer, par, MV, price, spread, "
    "maturity, any rating, industry, country).",
    "accuracy": "Holdings without an accuracy finding (bad check digit, par <= 0, price outside 0-200, spread "
    "outside 0-3000 bps, maturity outside 1990-2100, unreadable source value) over all holdings.",
    "consistency": "Consistent checks over applicable ones: MV within 1% of par x price / 100; Moody's and S&P "
    "at most 3 notches apart.",
    "timeliness": "100 when the report date is at most 7 days before landing, 0 at 97 days or more, linear between.",
    "uniqueness": "1 - duplicate rows / holdings; the key is CUSIP, else ISIN, else issuer and maturity.",
}


class SheetOut(BaseModel):
    """A sheet of a workbook (seed 000 Workbook Response `sheets`)."""

    id: str
    name: str
    index: int
    row_count: int
    column_count: int
    hidden: bool


class MetricsSummary(BaseModel):
    """Aggregated holdings metrics."""

    total_par: float
    total_mv: float
    holding_count: int


class QualitySummary(BaseModel):
    """Data-quality summary on a workbook."""

    score: float | None
    issues: int
    anomalies: int


class ErrorInfo(BaseModel):
    """Why a workbook failed."""

    code: str
    message: str | None


class WorkbookOut(BaseModel):
    """A workbook (seed 000 Workbook Response)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": WORKBOOK_ID,
                    "name": "CLO_Portfolio_2026_01.xlsx",
                    "file_name": "CLO_Portfolio_2026_01.xlsx",
                    "status": "processed",
                    "created_at": "2026-01-25T10:30:00Z",
                    "updated_at": "2026-01-25T10:30:45Z",
                    "report_date": "2026-01-25",
                    "source": "Bloomberg",
                    "mapping_profile_id": "bloomberg_clo",
                    "tags": ["monthly", "CLO-1"],
                    "metadata": {"report_date": "2026-01-25", "source": "Bloomberg"},
                    "file_size": 10485760,
                    "checksum": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    "error": None,
                    "sheets": [
                        {
                            "id": "sheet_uuid",
                            "name": "Holdings",
                            "index": 0,
                            "row_count": 1500,
                            "column_count": 45,
                            "hidden": False,
                        }
                    ],
                    "metrics": {"total_par": 500000000, "total_mv": 485000000, "holding_count": 150},
                    "data_quality": {"score": 92.5, "issues": 3, "anomalies": 1},
                    "processing_stats": None,
                    "links": {
                        "self": f"/api/v1/workbooks/{WORKBOOK_ID}",
                        "holdings": f"/api/v1/workbooks/{WORKBOOK_ID}/holdings",
                        "compliance": f"/api/v1/workbooks/{WORKBOOK_ID}/compliance",
                        "reconciliation": f"/api/v1/workbooks/{WORKBOOK_ID}/reconciliations",
                    },
                }
            ]
        }
    )

    id: str
    name: str
    file_name: str
    status: Literal["pending", "processing", "processed", "failed"]
    created_at: dt.datetime
    updated_at: dt.datetime
    report_date: str | None
    source: str | None
    mapping_profile_id: str | None
    tags: list[str]
    metadata: dict[str, Any]
    file_size: int
    checksum: str = Field(description="SHA-256 of the file.")
    error: ErrorInfo | None
    sheets: list[SheetOut]
    metrics: MetricsSummary
    data_quality: QualitySummary
    processing_stats: dict[str, Any] | None = Field(
        default=None, description="Timings, formula counts (cells, cached, evaluated, failed); detail only."
    )
    links: dict[str, str]


class SheetRowOut(BaseModel):
    """One row of a sheet: Excel row number and cell values (formulas resolved)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"row_index": 5, "cells": ["CUSIP_ID", "ISIN"]}]})

    row_index: int
    cells: list[Any]


class HoldingOut(BaseModel):
    """A holding (seed 000 Holding) plus its fields from the latest compliance run (null before one ran)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": HOLDING_ID,
                    "workbook_id": WORKBOOK_ID,
                    "sheet": "Holdings",
                    "sheet_id": "sheet_uuid",
                    "row_index": 6,
                    "cusip": "000361105",
                    "isin": "US0003611052",
                    "issuer_name": "ABC Corporation",
                    "par_amount": 5000000,
                    "market_value": 4925000,
                    "price": 98.5,
                    "spread": 425,
                    "coupon": 8.75,
                    "accrued_interest": None,
                    "rating_moodys": "B2",
                    "rating_sp": "B",
                    "rating_fitch": None,
                    "maturity_date": "2029-06-15",
                    "industry": "Healthcare",
                    "country": "US",
                    "currency": "USD",
                    "is_defaulted": False,
                    "asset_type": "Senior Secured Loan",
                    "cusip_valid": True,
                    "isin_valid": True,
                    "raw_data": {"CUSIP_ID": "000361105", "Face Value": 5000000},
                    "effective_rating": None,
                    "rating_source": None,
                    "rating_factor": None,
                    "in_ccc_bucket": None,
                    "years_to_maturity": None,
                }
            ]
        }
    )

    id: str
    workbook_id: str
    sheet: str
    sheet_id: str
    row_index: int
    cusip: str | None
    isin: str | None
    issuer_name: str | None
    par_amount: float | None
    market_value: float | None
    price: float | None
    spread: float | None
    coupon: float | None
    accrued_interest: float | None
    rating_moodys: str | None
    rating_sp: str | None
    rating_fitch: str | None
    maturity_date: str | None
    industry: str | None
    country: str | None
    currency: str | None
    is_defaulted: bool
    asset_type: str | None
    cusip_valid: bool | None
    isin_valid: bool | None
    raw_data: dict[str, Any]
    effective_rating: str | None = None
    rating_source: str | None = None
    rating_factor: float | None = None
    in_ccc_bucket: bool | None = None
    years_to_maturity: float | None = None


class MetricsOut(BaseModel):
    """Aggregated metrics of a workbook; `compliance` holds the latest compliance run's intermediates (or null)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workbook_id": WORKBOOK_ID,
                    "report_date": "2026-01-25",
                    "total_par": 500000000,
                    "total_mv": 485000000,
                    "holding_count": 150,
                    "ccc_par_pct": 6.2,
                    "defaulted_pct": 0.5,
                    "wa_spread": 385.2,
                    "wa_price": 97.1,
                    "compliance": None,
                }
            ]
        }
    )

    workbook_id: str
    report_date: str | None
    total_par: float
    total_mv: float
    holding_count: int
    ccc_par_pct: float | None = Field(description=t.CCC_PAR_PCT_DESCRIPTION)
    defaulted_pct: float | None
    wa_spread: float | None = Field(description="Par-weighted average spread, bps.")
    wa_price: float | None = Field(description="Par-weighted average price, percent of par.")
    compliance: dict[str, Any] | None = None


class InsightOut(BaseModel):
    """An insight (seed 000 Insight)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "3f2b8f0c-7f0e-5f45-9d0a-2a1c6c1b6a11",
                    "workbook_id": WORKBOOK_ID,
                    "type": "anomaly",
                    "severity": "warning",
                    "title": "Unusual spread detected",
                    "description": "Position XYZ Corp has spread 850bps, which is 3.2 standard deviations above "
                    "the portfolio average (410bps)",
                    "affected_positions": ["123456789"],
                    "recommendation": "Verify spread is correctly captured from source",
                    "status": "active",
                    "created_at": "2026-01-25T10:45:00Z",
                    "report_date": "2026-01-25",
                    "trend_data": None,
                    "data": {"field": "spread", "z_score": 3.2},
                }
            ]
        }
    )

    id: str
    workbook_id: str
    type: Literal["anomaly", "pattern", "trend", "correlation"]
    severity: Literal["info", "warning", "critical"]
    title: str
    description: str
    affected_positions: list[str]
    recommendation: str | None
    status: str
    created_at: dt.datetime
    report_date: str | None
    trend_data: list[dict[str, Any]] | None = None
    data: dict[str, Any]


class AnomalyOut(BaseModel):
    """A z-score anomaly (seed 000 Insights Response `anomalies`)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0c1d2e3f-0000-5000-8000-000000000001",
                    "holding_id": HOLDING_ID,
                    "field": "spread",
                    "cusip": "123456789",
                    "issuer_name": "XYZ Corp",
                    "value": 850,
                    "mean": 350,
                    "std": 156.25,
                    "expected_range": [-118.75, 818.75],
                    "z_score": 3.2,
                    "threshold": 3.0,
                    "detection_method": "z_score",
                    "severity": "warning",
                }
            ]
        }
    )

    id: str
    holding_id: str
    field: str
    cusip: str | None
    issuer_name: str | None
    value: float
    mean: float
    std: float
    expected_range: tuple[float, float]
    z_score: float
    threshold: float
    detection_method: str
    severity: str


class DataQualityOut(BaseModel):
    """The five dimensions, overall score and how each was computed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workbook_id": WORKBOOK_ID,
                    "overall_score": 92.5,
                    "dimensions": {
                        "completeness": 98.0,
                        "accuracy": 95.0,
                        "consistency": 88.0,
                        "timeliness": 100.0,
                        "uniqueness": 96.0,
                    },
                    "weights": dict(WEIGHTS),
                    "issues": 3,
                    "definitions": DIMENSION_DEFINITIONS,
                    "details": {"uniqueness": {"duplicate_rows": 1}},
                    "computed_at": "2026-01-25T10:45:00Z",
                }
            ]
        }
    )

    workbook_id: str
    overall_score: float
    dimensions: dict[str, float]
    weights: dict[str, float]
    issues: int
    definitions: dict[str, str]
    details: dict[str, Any]
    computed_at: dt.datetime


class WorkbookInsightsOut(BaseModel):
    """Seed 000's Insights Response for one workbook."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workbook_id": WORKBOOK_ID,
                    "generated_at": "2026-01-25T10:45:00Z",
                    "data_quality": {
                        "overall_score": 92.5,
                        "dimensions": {
                            "completeness": 98.0,
                            "accuracy": 95.0,
                            "consistency": 88.0,
                            "timeliness": 100.0,
                            "uniqueness": 96.0,
                        },
                    },
                    "insights": [],
                    "anomalies": [],
                }
            ]
        }
    )

    workbook_id: str
    generated_at: dt.datetime | None
    data_quality: dict[str, Any] | None
    insights: list[InsightOut]
    anomalies: list[AnomalyOut]


def _links(workbook_id: str) -> dict[str, str]:
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
            total_par=number(row.total_par) or 0.0,
            total_mv=number(row.total_mv) or 0.0,
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


def insight_out(row: Any) -> InsightOut:
    """A marts.clo_insights row in the seed's Insight shape."""
    data = dict(row.data or {})
    return InsightOut(
        id=row.insight_id,
        workbook_id=row.workbook_id,
        type=row.type,
        severity=row.severity,
        title=row.title,
        description=row.description,
        affected_positions=[str(p) for p in row.affected_positions or []],
        recommendation=row.recommendation,
        status=row.status,
        created_at=row.created_at,
        report_date=iso(row.report_date),
        trend_data=data.get("trend_data"),
        data=data,
    )


def _anomaly(row: Any) -> AnomalyOut:
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


def _escape_like(text: str) -> str:
    """LIKE wildcards in user text matched literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


SEVERITY_RANK = sa.case({"critical": 3, "warning": 2, "info": 1}, value=t.insights.c.severity, else_=0)


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
    w = t.workbooks
    filters = [w.c.tenant_id == caller.tenant_id]
    if tag is not None:
        filters.append(w.c.tags.contains([tag]))
    if status is not None:
        filters.append(w.c.status == status)
    if report_date_from is not None:
        filters.append(w.c.report_date >= report_date_from)
    if report_date_to is not None:
        filters.append(w.c.report_date <= report_date_to)
    sort_expr, kind = {
        "created_at": (w.c.created_at, "datetime"),
        "name": (text_key(w.c.name), "text"),
        "report_date": (date_key(w.c.report_date), "text"),
        "status": (text_key(w.c.status), "text"),
        "data_quality_score": (number_key(w.c.data_quality_score), "number"),
    }[sort]
    data, info = keyset(
        db,
        runtime,
        page,
        columns=[w],
        filters=filters,
        count_from=w,
        sort=sort,
        sort_expr=sort_expr,
        kind=kind,  # type: ignore[arg-type]
        id_expr=w.c.workbook_id,
        count_key=("clo_workbooks", caller.tenant_id, tag, status, report_date_from, report_date_to),
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
    s = t.sheet_rows
    filters = [
        s.c.tenant_id == caller.tenant_id,
        s.c.partition_key == workbook.partition_key,
        s.c.sheet_name == name,
    ]
    data, info = keyset(
        db,
        runtime,
        page,
        columns=[s.c.row_index, s.c.cells],
        filters=filters,
        count_from=s,
        sort="row_index",
        sort_expr=s.c.row_index,
        kind="int",
        id_expr=sa.func.lpad(sa.cast(s.c.row_index, sa.Text), 10, "0"),
        count_key=("clo_sheet_rows", caller.tenant_id, workbook.partition_key, name),
        build=lambda row: SheetRowOut(row_index=row.row_index, cells=list(row.cells)),
    )
    return Page[SheetRowOut](data=data, pagination=info)


HoldingSort = Literal[
    "row_index", "cusip", "issuer_name", "par_amount", "market_value", "price", "spread", "maturity_date"
]


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
    h = t.holdings
    filters = [h.c.tenant_id == caller.tenant_id, h.c.workbook_id == str(workbook_id)]
    if cusip is not None:
        filters.append(h.c.cusip == cusip.upper())
    if issuer is not None:
        filters.append(h.c.issuer_name.ilike(f"%{_escape_like(issuer)}%", escape="\\"))
    if industry is not None:
        filters.append(sa.func.lower(h.c.industry) == industry.lower())
    if rating is not None:
        filters.append(sa.or_(h.c.rating_moodys == rating, h.c.rating_sp == rating, h.c.rating_fitch == rating))
    if is_defaulted is not None:
        filters.append(h.c.is_defaulted.is_(is_defaulted))
    sort_expr, kind = {
        "row_index": (h.c.row_index, "int"),
        "cusip": (text_key(h.c.cusip), "text"),
        "issuer_name": (text_key(h.c.issuer_name), "text"),
        "par_amount": (number_key(h.c.par_amount), "number"),
        "market_value": (number_key(h.c.market_value), "number"),
        "price": (number_key(h.c.price), "number"),
        "spread": (number_key(h.c.spread), "number"),
        "maturity_date": (date_key(h.c.maturity_date), "text"),
    }[sort]
    data, info = keyset(
        db,
        runtime,
        page,
        columns=[h],
        filters=filters,
        count_from=h,
        sort=sort,
        sort_expr=sort_expr,
        kind=kind,  # type: ignore[arg-type]
        id_expr=h.c.holding_id,
        count_key=("clo_holdings", caller.tenant_id, str(workbook_id), cusip, issuer, industry, rating, is_defaulted),
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
        total_par=number(row.total_par) or 0.0,
        total_mv=number(row.total_mv) or 0.0,
        holding_count=int(row.holding_count or 0),
        ccc_par_pct=number(row.ccc_par_pct),
        defaulted_pct=number(row.defaulted_pct),
        wa_spread=number(row.wa_spread),
        wa_price=number(row.wa_price),
        compliance=compliance_metrics(db, caller.tenant_id, str(row.workbook_id)),
    )


def _quality(db: Connection, tenant_id: str, partition_key: str) -> Any:
    q = t.data_quality
    return db.execute(sa.select(q).where(q.c.tenant_id == tenant_id, q.c.partition_key == partition_key)).first()


def _quality_out(row: Any) -> DataQualityOut:
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


@router.get("/workbooks/{workbook_id}/data-quality", summary="Get a workbook's data quality", responses=ERRORS)
def get_data_quality(db: Db, caller: Caller, workbook_id: WorkbookId) -> DataQualityOut:
    """The five dimensions, the overall 0-100 score, their definitions and the findings behind them."""
    workbook = require_workbook(db, caller.tenant_id, workbook_id)
    row = _quality(db, caller.tenant_id, workbook.partition_key)
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
    i = t.insights
    filters = [i.c.tenant_id == caller.tenant_id, i.c.workbook_id == str(workbook_id)]
    if type is not None:
        filters.append(i.c.type == type)
    if severity is not None:
        filters.append(i.c.severity == severity)
    rows = db.execute(sa.select(i).where(*filters).order_by(SEVERITY_RANK.desc(), i.c.type, i.c.insight_id)).all()
    a = t.anomalies
    anomaly_rows = db.execute(
        sa.select(a)
        .where(a.c.tenant_id == caller.tenant_id, a.c.partition_key == workbook.partition_key)
        .order_by(sa.func.abs(a.c.z_score).desc(), a.c.anomaly_id)
    ).all()
    quality = _quality(db, caller.tenant_id, workbook.partition_key)
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
    a = t.anomalies
    filters = [a.c.tenant_id == caller.tenant_id, a.c.partition_key == workbook.partition_key]
    if field is not None:
        filters.append(a.c.field == field)
    data, info = keyset(
        db,
        runtime,
        page,
        columns=[a],
        filters=filters,
        count_from=a,
        sort="abs_z_score",
        sort_expr=sa.func.abs(a.c.z_score),
        kind="number",
        id_expr=a.c.anomaly_id,
        count_key=("clo_anomalies", caller.tenant_id, workbook.partition_key, field),
        build=_anomaly,
    )
    return Page[AnomalyOut](data=data, pagination=info)


@router.get("/workbooks/{workbook_id}/patterns", summary="List a workbook's identified patterns", responses=ERRORS)
def list_patterns(
    db: Db, runtime: AppRuntime, caller: Caller, page: PageQuery, workbook_id: WorkbookId
) -> Page[InsightOut]:
    """Pattern insights (concentrations, CCC bucket, defaults, duplicates, identifier problems), most severe first."""
    require_workbook(db, caller.tenant_id, workbook_id)
    i = t.insights
    filters = [i.c.tenant_id == caller.tenant_id, i.c.workbook_id == str(workbook_id), i.c.type == "pattern"]
    data, info = keyset(
        db,
        runtime,
        page,
        columns=[i],
        filters=filters,
        count_from=i,
        sort="severity",
        sort_expr=SEVERITY_RANK,
        kind="int",
        id_expr=i.c.insight_id,
        count_key=("clo_patterns", caller.tenant_id, str(workbook_id)),
        build=insight_out,
    )
    return Page[InsightOut](data=data, pagination=info)
