"""Equity risk reads (seed 004, SigmaSight): portfolios, positions, Greeks, factors, risk, snapshots, prices.

Every figure carries `as_of_date`, the trading day it was computed for (by default the portfolio's latest
materialized session; `as_of` picks another). Rows are the caller's tenant's only; another tenant's portfolio
or position is a 404. Market data is served for tickers the tenant holds and the factor ETFs.
Every read is over `marts.equity_*` (dbt views, so always current; sums and counts are summed there).
Models in `schemas.py` and `risk_schemas.py`, warehouse reads in `queries.py` of this package.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from api import configuration
from api.deps import Caller, Db, requires
from api.errors import ApiError, ErrorCode, ErrorDetail, error_responses, not_found
from api.marts import equity as m
from api.routers.equity import queries as q
from api.routers.equity.risk_schemas import (
    BackfillList,
    BackfillOut,
    DiagnosticOut,
    FactorOut,
    FactorsOut,
    GreeksOut,
    PositionBetaOut,
    PriceList,
    PriceOut,
    RiskMetricsOut,
)
from api.routers.equity.schemas import (
    PORTFOLIO,
    OverviewOut,
    PortfolioList,
    PositionOut,
    PositionsOut,
    SnapshotList,
    SnapshotOut,
    TagList,
)
from api.routers.provenance.links import composite_id, provenance_link

router = APIRouter(tags=["equity"], dependencies=[requires("read:equity")])
ERRORS = error_responses(401, 403, 404, 422, 429, 503)

PortfolioParam = Annotated[
    str | None,
    Query(
        max_length=200,
        description="Portfolio id; omitted = the tenant's first portfolio (by id).",
        examples=[PORTFOLIO],
    ),
]
PositionPortfolioParam = Annotated[
    str | None,
    Query(
        max_length=200,
        description="Portfolio to read the position in (404 when it does not hold it); omitted = the first of "
        "the tenant's portfolios (by id) that holds it.",
        examples=[PORTFOLIO],
    ),
]
AsOfParam = Annotated[dt.date | None, Query(description="Trading day (YYYY-MM-DD); omitted = the latest computed.")]
PositionId = Annotated[str, Path(max_length=100, description="Position id (from /positions).")]

GREEKS = ("source", "delta", "gamma", "theta", "vega", "rho", "delta_adjusted_exposure")
POSITION_COLUMNS = [
    *(m.position_daily.c[name] for name in PositionOut.model_fields if name not in ("greeks", "links")),
    *(m.position_daily.c[f"greeks_{name}"] for name in GREEKS),
]
SNAPSHOT_COLUMNS = [m.portfolio_daily.c[name] for name in SnapshotOut.model_fields]
OVERVIEW_COLUMNS = [
    m.portfolio_daily.c[name]
    for name in (
        "as_of_date",
        "total_market_value",
        *("long_exposure", "short_exposure", "gross_exposure", "net_exposure"),
        *("daily_pnl", "mtd_pnl", "ytd_pnl", "unrealized_pnl"),
        *("position_count", "counts_by_type"),
    )
]


def _position(row: Any) -> dict[str, Any]:
    """A position row as the response's plain dict, its greeks_* columns nested (None when none computed)."""
    values = row._asdict()
    greeks = {name: values.pop(f"greeks_{name}") for name in GREEKS}
    values["greeks"] = greeks if greeks["source"] is not None else None
    item_id = composite_id(values["position_id"], values["as_of_date"])
    values["links"] = provenance_link("position_valuation", item_id)
    return values


def _split(value: str | None) -> list[str]:
    """The non-blank, stripped parts of a comma-separated query value."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _bad_param(field: str, message: str) -> ApiError:
    """The 422 answered for a query parameter the route itself rejects."""
    detail = ErrorDetail(field=field, message=message, code="invalid")
    return ApiError(422, message, code=ErrorCode.VALIDATION_ERROR, details=[detail])


@router.get("/portfolios", summary="List portfolios", responses=ERRORS)
async def list_portfolios(db: Db, caller: Caller) -> PortfolioList:
    """The tenant's portfolios (current positions file of each) and their latest computed trading day."""
    rows = await q.portfolio_rows(db, caller.tenant_id)
    return PortfolioList.model_validate({"data": [row._asdict() for row in rows]})


@router.get("/portfolio", summary="Portfolio overview (seed 004)", responses=ERRORS)
async def portfolio_overview(
    db: Db, caller: Caller, portfolio_id: PortfolioParam = None, as_of: AsOfParam = None
) -> OverviewOut:
    """Total value, long/short/gross/net exposure, daily/MTD/YTD P&L and counts by type on one trading day."""
    portfolio = await q.require_portfolio(db, caller.tenant_id, portfolio_id)
    row = await q.snapshot_row(db, caller.tenant_id, portfolio, as_of, OVERVIEW_COLUMNS)
    values = row._asdict()
    pnl = {"daily": values.pop("daily_pnl"), "mtd": values.pop("mtd_pnl"), "ytd": values.pop("ytd_pnl")}
    total_value = values.pop("total_market_value")
    return OverviewOut.model_validate({**values, "portfolio_id": portfolio, "total_value": total_value, "pnl": pnl})


@router.get("/portfolio/snapshots", summary="Daily portfolio snapshots", responses=ERRORS)
async def portfolio_snapshots(
    db: Db,
    caller: Caller,
    portfolio_id: PortfolioParam = None,
    start: Annotated[dt.date | None, Query(description="First trading day (inclusive).")] = None,
    end: Annotated[dt.date | None, Query(description="Last trading day (inclusive).")] = None,
) -> SnapshotList:
    """One snapshot per trading day in [start, end] (oldest first; retention 365 days by default)."""
    if start and end and start > end:
        raise _bad_param("start", "start must be on or before end")
    portfolio = await q.require_portfolio(db, caller.tenant_id, portfolio_id)
    rows = await q.snapshot_rows(db, caller.tenant_id, portfolio, start, end, SNAPSHOT_COLUMNS)
    return SnapshotList.model_validate({"portfolio_id": portfolio, "data": [row._asdict() for row in rows]})


@router.get("/positions", summary="List positions (seed 004)", responses=ERRORS)
async def list_positions(
    db: Db,
    caller: Caller,
    portfolio_id: PortfolioParam = None,
    as_of: AsOfParam = None,
    group_by: Annotated[
        Literal["type", "tag"] | None, Query(alias="groupBy", description="Group by type or tag.")
    ] = None,
    tags: Annotated[
        str | None, Query(max_length=1000, description="Comma-separated tags.", examples=["momentum,hedge"])
    ] = None,
    tag_mode: Annotated[Literal["any", "all"], Query(alias="tagMode", description="OR (any) or AND (all).")] = "any",
    types: Annotated[
        str | None, Query(alias="type", max_length=100, description="Position types, e.g. LONG,LC.")
    ] = None,
) -> PositionsOut:
    """Positions with market value, exposure, P&L, Greeks and tags on one trading day.

    Groups (`groupBy`) cover the filtered positions: by type, or by tag (a position in each of its tags,
    `(untagged)` when it has none), with the count and Σ market value, exposure and daily P&L of their members.
    """
    wanted_types = _split(types)
    if wanted_types:
        known = [d["name"] for d in await configuration.documents(db, "equity_position_type")]
        bad = [x for x in wanted_types if x not in known]
        if bad:
            raise _bad_param("type", f"unknown position type(s) {bad}; expected some of {known}")
    wanted_tags = [x.lower() for x in _split(tags)]
    portfolio = await q.require_portfolio(db, caller.tenant_id, portfolio_id)
    day = await q.position_day(db, caller.tenant_id, portfolio, as_of)
    filters: dict[str, Any] = {"types": wanted_types, "tags": wanted_tags, "tag_mode": tag_mode}
    rows = await q.position_rows(db, caller.tenant_id, portfolio, day, POSITION_COLUMNS, **filters)
    groups = None
    if group_by:
        group_rows = await q.position_groups(db, caller.tenant_id, portfolio, day, group_by, **filters)
        groups = [row._asdict() for row in group_rows]
    data = [_position(row) for row in rows]
    return PositionsOut.model_validate(
        {"portfolio_id": portfolio, "as_of_date": day, "count": len(data), "data": data, "groups": groups}
    )


@router.get("/positions/{position_id}", summary="Get a position", responses=ERRORS)
async def get_position(
    db: Db, caller: Caller, position_id: PositionId, portfolio_id: PositionPortfolioParam = None
) -> PositionOut:
    """The position on its latest computed trading day (in `portfolio_id`, else its first portfolio by id)."""
    row = await q.position_row(db, caller.tenant_id, position_id, portfolio_id, POSITION_COLUMNS)
    return PositionOut.model_validate(_position(row))


@router.get("/positions/{position_id}/tags", summary="A position's tags", responses=ERRORS)
async def get_position_tags(
    db: Db, caller: Caller, position_id: PositionId, portfolio_id: PositionPortfolioParam = None
) -> TagList:
    """Tags of the position (as /positions/{id} serves it) with their colours and counts.

    A tag's `position_count` is the one /tags serves: how many of the tenant's current positions carry it
    (0 for a tag no current position carries).
    """
    row = await q.position_row(db, caller.tenant_id, position_id, portfolio_id, [m.position_daily.c.tags])
    rows = await q.tag_count_rows(db, caller.tenant_id, row.tags) if row.tags else []
    found = {r.name: r._asdict() for r in rows}
    return TagList.model_validate({"data": [found[tag] for tag in row.tags if tag in found]})


@router.get("/tags", summary="List tags", responses=ERRORS)
async def list_tags(db: Db, caller: Caller) -> TagList:
    """Every tag on the tenant's current positions (latest file of each portfolio), with colour and count."""
    rows = await q.tag_count_rows(db, caller.tenant_id)
    return TagList.model_validate({"data": [r._asdict() for r in rows]})


@router.get("/risk/greeks", summary="Aggregated Greeks by view", responses=ERRORS)
async def risk_greeks(
    db: Db,
    caller: Caller,
    portfolio_id: PortfolioParam = None,
    as_of: AsOfParam = None,
    view: Annotated[Literal["portfolio", "longs", "shorts"], Query(description="Which positions.")] = "portfolio",
) -> GreeksOut:
    """Σ position Greeks and delta-adjusted exposure over the view's positions."""
    portfolio = await q.require_portfolio(db, caller.tenant_id, portfolio_id)
    row = await q.greeks_row(db, caller.tenant_id, portfolio, as_of, view)
    return GreeksOut.model_validate({**row._asdict(), "portfolio_id": portfolio, "view": view})


@router.get("/risk/factors", summary="Factor exposures with diagnostics", responses=ERRORS)
async def risk_factors(
    db: Db, caller: Caller, portfolio_id: PortfolioParam = None, as_of: AsOfParam = None
) -> FactorsOut:
    """Portfolio and position betas per factor, the factor correlation matrix and VIFs, on one trading day."""
    tenant = caller.tenant_id
    portfolio = await q.require_portfolio(db, tenant, portfolio_id)
    day, window = await q.factor_day(db, tenant, portfolio, as_of)
    exposures, betas, diagnostics = m.factor_exposures, m.factor_betas, m.factor_diagnostics
    factors = await q.day_rows(
        db,
        exposures,
        day,
        [exposures.c[k] for k in FactorOut.model_fields],
        q.scope(exposures, tenant, portfolio),
        order_by=[q.factor_rank(exposures.c.factor)],
    )
    positions = await q.day_rows(
        db,
        betas,
        day,
        [betas.c[k] for k in PositionBetaOut.model_fields if k != "links"],
        q.scope(betas, tenant, portfolio),
        order_by=[betas.c.ticker, betas.c.factor],
    )
    matrix = await q.day_rows(
        db,
        diagnostics,
        day,
        [diagnostics.c[k] for k in DiagnosticOut.model_fields],
        order_by=[q.factor_rank(diagnostics.c.factor)],
    )
    for beta in positions:
        beta["links"] = provenance_link("beta", composite_id(beta["position_id"], beta["factor"], day))
    return FactorsOut.model_validate(
        {
            "portfolio_id": portfolio,
            "as_of_date": day,
            "window_days": window,
            "factors": factors,
            "positions": positions,
            "diagnostics": matrix,
        }
    )


@router.get("/risk/metrics", summary="Portfolio risk metrics", responses=ERRORS)
async def risk_metrics(
    db: Db, caller: Caller, portfolio_id: PortfolioParam = None, as_of: AsOfParam = None
) -> RiskMetricsOut:
    """Beta to SPY, volatility, Sharpe, max drawdown and 1-day 95% VaR (parametric, historical, factor)."""
    portfolio = await q.require_portfolio(db, caller.tenant_id, portfolio_id)
    columns = [m.risk_metrics.c[name] for name in RiskMetricsOut.model_fields if name != "links"]
    row = await q.risk_metrics_row(db, caller.tenant_id, portfolio, as_of, columns)
    links = provenance_link("risk_metric", composite_id(row.portfolio_id, row.as_of_date))
    return RiskMetricsOut.model_validate({**row._asdict(), "links": links})


@router.get("/market-data/prices", summary="End-of-day prices of a ticker", responses=ERRORS)
async def market_prices(
    db: Db,
    caller: Caller,
    ticker: Annotated[
        str, Query(min_length=1, max_length=40, description="Held ticker, option or factor ETF.", examples=["SPY"])
    ],
    start: Annotated[dt.date | None, Query(description="First day (inclusive).")] = None,
    end: Annotated[dt.date | None, Query(description="Last day (inclusive).")] = None,
) -> PriceList:
    """Bars in [start, end] for a ticker the tenant holds (any file) or a factor ETF; others are a 404."""
    if start and end and start > end:
        raise _bad_param("start", "start must be on or before end")
    symbol = ticker.strip().upper()
    is_etf = await configuration.has(db, "equity_factor", "etf", symbol)
    if not is_etf and not await q.holds_symbol(db, caller.tenant_id, symbol):
        raise not_found("ticker", symbol)
    columns = [m.market_prices.c[name] for name in PriceOut.model_fields]
    rows = await q.price_rows(db, symbol, start, end, columns)
    return PriceList.model_validate({"ticker": symbol, "data": [row._asdict() for row in rows]})


@router.get("/market-data/backfill-progress", summary="Historical backfill progress", responses=ERRORS)
async def backfill_progress(db: Db, caller: Caller) -> BackfillList:
    """The tenant's backfills (seed 004's historical_backfill_progress), newest first."""
    columns = [m.backfill_progress.c[name] for name in BackfillOut.model_fields]
    rows = await q.backfill_rows(db, caller.tenant_id, columns)
    return BackfillList.model_validate({"data": [row._asdict() for row in rows]})
