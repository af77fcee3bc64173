"""`/api/v1/portfolio/profitloss`: seed 003's PortfolioProfitLoss interface over marts.pnl_period_figures.

Rows per figure with a column for every calendar month and quarter overlapping [startDate, endDate], plus
MTD and YTD, each as of endDate (`PERIOD_RULES`, the route's OpenAPI description, says what each column
holds). dbt sums the figures and the totals (offsetting figures subtracted); the route selects the rows
whose as-of span holds endDate and pivots them.
The parameters are declared required (OpenAPI says so); a missing or malformed one is answered 400, as
the interface asks, not FastAPI's 422 (`_SeedRoute`). A range longer than MAX_RANGE_DAYS is a 422: it is
well-formed, but one response would hold centuries of columns.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Coroutine, Sequence
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Caller, Db, Reader, requires
from api.errors import DESCRIPTIONS, ApiError, ErrorCode, ErrorDetail, error_responses
from api.marts.performance import pnl_period_figures
from api.routers.provenance.links import ProvenanceLinks, composite_id, provenance_link

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
PNL_LINK = "/api/v1/provenance/pnl/E0002:{}:2019-01-01:2019-04-15"


class RequestEcho(BaseModel):
    """The request as called: path and parameters exactly as sent."""

    path: str
    parameters: dict[str, str]


class ColumnOut(BaseModel):
    """A reporting column: a calendar month or quarter (up to endDate), MTD or YTD as of endDate."""

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
    links: ProvenanceLinks = Field(
        description="The figure's provenance (`<portfolioId>:<figure>:<first day shown>:<endDate>`): its files."
    )


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
                            "links": {"provenance": PNL_LINK.format("interest_income")},
                        },
                        {
                            "figure": "management_fees",
                            "isOffsetting": True,
                            "values": {"2019-01": 300.0, "2019-Q1": 900.0, "MTD": 150.0, "YTD": 1050.0},
                            "links": {"provenance": PNL_LINK.format("management_fees")},
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


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def reporting_columns(start: dt.date, end: dt.date) -> list[tuple[str, str, dt.date, dt.date]]:
    """(id, type, first day, last day): the calendar months, then quarters, overlapping [start, end], then MTD, YTD.

    A month or quarter runs from its first day (even when `start` falls later in it) to its last day or
    `end`, whichever is earlier; MTD and YTD run from the first day of `end`'s month / year to `end`.
    """
    months: list[tuple[str, str, dt.date, dt.date]] = []
    quarters: list[tuple[str, str, dt.date, dt.date]] = []
    cursor = start.replace(day=1)
    while cursor <= end:
        last = _month_end(cursor)
        months.append((f"{cursor:%Y-%m}", "month", cursor, min(last, end)))
        cursor = last + dt.timedelta(days=1)
    cursor = _quarter_start(start)
    while cursor <= end:
        last = _month_end(dt.date(cursor.year, cursor.month + 2, 1))
        quarters.append((f"{cursor.year}-Q{(cursor.month + 2) // 3}", "quarter", cursor, min(last, end)))
        cursor = last + dt.timedelta(days=1)
    return [*months, *quarters, ("MTD", "mtd", end.replace(day=1), end), ("YTD", "ytd", dt.date(end.year, 1, 1), end)]


async def _figures_as_of(
    db: Reader, tenant_id: str, portfolio_id: str, start: dt.date, end: dt.date
) -> Sequence[sa.Row[Any]]:
    """The dbt-summed amount as of `end` of every line and period a column shows, figures by name, totals last.

    Months and quarters ending on or after `start`, and the year holding `end`; for each, the as-of span
    that holds `end` (a period that ended before `end` has its whole amount there).
    """
    t = pnl_period_figures
    shown = sa.or_(
        sa.and_(t.c.period_kind.in_(["month", "quarter"]), t.c.period_end >= start),
        sa.and_(t.c.period_kind == "year", t.c.period_start == dt.date(end.year, 1, 1)),
    )
    stmt = (
        sa.select(
            t.c.line_kind,
            t.c.figure,
            t.c.is_offsetting,
            t.c.period_kind,
            t.c.period_label,
            t.c.period_start,
            t.c.amount,
        )
        .where(
            t.c.tenant_id == tenant_id,
            t.c.portfolio_id == portfolio_id,
            t.c.as_of_from <= end,
            sa.or_(t.c.as_of_to.is_(None), t.c.as_of_to >= end),
            shown,
        )
        .order_by(t.c.line_kind, t.c.figure.collate("C"), t.c.is_offsetting)
    )
    return (await db.execute(stmt)).all()


async def _has_facts(db: Reader, tenant_id: str, portfolio_id: str) -> bool:
    """Whether any P&L fact of the portfolio was landed for the tenant."""
    t = pnl_period_figures
    stmt = sa.select(t.c.portfolio_id).where(t.c.tenant_id == tenant_id, t.c.portfolio_id == portfolio_id).limit(1)
    return (await db.execute(stmt)).first() is not None


def _column_ids(kind: str, label: str, period_start: dt.date, end: dt.date) -> tuple[str, ...]:
    """The response columns a period row fills: its own month or quarter, MTD for endDate's month, YTD for the year."""
    if kind == "year":
        return ("YTD",)
    if kind == "month" and period_start == end.replace(day=1):
        return (label, "MTD")
    return (label,)


COLUMN_KINDS = ("month", "quarter", "mtd", "ytd")
"""Seed 003's selectable columns, in the order a response lists them."""


def _column_kinds(columns: str | None) -> tuple[str, ...]:
    """The column kinds asked for (`month,ytd`), each known and named once; all of them when none is given."""
    if columns is None:
        return COLUMN_KINDS
    asked = [part.strip().lower() for part in columns.split(",")]
    unknown = [part for part in asked if part not in COLUMN_KINDS]
    if unknown or not asked:
        raise _bad_request("columns", f"{unknown or asked} unknown; choose from {', '.join(COLUMN_KINDS)}")
    if len(set(asked)) != len(asked):
        raise _bad_request("columns", f"{columns!r} names a column kind twice")
    return tuple(asked)


def _responses() -> dict[int | str, dict[str, Any]]:
    responses = error_responses(401, 403, 404, 429, 503)
    responses[400] = {
        **error_responses(422)[422],
        "description": "A parameter is missing or malformed, or startDate > endDate.",
    }
    responses[404] = {**responses[404], "description": f"{DESCRIPTIONS[404]} Also when endDate is in the future."}
    responses[422] = {**error_responses(422)[422], "description": f"The range is longer than {MAX_RANGE_DAYS} days."}
    return responses


PERIOD_RULES = """Seed 003's PortfolioProfitLoss: a row per figure (its facts summed) and totals (figures summed,
offsetting figures subtracted) in these columns:

- **month** and **quarter**: every calendar month, then every calendar quarter, that overlaps
  [startDate, endDate]. Each covers its calendar period from the period's first day, also when startDate
  falls later in it, up to the period's last day or endDate, whichever is earlier (the column's own
  startDate / endDate say which days it holds).
- **MTD**: the first day of endDate's month to endDate. **YTD**: 1 January of endDate's year to endDate.

`columns` (optional, e.g. `month,ytd`) selects which of the four kinds to show, as seed 003's "selectable columns"
asks; the response keeps the order month, quarter, MTD, YTD. An unknown or repeated kind is a 400.

endDate is the reporting date: no fact after it counts in any column. startDate only picks the first month
and quarter shown; it never cuts a calendar period, so a range that starts mid-month shows that whole
month, and its first quarter column is the whole quarter holding startDate (as YTD, too, starts before a
startDate later in the year). Amounts are dbt's (`marts.pnl_period_figures`: every calendar period as of
each day); this route only selects and pivots them. A figure with no fact in a column shows 0 there."""


@router.get(
    "/profitloss",
    summary="Portfolio profit and loss (seed 003)",
    description=PERIOD_RULES,
    responses=_responses(),
)
async def get_profit_loss(
    request: Request,
    db: Db,
    caller: Caller,
    portfolio_id: Annotated[str, Query(alias="portfolioId", max_length=200, description="The portfolio's id.")],
    start_date: Annotated[str, Query(alias="startDate", max_length=10, description="First reporting day, YYYY-MM-DD.")],
    end_date: Annotated[str, Query(alias="endDate", max_length=10, description="Last reporting day, YYYY-MM-DD.")],
    columns: Annotated[
        str | None,
        Query(
            max_length=40,
            description="Column kinds to show, comma-separated: month, quarter, mtd, ytd (default: all four).",
            examples=["month,ytd"],
        ),
    ] = None,
) -> ProfitLossOut:
    """P&L rows per figure for every month and quarter of the range, and MTD and YTD, all as of endDate."""
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
    kinds = _column_kinds(columns)
    found = await _figures_as_of(db, caller.tenant_id, portfolio_id, start, end)
    if not found and not await _has_facts(db, caller.tenant_id, portfolio_id):
        raise ApiError(404, f"portfolio {portfolio_id!r} not found: no P&L facts were landed for it")
    shown = [c for c in reporting_columns(start, end) if c[1] in kinds]
    zeros = dict.fromkeys((c[0] for c in shown), 0)
    rows: dict[tuple[str, bool], dict[str, Any]] = {}
    totals = dict(zeros)
    first_day = min(c[2] for c in shown)
    for line_kind, figure, offsetting, kind, label, period_start, amount in found:
        values = totals if line_kind == "total" else rows.setdefault((figure, offsetting), dict(zeros))
        for column_id in _column_ids(kind, label, period_start, end):
            if column_id in zeros:
                values[column_id] = amount
    return ProfitLossOut.model_validate(
        {
            "request": {"path": request.url.path, "parameters": dict(request.query_params)},
            "portfolioId": portfolio_id,
            "startDate": start,
            "endDate": end,
            "columns": [{"id": c[0], "type": c[1], "startDate": c[2], "endDate": c[3]} for c in shown],
            "rows": [
                {
                    "figure": figure,
                    "isOffsetting": offsetting,
                    "values": values,
                    "links": provenance_link("pnl", composite_id(portfolio_id, figure, first_day, end)),
                }
                for (figure, offsetting), values in rows.items()
            ],
            "totals": totals,
        }
    )
