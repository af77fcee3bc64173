"""Covenant Radar reads (seed 001): deals, covenants, measurements and evaluations of the caller's tenant.

Items keep seed 001's shapes (`{"id": {"value": ...}}`, `*_iso` dates, scaled integers); lists use the
platform's cursor-paginated page envelope and errors its error envelope. Models in `schemas.py`, single-row
reads and the evaluation columns (statuses under another NEAR_BREACH band, from the mart's headroom) in
`queries.py`; the list routes page marts with `api.pagination.keyset`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import TypeAdapter
from sqlalchemy.engine import Row
from sqlalchemy.sql import ColumnElement

from api.deps import AppRuntime, Caller, Db, Reader, requires
from api.errors import error_responses
from api.marts import covenants as t
from api.pagination import Page, PageParams, PageQuery, keyset
from api.routers.covenants.queries import require_covenant, require_deal, result_columns
from api.routers.covenants.schemas import CovenantOut, CovenantResultOut, DealOut, MeasurementOut
from api.routers.provenance.links import composite_id, provenance_link
from api.runtime import Runtime

router = APIRouter(tags=["covenants"], dependencies=[requires("read:covenants")])

DealId = Annotated[uuid.UUID, Path(description="Deal UUID.")]
ERRORS = error_responses(401, 403, 404, 422, 429, 503)
DEAL_PAGE = TypeAdapter(Page[DealOut])
COVENANT_PAGE = TypeAdapter(Page[CovenantOut])
MEASUREMENT_PAGE = TypeAdapter(Page[MeasurementOut])
RESULT_PAGE = TypeAdapter(Page[CovenantResultOut])


def _iso(value: dt.date) -> str:
    return value.isoformat()


def _deal(row: Row[Any]) -> dict[str, Any]:
    """A covenant_deals row as DealOut's fields."""
    return {
        "id": {"value": row.deal_id},
        "name": row.name,
        "borrower": row.borrower,
        "sector": row.sector,
        "region": row.region,
        "commitment_amount_cents": row.commitment_amount_cents,
        "currency": row.currency,
        "maturity_date_iso": _iso(row.maturity_date),
    }


def _covenant(row: Row[Any]) -> dict[str, Any]:
    """A covenant_definitions row as CovenantOut's fields."""
    return {
        "id": {"value": row.covenant_id},
        "deal_id": {"value": row.deal_id},
        "name": row.name,
        "formula": row.formula,
        "threshold_value_scaled": row.threshold_value_scaled,
        "threshold_direction": row.threshold_direction,
        "frequency": row.frequency,
    }


def _measurement(row: Row[Any]) -> dict[str, Any]:
    """A covenant_measurements row as MeasurementOut's fields."""
    return {
        "deal_id": {"value": row.deal_id},
        "period_start_iso": _iso(row.period_start),
        "period_end_iso": _iso(row.period_end),
        "metric_name": row.metric_name,
        "metric_value_scaled": row.metric_value_scaled,
    }


def _result(row: Row[Any]) -> dict[str, Any]:
    """A covenant_evaluations row (status and band as selected) as CovenantResultOut's fields."""
    return {
        "covenant_id": {"value": row.covenant_id},
        "period_start_iso": _iso(row.period_start),
        "period_end_iso": _iso(row.period_end),
        "calculated_value_scaled": row.calculated_value_scaled,
        "status": row.status,
        "covenant_name": row.covenant_name,
        "threshold_value_scaled": row.threshold_value_scaled,
        "threshold_direction": row.threshold_direction,
        "tolerance_ratio_scaled": row.tolerance_scaled,
        "reason": row.reason,
        "evaluation_count": row.evaluation_count,
        "links": provenance_link(
            "covenant_evaluation", composite_id(row.covenant_id, row.period_start, row.period_end)
        ),
    }


@router.get("/deals", summary="List deals", responses=error_responses(401, 403, 422, 429, 503))
async def list_deals(
    db: Db,
    runtime: AppRuntime,
    caller: Caller,
    page: PageQuery,
    sort: Annotated[Literal["name", "deal_id"], Query(description="Sort field; ties are broken by deal id.")] = "name",
) -> Page[DealOut]:
    """The caller's deals (current versions), cursor-paginated."""
    data, info = await keyset(
        db,
        runtime.counts,
        page,
        columns=[t.deals],
        count_from=t.deals,
        filters=[t.deals.c.tenant_id == caller.tenant_id],
        sort=sort,
        sort_expr=t.deals.c[sort],
        kind="text",
        id_expr=t.deals.c.deal_id,
        count_key=("covenant_deals", caller.tenant_id),
        build=_deal,
    )
    return DEAL_PAGE.validate_python({"data": data, "pagination": info})


@router.get("/deals/{deal_id}", summary="Get a deal", responses=ERRORS)
async def get_deal(db: Db, caller: Caller, deal_id: DealId) -> DealOut:
    """One deal of the caller's tenant."""
    return DealOut.model_validate(_deal(await require_deal(db, caller.tenant_id, str(deal_id))))


@router.get("/covenants/by-deal/{deal_id}", summary="List a deal's covenants", responses=ERRORS)
async def list_deal_covenants(
    db: Db, runtime: AppRuntime, caller: Caller, page: PageQuery, deal_id: DealId
) -> Page[CovenantOut]:
    """Every covenant of one deal (current versions), by name."""
    await require_deal(db, caller.tenant_id, str(deal_id))
    data, info = await keyset(
        db,
        runtime.counts,
        page,
        columns=[t.covenants],
        count_from=t.covenants,
        filters=[t.covenants.c.tenant_id == caller.tenant_id, t.covenants.c.deal_id == str(deal_id)],
        sort="name",
        sort_expr=t.covenants.c.name,
        kind="text",
        id_expr=t.covenants.c.covenant_id,
        count_key=("covenant_definitions", caller.tenant_id, str(deal_id)),
        build=_covenant,
    )
    return COVENANT_PAGE.validate_python({"data": data, "pagination": info})


@router.get("/covenants/{covenant_id}", summary="Get a covenant", responses=ERRORS)
async def get_covenant(
    db: Db, caller: Caller, covenant_id: Annotated[uuid.UUID, Path(description="Covenant UUID.")]
) -> CovenantOut:
    """One covenant of the caller's tenant."""
    return CovenantOut.model_validate(_covenant(await require_covenant(db, caller.tenant_id, str(covenant_id))))


async def _measurements_page(
    db: Reader,
    runtime: Runtime,
    caller: Caller,
    page: PageParams,
    deal_id: str,
    period: tuple[dt.date, dt.date] | None,
) -> Page[MeasurementOut]:
    """One page of the deal's current measurements, optionally only those within `period`."""
    await require_deal(db, caller.tenant_id, deal_id)
    m = t.measurements.c
    extra = [] if period is None else [m.period_start >= period[0], m.period_end <= period[1]]
    data, info = await keyset(
        db,
        runtime.counts,
        page,
        columns=[t.measurements],
        count_from=t.measurements,
        filters=[m.tenant_id == caller.tenant_id, m.deal_id == deal_id, *extra],
        sort="period",
        sort_expr=m.sort_key,
        kind="text",
        id_expr=m.measurement_key,
        count_key=("covenant_measurements", caller.tenant_id, deal_id, period),
        build=_measurement,
    )
    return MEASUREMENT_PAGE.validate_python({"data": data, "pagination": info})


@router.get("/measurements/by-deal/{deal_id}", summary="List a deal's measurements", responses=ERRORS)
async def list_deal_measurements(
    db: Db, runtime: AppRuntime, caller: Caller, page: PageQuery, deal_id: DealId
) -> Page[MeasurementOut]:
    """Every current measurement of one deal, ordered by period then metric."""
    return await _measurements_page(db, runtime, caller, page, str(deal_id), None)


@router.get(
    "/measurements/by-deal/{deal_id}/period", summary="List a deal's measurements in a period", responses=ERRORS
)
async def list_deal_period_measurements(
    db: Db,
    runtime: AppRuntime,
    caller: Caller,
    page: PageQuery,
    deal_id: DealId,
    period_start: Annotated[dt.date, Query(description="Periods starting on or after this date (YYYY-MM-DD).")],
    period_end: Annotated[dt.date, Query(description="Periods ending on or before this date (YYYY-MM-DD).")],
) -> Page[MeasurementOut]:
    """Measurements of one deal whose period lies within [period_start, period_end]."""
    return await _measurements_page(db, runtime, caller, page, str(deal_id), (period_start, period_end))


@router.get("/evaluations/by-deal/{deal_id}", summary="List a deal's covenant results", responses=ERRORS)
async def list_deal_evaluations(
    db: Db,
    runtime: AppRuntime,
    caller: Caller,
    page: PageQuery,
    deal_id: DealId,
    period_start: Annotated[dt.date | None, Query(description="Periods starting on or after this date.")] = None,
    period_end: Annotated[dt.date | None, Query(description="Periods ending on or before this date.")] = None,
    tolerance_ratio_scaled: Annotated[
        int | None,
        Query(ge=0, le=1_000_000, description="Recompute NEAR_BREACH with this band (scaled; 10 = 0.10x)."),
    ] = None,
) -> Page[CovenantResultOut]:
    """The latest result of each covenant and period of one deal; statuses recomputed when a tolerance is given."""
    deal = str(deal_id)
    await require_deal(db, caller.tenant_id, deal)
    e = t.evaluations.c
    filters: list[ColumnElement[bool]] = [e.tenant_id == caller.tenant_id, e.deal_id == deal]
    if period_start is not None:
        filters.append(e.period_start >= period_start)
    if period_end is not None:
        filters.append(e.period_end <= period_end)
    data, info = await keyset(
        db,
        runtime.counts,
        page,
        columns=result_columns(tolerance_ratio_scaled),
        count_from=t.evaluations,
        filters=filters,
        sort="period",
        sort_expr=e.sort_key,
        kind="text",
        id_expr=e.evaluation_key,
        count_key=("covenant_evaluations", caller.tenant_id, deal, period_start, period_end),
        build=_result,
    )
    return RESULT_PAGE.validate_python({"data": data, "pagination": info})
