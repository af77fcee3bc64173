"""CLO insights across workbooks (seed 000 Insights API): one insight, trends over report dates, correlations."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Caller, Db, requires_clo
from api.errors import error_responses, not_found
from api.marts import clo as t
from api.routers.clo_common import WORKBOOK_ID, InsightOut, insight_fields, iso

router = APIRouter(tags=["clo insights"], dependencies=[requires_clo()])
ERRORS = error_responses(401, 403, 404, 422, 429, 503)


class TrendPoint(BaseModel):
    """Portfolio metrics of one processed workbook (one report date)."""

    report_date: str | None
    workbook_id: str
    name: str
    holding_count: int
    total_par: float
    total_mv: float
    ccc_par_pct: float | None = Field(description=t.CCC_PAR_PCT_DESCRIPTION)
    defaulted_pct: float | None
    wa_spread: float | None
    wa_price: float | None


TREND_COLUMNS = [t.workbooks.c[name] for name in TrendPoint.model_fields]
"""marts.clo_workbooks columns a trend point carries under its own name."""


class TrendsOut(BaseModel):
    """The tenant's metrics over its report dates and the trend insights of the latest workbook."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "series": [
                        {
                            "report_date": "2025-12-31",
                            "workbook_id": WORKBOOK_ID,
                            "name": "CLO_Portfolio_2025_12.xlsx",
                            "holding_count": 300,
                            "total_par": 500000000,
                            "total_mv": 485000000,
                            "ccc_par_pct": 6.5,
                            "defaulted_pct": 0.4,
                            "wa_spread": 380.5,
                            "wa_price": 97.2,
                        }
                    ],
                    "trends": [],
                }
            ]
        }
    )

    series: list[TrendPoint]
    trends: list[InsightOut]


class CorrelationOut(BaseModel):
    """Pearson correlation of two numeric holding fields across a workbook's holdings."""

    field_a: str
    field_b: str
    pearson_r: float | None = Field(description="Null when fewer than 3 pairs or a constant field.")
    n: int


class CorrelationsOut(BaseModel):
    """Every pair of numeric fields for one workbook, and the correlation insights (|r| >= 0.5)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workbook_id": WORKBOOK_ID,
                    "report_date": "2026-01-31",
                    "correlations": [{"field_a": "spread", "field_b": "price", "pearson_r": -0.62, "n": 298}],
                    "insights": [],
                }
            ]
        }
    )

    workbook_id: str
    report_date: str | None
    correlations: list[CorrelationOut]
    insights: list[InsightOut]


@router.get("/insights/trends", summary="Get trend analysis", responses=error_responses(401, 403, 422, 429, 503))
async def get_trends(
    db: Db,
    caller: Caller,
    report_date_from: Annotated[dt.date | None, Query(description="Report dates on or after.")] = None,
    report_date_to: Annotated[dt.date | None, Query(description="Report dates on or before.")] = None,
    deal_name: Annotated[str | None, Query(max_length=255, description="Only workbooks of this deal.")] = None,
) -> TrendsOut:
    """Par, MV, CCC share, defaults and weighted spread/price per report date, plus the latest trend insights."""
    w = t.workbooks
    filters = [w.c.tenant_id == caller.tenant_id, w.c.status == "processed", w.c.report_date.is_not(None)]
    if report_date_from is not None:
        filters.append(w.c.report_date >= report_date_from)
    if report_date_to is not None:
        filters.append(w.c.report_date <= report_date_to)
    if deal_name is not None:
        filters.append(w.c.deal_name == deal_name)
    series = sa.select(*TREND_COLUMNS).where(*filters).order_by(w.c.report_date, w.c.created_at)
    rows = (await db.execute(series)).all()
    trend_rows: list[Any] = []
    if rows:
        i = t.insights
        latest = rows[-1].workbook_id
        trends = (
            sa.select(i)
            .where(i.c.tenant_id == caller.tenant_id, i.c.workbook_id == latest, i.c.type == "trend")
            .order_by(i.c.title, i.c.insight_id)
        )
        trend_rows = list((await db.execute(trends)).all())
    return TrendsOut.model_validate(
        {
            "series": [{**r._asdict(), "report_date": iso(r.report_date)} for r in rows],
            "trends": [insight_fields(r) for r in trend_rows],
        }
    )


@router.get("/insights/correlations", summary="Get correlation analysis", responses=ERRORS)
async def get_correlations(
    db: Db,
    caller: Caller,
    workbook_id: Annotated[
        uuid.UUID | None, Query(description="Workbook to analyse; default the latest processed one.")
    ] = None,
) -> CorrelationsOut:
    """Pearson r (Postgres `corr`) for every pair of spread, price, coupon and par across the holdings."""
    c = t.correlations
    which = c.c.workbook_id == str(workbook_id) if workbook_id is not None else c.c.is_latest
    pairs = sa.select(c).where(c.c.tenant_id == caller.tenant_id, which).order_by(c.c.pair_index)
    rows = (await db.execute(pairs)).all()
    if not rows:
        # marts.clo_holding_correlations has every pair of every workbook that marts.clo_workbooks has
        if workbook_id is not None:
            raise not_found("workbook", str(workbook_id))
        raise not_found("processed workbook", caller.tenant_id)
    workbook = rows[0]
    i = t.insights
    insight_rows = (
        await db.execute(
            sa.select(i)
            .where(
                i.c.tenant_id == caller.tenant_id, i.c.workbook_id == workbook.workbook_id, i.c.type == "correlation"
            )
            .order_by(i.c.title, i.c.insight_id)
        )
    ).all()
    return CorrelationsOut.model_validate(
        {
            "workbook_id": workbook.workbook_id,
            "report_date": iso(workbook.report_date),
            "correlations": [
                {"field_a": r.field_a, "field_b": r.field_b, "pearson_r": r.pearson_r, "n": r.n} for r in rows
            ],
            "insights": [insight_fields(r) for r in insight_rows],
        }
    )


@router.get("/insights/{insight_id}", summary="Get insight details", responses=ERRORS)
async def get_insight(
    db: Db, caller: Caller, insight_id: Annotated[uuid.UUID, Path(description="Insight UUID.")]
) -> InsightOut:
    """One insight of the caller's tenant."""
    i = t.insights
    query = sa.select(i).where(i.c.tenant_id == caller.tenant_id, i.c.insight_id == str(insight_id))
    row = (await db.execute(query)).first()
    if row is None:
        raise not_found("insight", str(insight_id))
    return InsightOut.model_validate(insight_fields(row))
