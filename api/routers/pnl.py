"""`/api/v1/portfolio/profitloss`: seed 003's PortfolioProfitLoss interface over marts.pnl_daily_figures.

Rows per figure with a column for every calendar month and quarter in [startDate, endDate] (clipped to
the range) plus MTD and YTD as of endDate; totals sum figures and subtract offsetting figures.
The parameters are declared required (OpenAPI says so); a missing or malformed one is answered 400, as
the interface asks, not FastAPI's 422 (`_SeedRoute`). A range longer than MAX_RANGE_DAYS is a 422: it is
well-formed, but one response would hold centuries of columns.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Caller, Db, requires
from api.errors import DESCRIPTIONS, ApiError, ErrorCode, ErrorDetail, error_responses
from api.performance_tables import pnl_daily_figures

MAX_RANGE_DAYS = 3660
"""The longest reporting range one request may ask for: ten years of months and quarters."""


class _SeedRoute(APIRoute):
    """Seed 003 answers a missing or malformed parameter with 400 VALIDATION_ERROR, not FastAPI's 422."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as error:
                first = error.errors()[0]
                name = str(first["loc"][-1])
                raise _bad_request(name, "is required" if first["type"] == "missing" else first["msg"]) from None

        return route


router = APIRouter(prefix="/portfolio", tags=["pnl"], dependencies=[requires("read:pnl")], route_class=_SeedRoute)

DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class RequestEcho(BaseModel):
    """The request as called: path and parameters exactly as sent."""

    path: str
    parameters: dict[str, str]


class ColumnOut(BaseModel):
    """A reporting column: a calendar month or quarter (clipped to the range), MTD or YTD as of endDate."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    type: str
    start_date: dt.date = Field(alias="startDate")
    end_date: dt.date = Field(alias="endDate")


class FigureRowOut(BaseModel):
    """One figure: its amount per column (facts summed); offsetting figures are subtracted in the totals."""

    model_config = ConfigDict(populate_by_name=True)

    figure: str
    is_offsetting: bool = Field(alias="isOffsetting")
    values: dict[str, float]


class ProfitLossOut(BaseModel):
    """The PortfolioProfitLoss response."""

    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "request": {
                        "path": "/api/v1/portfolio/profitloss",
                        "parameters": {"portfolioId": "E0002", "startDate": "2019-01-01", "endDate": "2019-04-15"},
                    },
                    "portfolioId": "E0002",
                    "startDate": "2019-01-01",
                    "endDate": "2019-04-15",
                    "columns": [
                        {"id": "2019-01", "type": "month", "startDate": "2019-01-01", "endDate": "2019-01-31"},
                        {"id": "2019-Q1", "type": "quarter", "startDate": "2019-01-01", "endDate": "2019-03-31"},
                        {"id": "MTD", "type": "mtd", "startDate": "2019-04-01", "endDate": "2019-04-15"},
                        {"id": "YTD", "type": "ytd", "startDate": "2019-01-01", "endDate": "2019-04-15"},
                    ],
                    "rows": [
                        {
                            "figure": "interest_income",
                            "isOffsetting": False,
                            "values": {"2019-01": 1200.0, "2019-Q1": 3500.0, "MTD": 400.0, "YTD": 3900.0},
                        },
                        {
                            "figure": "management_fees",
                            "isOffsetting": True,
                            "values": {"2019-01": 300.0, "2019-Q1": 900.0, "MTD": 150.0, "YTD": 1050.0},
                        },
                    ],
                    "totals": {"2019-01": 900.0, "2019-Q1": 2600.0, "MTD": 250.0, "YTD": 2850.0},
                }
            ]
        },
    )

    request: RequestEcho
    portfolio_id: str = Field(alias="portfolioId")
    start_date: dt.date = Field(alias="startDate")
    end_date: dt.date = Field(alias="endDate")
    columns: list[ColumnOut]
    rows: list[FigureRowOut]
    totals: dict[str, float]


def _bad_request(parameter: str, message: str) -> ApiError:
    detail = ErrorDetail(field=parameter, message=message, code="INVALID_PARAMETER")
    return ApiError(400, f"{parameter}: {message}", code=ErrorCode.VALIDATION_ERROR, details=[detail])


def _date(name: str, value: str) -> dt.date:
    if not value.strip():
        raise _bad_request(name, "is required (YYYY-MM-DD)")
    if not DATE_PATTERN.match(value):
        raise _bad_request(name, f"{value!r} is not a date in the form YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _bad_request(name, f"{value!r} is not a valid calendar date") from None


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def reporting_columns(start: dt.date, end: dt.date) -> list[tuple[str, str, dt.date, dt.date]]:
    """(id, type, first day, last day): months and quarters intersecting [start, end] clipped to it, then MTD, YTD."""
    months: list[tuple[str, str, dt.date, dt.date]] = []
    quarters: dict[str, tuple[str, str, dt.date, dt.date]] = {}
    cursor = start.replace(day=1)
    while cursor <= end:
        last = _month_end(cursor)
        months.append((f"{cursor:%Y-%m}", "month", max(cursor, start), min(last, end)))
        q = (cursor.month - 1) // 3 + 1
        q_first = dt.date(cursor.year, 3 * q - 2, 1)
        q_last = _month_end(dt.date(cursor.year, 3 * q, 1))
        quarters.setdefault(
            f"{cursor.year}-Q{q}", (f"{cursor.year}-Q{q}", "quarter", max(q_first, start), min(q_last, end))
        )
        cursor = last + dt.timedelta(days=1)
    return [
        *months,
        *quarters.values(),
        ("MTD", "mtd", end.replace(day=1), end),
        ("YTD", "ytd", dt.date(end.year, 1, 1), end),
    ]


def _responses() -> dict[int | str, dict[str, Any]]:
    responses = error_responses(401, 403, 404, 429, 503)
    responses[400] = {
        **error_responses(422)[422],
        "description": "A parameter is missing or malformed, or startDate > endDate.",
    }
    responses[404] = {**responses[404], "description": f"{DESCRIPTIONS[404]} Also when endDate is in the future."}
    responses[422] = {**error_responses(422)[422], "description": f"The range is longer than {MAX_RANGE_DAYS} days."}
    return responses


@router.get("/profitloss", summary="Portfolio profit and loss (seed 003)", responses=_responses())
def get_profit_loss(
    request: Request,
    db: Db,
    caller: Caller,
    portfolio_id: Annotated[str, Query(alias="portfolioId", max_length=200, description="The portfolio's id.")],
    start_date: Annotated[str, Query(alias="startDate", max_length=10, description="First reporting day, YYYY-MM-DD.")],
    end_date: Annotated[str, Query(alias="endDate", max_length=10, description="Last reporting day, YYYY-MM-DD.")],
) -> ProfitLossOut:
    """P&L rows per figure for every month and quarter in the range plus MTD and YTD relative to endDate."""
    if not portfolio_id.strip():
        raise _bad_request("portfolioId", "is required")
    start = _date("startDate", start_date)
    end = _date("endDate", end_date)
    if start > end:
        raise _bad_request("startDate", f"{start} is after endDate {end}")
    if (end - start).days > MAX_RANGE_DAYS:
        detail = ErrorDetail(field="startDate", message=f"at most {MAX_RANGE_DAYS} days", code="RANGE_TOO_LONG")
        message = f"the range {start} – {end} is longer than {MAX_RANGE_DAYS} days (ten years); ask for less"
        raise ApiError(422, message, code=ErrorCode.VALIDATION_ERROR, details=[detail])
    today = dt.datetime.now(dt.UTC).date()
    if end > today:
        raise ApiError(404, f"endDate {end} is in the future (today is {today}); no P&L exists for it yet")
    t = pnl_daily_figures
    owned = db.execute(
        sa.select(sa.literal(1)).where(t.c.tenant_id == caller.tenant_id, t.c.portfolio_id == portfolio_id).limit(1)
    ).first()
    if owned is None:
        raise ApiError(404, f"portfolio {portfolio_id!r} not found: no P&L facts were landed for it")
    columns = reporting_columns(start, end)
    first = min(c[2] for c in columns)
    facts = db.execute(
        sa.select(t.c.figure, t.c.is_offsetting, t.c.fact_date, t.c.amount).where(
            t.c.tenant_id == caller.tenant_id, t.c.portfolio_id == portfolio_id, t.c.fact_date.between(first, end)
        )
    ).all()
    sums: dict[tuple[str, bool], dict[str, Decimal]] = {}
    for figure, offsetting, day, amount in facts:
        row = sums.setdefault((figure, offsetting), {c[0]: Decimal(0) for c in columns})
        for column_id, _, lo, hi in columns:
            if lo <= day <= hi:
                row[column_id] += amount
    totals = {c[0]: Decimal(0) for c in columns}
    for (_, offsetting), values in sums.items():
        for column_id, amount in values.items():
            totals[column_id] += -amount if offsetting else amount
    return ProfitLossOut(
        request=RequestEcho(path=request.url.path, parameters=dict(request.query_params)),
        portfolioId=portfolio_id,
        startDate=start,
        endDate=end,
        columns=[ColumnOut(id=c[0], type=c[1], startDate=c[2], endDate=c[3]) for c in columns],
        rows=[
            FigureRowOut(figure=figure, isOffsetting=offsetting, values={k: float(v) for k, v in values.items()})
            for (figure, offsetting), values in sorted(sums.items())
        ],
        totals={k: float(v) for k, v in totals.items()},
    )
