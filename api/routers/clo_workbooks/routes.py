"""CLO workbooks (seed 000): workbooks, sheets and their rows, holdings, metrics, insights, anomalies, quality.

Everything is scoped to the caller's tenant (another tenant's workbook is a 404); lists use keyset cursors.
Holdings carry the compliance fields (effective rating and its source, rating factor, CCC bucket, years to
maturity) of the workbook's latest compliance run; `/metrics` carries that run's intermediates.
Models in `schemas.py`, queries in `queries.py` of this package.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import TypeAdapter

from api.deps import AppRuntime, Caller, Db, requires_clo
from api.errors import error_responses, not_found
from api.marts import clo as t
from api.pagination import Page, PageQuery
from api.routers.clo_common import (
    INSIGHT_LIST,
    AscPageQuery,
    InsightOut,
    WorkbookId,
    insight_fields,
    iso,
    number,
    require_workbook,
)
from api.routers.clo_workbooks import queries as q
from api.routers.clo_workbooks.schemas import (
    DIMENSION_DEFINITIONS,
    AnomalyOut,
    DataQualityOut,
    HoldingOut,
    MetricsOut,
    SheetOut,
    SheetRowOut,
    WorkbookInsightsOut,
    WorkbookOut,
)
from api.routers.compliance.queries import compliance_metrics, holding_compliance_fields
from api.routers.provenance.links import provenance_link
from orchestration.core.ids import sheet_id

router = APIRouter(tags=["clo workbooks"], dependencies=[requires_clo()])
ERRORS = error_responses(401, 403, 404, 422, 429, 503)
LIST_ERRORS = error_responses(401, 403, 422, 429, 503)
HoldingSort = Literal[
    "row_index", "cusip", "issuer_name", "par_amount", "market_value", "price", "spread", "maturity_date"
]
METRIC_COLUMNS = ("total_par", "total_mv", "ccc_par_pct", "defaulted_pct", "wa_spread", "wa_price")
"""marts.clo_workbooks figures /metrics serves under their own names."""
WORKBOOK_LIST = TypeAdapter(list[WorkbookOut])
SHEET_LIST = TypeAdapter(list[SheetOut])
SHEET_ROW_LIST = TypeAdapter(list[SheetRowOut])
HOLDING_LIST = TypeAdapter(list[HoldingOut])
ANOMALY_LIST = TypeAdapter(list[AnomalyOut])


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


_sheet_id = functools.lru_cache(maxsize=4096)(sheet_id)
"""Sheet ids are uuid5 hashes: a holdings page names the same few sheets hundreds of times."""


def _sheets(workbook_id: str, sheets: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """A workbook's sheets (marts.clo_workbooks.sheets) with their stable ids."""
    return [
        {
            "id": _sheet_id(workbook_id, s["name"]),
            "name": s["name"],
            "index": s.get("index", i),
            "row_count": s["row_count"],
            "column_count": s["column_count"],
            "hidden": s.get("hidden", False),
        }
        for i, s in enumerate(sheets or ())
    ]


def _workbook(row: Any, detail: bool = False) -> dict[str, Any]:
    """A marts.clo_workbooks row as the fields of the seed's Workbook (processing stats on detail only)."""
    return {
        "id": row.workbook_id,
        "name": row.name,
        "file_name": row.file_name,
        "status": row.status,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "report_date": iso(row.report_date),
        "source": row.source,
        "mapping_profile_id": row.mapping_profile_id,
        "tags": row.tags or [],
        "metadata": row.metadata or {},
        "file_size": row.file_size,
        "checksum": row.sha256,
        "error": {"code": row.error_code, "message": row.error_message} if row.error_code else None,
        "sheets": _sheets(row.workbook_id, row.sheets),
        "metrics": {"total_par": row.total_par, "total_mv": row.total_mv, "holding_count": row.holding_count or 0},
        "data_quality": {
            "score": row.data_quality_score,
            "issues": row.data_quality_issues or 0,
            "anomalies": row.anomaly_count or 0,
        },
        "processing_stats": (row.processing_stats or {}) if detail else None,
        "links": _links(row.workbook_id),
    }


def _holding(row: Any) -> dict[str, Any]:
    """A marts.clo_holdings row as the fields of the seed's Holding (compliance fields added by the route).

    The row's own dict (columns the model does not declare are ignored by its validation): a page of 200
    holdings would otherwise cost 5,000 attribute lookups.
    """
    fields = dict(zip(row._fields, row, strict=True))
    fields["id"] = row.holding_id
    fields["sheet_id"] = _sheet_id(row.workbook_id, row.sheet)
    fields["maturity_date"] = iso(row.maturity_date)
    fields["is_defaulted"] = bool(row.is_defaulted)
    fields["raw_data"] = row.raw_data or {}
    fields["links"] = provenance_link("holding", row.holding_id)
    return fields


def _anomaly(row: Any) -> dict[str, Any]:
    """A marts.clo_anomalies row as the fields of the seed's anomaly."""
    return {
        "id": row.anomaly_id,
        "holding_id": row.holding_id,
        "field": row.field,
        "cusip": row.cusip,
        "issuer_name": row.issuer_name,
        "value": row.value,
        "mean": row.mean,
        "std": row.std,
        "expected_range": (row.expected_low, row.expected_high),
        "z_score": row.z_score,
        "threshold": row.threshold,
        "detection_method": row.detection_method,
        "severity": row.severity,
    }


def _dimensions(row: Any) -> dict[str, float | None]:
    """The five dimension scores of a marts.clo_data_quality row, in the order of their definitions."""
    return {d: number(getattr(row, d)) for d in DIMENSION_DEFINITIONS}


def _quality_out(row: Any) -> DataQualityOut:
    """A marts.clo_data_quality row with the weights its score was computed with and the definitions."""
    weights = row.weights or {}
    return DataQualityOut.model_validate(
        {
            "workbook_id": row.workbook_id,
            "overall_score": row.overall_score,
            "dimensions": _dimensions(row),
            "weights": {d: weights[d] for d in DIMENSION_DEFINITIONS if d in weights},
            "issues": row.issues,
            "definitions": DIMENSION_DEFINITIONS,
            "details": row.details or {},
            "computed_at": row.computed_at,
        }
    )


@router.get("/workbooks", summary="List workbooks", responses=LIST_ERRORS)
async def list_workbooks(
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
    data, info = await q.workbooks_page(
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
    return Page[WorkbookOut](data=WORKBOOK_LIST.validate_python(data), pagination=info)


@router.get("/workbooks/{workbook_id}", summary="Get a workbook", responses=ERRORS)
async def get_workbook(db: Db, caller: Caller, workbook_id: WorkbookId) -> WorkbookOut:
    """One workbook with sheets, metrics, data quality, processing stats and links."""
    row = await require_workbook(db, caller.tenant_id, workbook_id)
    return WorkbookOut.model_validate(_workbook(row, detail=True))


@router.get("/workbooks/{workbook_id}/sheets", summary="List a workbook's sheets", responses=ERRORS)
async def list_sheets(db: Db, caller: Caller, workbook_id: WorkbookId) -> list[SheetOut]:
    """Every sheet: name, row and column counts, hidden or not."""
    w = t.workbooks.c
    row = await require_workbook(db, caller.tenant_id, workbook_id, w.workbook_id, w.sheets)
    return SHEET_LIST.validate_python(_sheets(row.workbook_id, row.sheets))


@router.get("/workbooks/{workbook_id}/sheets/{name}/data", summary="Page through a sheet's rows", responses=ERRORS)
async def sheet_data(
    db: Db,
    runtime: AppRuntime,
    caller: Caller,
    page: AscPageQuery,
    workbook_id: WorkbookId,
    name: Annotated[str, Path(max_length=255, description="Sheet name (case-sensitive).")],
) -> Page[SheetRowOut]:
    """Cell values of one sheet, one item per non-empty row, by Excel row number."""
    w = t.workbooks.c
    workbook = await require_workbook(db, caller.tenant_id, workbook_id, w.partition_key, w.sheets)
    if name not in {s["name"] for s in workbook.sheets or ()}:
        raise not_found("sheet", name)
    data, info = await q.sheet_rows_page(
        db,
        runtime,
        page,
        caller.tenant_id,
        workbook.partition_key,
        name,
        build=lambda row: {"row_index": row.row_index, "cells": row.cells},
    )
    return Page[SheetRowOut](data=SHEET_ROW_LIST.validate_python(data), pagination=info)


@router.get("/workbooks/{workbook_id}/holdings", summary="List a workbook's holdings", responses=ERRORS)
async def list_holdings(
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
    await require_workbook(db, caller.tenant_id, workbook_id, t.workbooks.c.workbook_id)
    data, info = await q.holdings_page(
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
    derived = await holding_compliance_fields(db, caller.tenant_id, str(workbook_id), [h["id"] for h in data])
    for holding in data:
        holding.update(derived.get(holding["id"], ()))
    return Page[HoldingOut](data=HOLDING_LIST.validate_python(data), pagination=info)


@router.get("/workbooks/{workbook_id}/metrics", summary="Get a workbook's aggregated metrics", responses=ERRORS)
async def get_metrics(db: Db, caller: Caller, workbook_id: WorkbookId) -> MetricsOut:
    """Total par, total market value, holding count and averages, plus the latest compliance run's intermediates."""
    w = t.workbooks.c
    columns = (w.workbook_id, w.report_date, w.holding_count, *(w[c] for c in METRIC_COLUMNS))
    row = await require_workbook(db, caller.tenant_id, workbook_id, *columns)
    return MetricsOut.model_validate(
        {
            "workbook_id": row.workbook_id,
            "report_date": iso(row.report_date),
            "holding_count": row.holding_count or 0,
            **{c: getattr(row, c) for c in METRIC_COLUMNS},
            "compliance": await compliance_metrics(db, caller.tenant_id, str(row.workbook_id)),
        }
    )


@router.get("/workbooks/{workbook_id}/data-quality", summary="Get a workbook's data quality", responses=ERRORS)
async def get_data_quality(db: Db, caller: Caller, workbook_id: WorkbookId) -> DataQualityOut:
    """The five dimensions, the overall 0-100 score, their definitions and the findings behind them."""
    await require_workbook(db, caller.tenant_id, workbook_id, t.workbooks.c.workbook_id)
    row = await q.quality(db, caller.tenant_id, str(workbook_id))
    if row is None:
        raise not_found("data quality of workbook", str(workbook_id))
    return _quality_out(row)


@router.get("/workbooks/{workbook_id}/insights", summary="Get a workbook's insights", responses=ERRORS)
async def get_workbook_insights(
    db: Db,
    caller: Caller,
    workbook_id: WorkbookId,
    type: Annotated[
        Literal["anomaly", "pattern", "trend", "correlation"] | None, Query(description="Only this type.")
    ] = None,
    severity: Annotated[Literal["info", "warning", "critical"] | None, Query(description="Only this severity.")] = None,
) -> WorkbookInsightsOut:
    """Seed 000's Insights Response: data quality, insights (most severe first) and anomalies."""
    wid = str(workbook_id)
    await require_workbook(db, caller.tenant_id, wid, t.workbooks.c.workbook_id)
    rows = await q.insight_rows(db, caller.tenant_id, wid, type=type, severity=severity)
    anomaly_rows = await q.anomaly_rows(db, caller.tenant_id, wid)
    quality = await q.quality(db, caller.tenant_id, wid)
    return WorkbookInsightsOut.model_validate(
        {
            "workbook_id": wid,
            "generated_at": quality.computed_at if quality is not None else None,
            "data_quality": (
                {"overall_score": number(quality.overall_score), "dimensions": _dimensions(quality)}
                if quality is not None
                else None
            ),
            "insights": [insight_fields(r) for r in rows],
            "anomalies": [_anomaly(r) for r in anomaly_rows],
        }
    )


@router.get("/workbooks/{workbook_id}/anomalies", summary="List a workbook's anomalies", responses=ERRORS)
async def list_anomalies(
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
    await require_workbook(db, caller.tenant_id, workbook_id, t.workbooks.c.workbook_id)
    data, info = await q.anomalies_page(
        db, runtime, page, caller.tenant_id, str(workbook_id), field=field, build=_anomaly
    )
    return Page[AnomalyOut](data=ANOMALY_LIST.validate_python(data), pagination=info)


@router.get("/workbooks/{workbook_id}/patterns", summary="List a workbook's identified patterns", responses=ERRORS)
async def list_patterns(
    db: Db, runtime: AppRuntime, caller: Caller, page: PageQuery, workbook_id: WorkbookId
) -> Page[InsightOut]:
    """Pattern insights (concentrations, CCC bucket, defaults, duplicates, identifier problems), most severe first."""
    await require_workbook(db, caller.tenant_id, workbook_id, t.workbooks.c.workbook_id)
    data, info = await q.patterns_page(db, runtime, page, caller.tenant_id, str(workbook_id), build=insight_fields)
    return Page[InsightOut](data=INSIGHT_LIST.validate_python(data), pagination=info)
