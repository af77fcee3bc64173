"""Covenant Radar reads (seed 001): deals, covenants, measurements and evaluations of the caller's tenant.

Items keep seed 001's shapes (`{"id": {"value": ...}}`, `*_iso` dates, scaled integers); lists use the
platform's cursor-paginated page envelope and errors its error envelope.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal, TypeVar

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from api import covenants_tables as t
from api.deps import AppRuntime, Caller, Db, requires
from api.errors import error_responses, not_found
from api.pagination import Cursor, Page, PageInfo, PageParams, PageQuery, decode_cursor, encode_cursor, keyset_page
from api.runtime import Runtime
from orchestration.covenants.evaluation import covenant_status

router = APIRouter(tags=["covenants"], dependencies=[requires("read:covenants")])

T = TypeVar("T", bound=BaseModel)
DealId = Annotated[uuid.UUID, Path(description="Deal UUID.")]
DEAL_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
COVENANT_ID = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"
ERRORS = error_responses(401, 403, 404, 422, 429, 503)


class IdValue(BaseModel):
    """Seed 001's id object."""

    value: str


class DealOut(BaseModel):
    """A deal (seed 001 Deal); money in cents."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": {"value": DEAL_ID},
                    "name": "Demo Leveraged Buyout",
                    "borrower": "Demo Corp",
                    "sector": "Manufacturing",
                    "region": "North America",
                    "commitment_amount_cents": 75000000000,
                    "currency": "USD",
                    "maturity_date_iso": "2029-06-30",
                }
            ]
        }
    )

    id: IdValue
    name: str
    borrower: str
    sector: str
    region: str
    commitment_amount_cents: int
    currency: str
    maturity_date_iso: str


class CovenantOut(BaseModel):
    """A covenant (seed 001 Covenant); the threshold is a ratio ×100."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": {"value": COVENANT_ID},
                    "deal_id": {"value": DEAL_ID},
                    "name": "Max Leverage Ratio",
                    "formula": "total_debt / ebitda",
                    "threshold_value_scaled": 450,
                    "threshold_direction": "<=",
                    "frequency": "QUARTERLY",
                }
            ]
        }
    )

    id: IdValue
    deal_id: IdValue
    name: str
    formula: str
    threshold_value_scaled: int
    threshold_direction: Literal["<=", ">="]
    frequency: Literal["QUARTERLY", "ANNUAL"]


class MeasurementOut(BaseModel):
    """One metric of a deal for one period (seed 001 Measurement), as a scaled integer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "deal_id": {"value": DEAL_ID},
                    "period_start_iso": "2024-01-01",
                    "period_end_iso": "2024-03-31",
                    "metric_name": "total_debt",
                    "metric_value_scaled": 1000000000,
                }
            ]
        }
    )

    deal_id: IdValue
    period_start_iso: str
    period_end_iso: str
    metric_name: str
    metric_value_scaled: int


class CovenantResultOut(BaseModel):
    """A covenant's result for a period (seed 001 CovenantResult) plus the inputs of its status."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "covenant_id": {"value": COVENANT_ID},
                    "period_start_iso": "2024-01-01",
                    "period_end_iso": "2024-03-31",
                    "calculated_value_scaled": 333,
                    "status": "OK",
                    "covenant_name": "Max Leverage Ratio",
                    "threshold_value_scaled": 450,
                    "threshold_direction": "<=",
                    "tolerance_ratio_scaled": 10,
                    "reason": None,
                    "evaluation_count": 1,
                }
            ]
        }
    )

    covenant_id: IdValue
    period_start_iso: str
    period_end_iso: str
    calculated_value_scaled: int | None = Field(description="Formula value ×100, rounded half away from zero.")
    status: Literal["OK", "NEAR_BREACH", "BREACH", "MISSING_DATA", "ERROR"]
    covenant_name: str | None
    threshold_value_scaled: int
    threshold_direction: Literal["<=", ">="]
    tolerance_ratio_scaled: int = Field(description="The NEAR_BREACH band the status was computed with.")
    reason: str | None = Field(description="Missing metrics or the error, for MISSING_DATA and ERROR.")
    evaluation_count: int = Field(description="How many evaluations of this covenant and period are kept.")


def _iso(value: dt.date) -> str:
    return value.isoformat()


def _deal(row: Any) -> DealOut:
    return DealOut(
        id=IdValue(value=row.deal_id),
        name=row.name,
        borrower=row.borrower,
        sector=row.sector,
        region=row.region,
        commitment_amount_cents=row.commitment_amount_cents,
        currency=row.currency,
        maturity_date_iso=_iso(row.maturity_date),
    )


def _covenant(row: Any) -> CovenantOut:
    return CovenantOut(
        id=IdValue(value=row.covenant_id),
        deal_id=IdValue(value=row.deal_id),
        name=row.name,
        formula=row.formula,
        threshold_value_scaled=row.threshold_value_scaled,
        threshold_direction=row.threshold_direction,
        frequency=row.frequency,
    )


def _measurement(row: Any) -> MeasurementOut:
    return MeasurementOut(
        deal_id=IdValue(value=row.deal_id),
        period_start_iso=_iso(row.period_start),
        period_end_iso=_iso(row.period_end),
        metric_name=row.metric_name,
        metric_value_scaled=row.metric_value_scaled,
    )


def paged(
    db: Connection,
    runtime: Runtime,
    page: PageParams,
    *,
    columns: Sequence[ColumnElement[Any]],
    filters: Sequence[ColumnElement[bool]],
    sort: str,
    sort_column: ColumnElement[Any],
    id_column: ColumnElement[Any],
    count_key: tuple[Any, ...],
    build: Callable[[Any], T],
) -> tuple[list[T], PageInfo]:
    """One keyset page over a mart: rows after the cursor in (sort, id) order, the next cursor and the total."""
    after = decode_cursor(page.cursor, sort=sort, order=page.order, kind="text") if page.cursor else None
    stmt = keyset_page(
        sa.select(*columns, sort_column.label("sort_value"), id_column.label("id_value")).where(*filters),
        sort_column=sort_column,
        id_column=id_column,
        order=page.order,
        after=after,
        limit=page.limit,
    )
    rows = db.execute(stmt).all()
    has_more = len(rows) > page.limit
    rows = rows[: page.limit]
    total = runtime.counts.get(count_key)
    if total is None:
        table = getattr(id_column, "table", None)
        total = int(db.execute(sa.select(sa.func.count()).select_from(table).where(*filters)).scalar_one())
        runtime.counts.put(count_key, total)
    cursor = None
    if has_more:
        last = rows[-1]
        cursor = encode_cursor(Cursor(sort=sort, order=page.order, value=last.sort_value, id=last.id_value))
    return [build(row) for row in rows], PageInfo(cursor=cursor, has_more=has_more, total_count=total)


def require_deal(db: Connection, tenant_id: str, deal_id: str) -> Any:
    """The caller's deal, or 404 (another tenant's deal is indistinguishable from an unknown one)."""
    row = db.execute(sa.select(t.deals).where(t.deals.c.tenant_id == tenant_id, t.deals.c.deal_id == deal_id)).first()
    if row is None:
        raise not_found("deal", deal_id)
    return row


@router.get("/deals", summary="List deals", responses=error_responses(401, 403, 422, 429, 503))
def list_deals(
    db: Db,
    runtime: AppRuntime,
    caller: Caller,
    page: PageQuery,
    sort: Annotated[Literal["name", "deal_id"], Query(description="Sort field; ties are broken by deal id.")] = "name",
) -> Page[DealOut]:
    """The caller's deals (current versions), cursor-paginated."""
    data, info = paged(
        db,
        runtime,
        page,
        columns=[t.deals],
        filters=[t.deals.c.tenant_id == caller.tenant_id],
        sort=sort,
        sort_column=t.deals.c[sort],
        id_column=t.deals.c.deal_id,
        count_key=("covenant_deals", caller.tenant_id),
        build=_deal,
    )
    return Page[DealOut](data=data, pagination=info)


@router.get("/deals/{deal_id}", summary="Get a deal", responses=ERRORS)
def get_deal(db: Db, caller: Caller, deal_id: DealId) -> DealOut:
    """One deal of the caller's tenant."""
    return _deal(require_deal(db, caller.tenant_id, str(deal_id)))


@router.get("/covenants/by-deal/{deal_id}", summary="List a deal's covenants", responses=ERRORS)
def list_deal_covenants(
    db: Db, runtime: AppRuntime, caller: Caller, page: PageQuery, deal_id: DealId
) -> Page[CovenantOut]:
    """Every covenant of one deal (current versions), by name."""
    require_deal(db, caller.tenant_id, str(deal_id))
    data, info = paged(
        db,
        runtime,
        page,
        columns=[t.covenants],
        filters=[t.covenants.c.tenant_id == caller.tenant_id, t.covenants.c.deal_id == str(deal_id)],
        sort="name",
        sort_column=t.covenants.c.name,
        id_column=t.covenants.c.covenant_id,
        count_key=("covenant_definitions", caller.tenant_id, str(deal_id)),
        build=_covenant,
    )
    return Page[CovenantOut](data=data, pagination=info)


@router.get("/covenants/{covenant_id}", summary="Get a covenant", responses=ERRORS)
def get_covenant(
    db: Db, caller: Caller, covenant_id: Annotated[uuid.UUID, Path(description="Covenant UUID.")]
) -> CovenantOut:
    """One covenant of the caller's tenant."""
    row = db.execute(
        sa.select(t.covenants).where(
            t.covenants.c.tenant_id == caller.tenant_id, t.covenants.c.covenant_id == str(covenant_id)
        )
    ).first()
    if row is None:
        raise not_found("covenant", str(covenant_id))
    return _covenant(row)


def _measurements_page(
    db: Connection,
    runtime: Runtime,
    caller: Caller,
    page: PageParams,
    deal_id: str,
    period: tuple[dt.date, dt.date] | None,
) -> Page[MeasurementOut]:
    require_deal(db, caller.tenant_id, deal_id)
    extra = (
        [] if period is None else [t.measurements.c.period_start >= period[0], t.measurements.c.period_end <= period[1]]
    )
    data, info = paged(
        db,
        runtime,
        page,
        columns=[t.measurements],
        filters=[t.measurements.c.tenant_id == caller.tenant_id, t.measurements.c.deal_id == deal_id, *extra],
        sort="period",
        sort_column=t.measurements.c.sort_key,
        id_column=t.measurements.c.measurement_key,
        count_key=("covenant_measurements", caller.tenant_id, deal_id, period),
        build=_measurement,
    )
    return Page[MeasurementOut](data=data, pagination=info)


@router.get("/measurements/by-deal/{deal_id}", summary="List a deal's measurements", responses=ERRORS)
def list_deal_measurements(
    db: Db, runtime: AppRuntime, caller: Caller, page: PageQuery, deal_id: DealId
) -> Page[MeasurementOut]:
    """Every current measurement of one deal, ordered by period then metric."""
    return _measurements_page(db, runtime, caller, page, str(deal_id), None)


@router.get(
    "/measurements/by-deal/{deal_id}/period", summary="List a deal's measurements in a period", responses=ERRORS
)
def list_deal_period_measurements(
    db: Db,
    runtime: AppRuntime,
    caller: Caller,
    page: PageQuery,
    deal_id: DealId,
    period_start: Annotated[dt.date, Query(description="Periods starting on or after this date (YYYY-MM-DD).")],
    period_end: Annotated[dt.date, Query(description="Periods ending on or before this date (YYYY-MM-DD).")],
) -> Page[MeasurementOut]:
    """Measurements of one deal whose period lies within [period_start, period_end]."""
    return _measurements_page(db, runtime, caller, page, str(deal_id), (period_start, period_end))


@router.get("/evaluations/by-deal/{deal_id}", summary="List a deal's covenant results", responses=ERRORS)
def list_deal_evaluations(
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
    require_deal(db, caller.tenant_id, deal)
    filters: list[ColumnElement[bool]] = [
        t.evaluations.c.tenant_id == caller.tenant_id,
        t.evaluations.c.deal_id == deal,
    ]
    if period_start is not None:
        filters.append(t.evaluations.c.period_start >= period_start)
    if period_end is not None:
        filters.append(t.evaluations.c.period_end <= period_end)

    def build(row: Any) -> CovenantResultOut:
        status, tolerance = row.status, row.tolerance_scaled
        if tolerance_ratio_scaled is not None:
            tolerance = tolerance_ratio_scaled
            if row.calculated_value_scaled is not None:
                status = covenant_status(
                    row.calculated_value_scaled, row.threshold_value_scaled, row.threshold_direction, tolerance
                )
        return CovenantResultOut(
            covenant_id=IdValue(value=row.covenant_id),
            period_start_iso=_iso(row.period_start),
            period_end_iso=_iso(row.period_end),
            calculated_value_scaled=row.calculated_value_scaled,
            status=status,
            covenant_name=row.covenant_name,
            threshold_value_scaled=row.threshold_value_scaled,
            threshold_direction=row.threshold_direction,
            tolerance_ratio_scaled=tolerance,
            reason=row.reason,
            evaluation_count=row.evaluation_count,
        )

    data, info = paged(
        db,
        runtime,
        page,
        columns=[t.evaluations],
        filters=filters,
        sort="period",
        sort_column=t.evaluations.c.sort_key,
        id_column=t.evaluations.c.evaluation_key,
        count_key=("covenant_evaluations", caller.tenant_id, deal, period_start, period_end),
        build=build,
    )
    return Page[CovenantResultOut](data=data, pagination=info)
