"""Equity risk reads (seed 004, SigmaSight): portfolios, positions, Greeks, factors, risk, snapshots, prices.

Every figure carries `as_of_date`, the trading day it was computed for (by default the portfolio's latest
materialized session; `as_of` picks another). Rows are the caller's tenant's only; another tenant's portfolio
or position is a 404. Market data is served for tickers the tenant holds and the factor ETFs.
Models in `schemas.py` and `risk_schemas.py`, warehouse reads in `queries.py` of this package.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from api.deps import Caller, Db, requires
from api.errors import ApiError, ErrorCode, ErrorDetail, error_responses, not_found
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
    EquityPortfolioOut,
    OverviewOut,
    PortfolioList,
    PositionGreeksOut,
    PositionGroupOut,
    PositionOut,
    PositionsOut,
    SnapshotList,
    SnapshotOut,
    TagList,
    TagOut,
)
from orchestration.equity import tables as t
from orchestration.equity.config import load_settings, load_tag_settings
from orchestration.equity.occ import POSITION_TYPES
from orchestration.equity.tags import matches, tag_color

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
AsOfParam = Annotated[dt.date | None, Query(description="Trading day (YYYY-MM-DD); omitted = the latest computed.")]
PositionId = Annotated[str, Path(max_length=100, description="Position id (from /positions).")]


def _position(row: Any) -> PositionOut:
    """A position row (with its joined Greeks, if any) as the response model."""
    greeks = None
    if row.g_source is not None:
        greeks = PositionGreeksOut(
            source=row.g_source,
            delta=row.position_delta,
            gamma=row.position_gamma,
            theta=row.position_theta,
            vega=row.position_vega,
            rho=row.position_rho,
            delta_adjusted_exposure=row.delta_adjusted_exposure,
        )
    fields = {name: getattr(row, name) for name in PositionOut.model_fields if name != "greeks"}
    return PositionOut(**fields, greeks=greeks)


def _split(value: str | None) -> list[str]:
    """The non-blank, stripped parts of a comma-separated query value."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _bad_param(field: str, message: str) -> ApiError:
    """The 422 answered for a query parameter the route itself rejects."""
    detail = ErrorDetail(field=field, message=message, code="invalid")
    return ApiError(422, message, code=ErrorCode.VALIDATION_ERROR, details=[detail])


def _none(value: Any) -> Any:
    """The value, with a float NaN as None."""
    return None if isinstance(value, float) and value != value else value


@router.get("/portfolios", summary="List portfolios", responses=ERRORS)
def list_portfolios(db: Db, caller: Caller) -> PortfolioList:
    """The tenant's portfolios (current positions file of each) and their latest computed trading day."""
    latest = q.latest_snapshot_days(db, caller.tenant_id)
    return PortfolioList(
        data=[
            EquityPortfolioOut(
                portfolio_id=r.portfolio_id,
                name=r.name,
                base_currency=r.base_currency,
                position_count=r.position_count,
                effective_from=r.effective_from,
                as_of_date=latest.get(r.portfolio_id),
            )
            for r in q.current_portfolios(db, caller.tenant_id)
        ]
    )


@router.get("/portfolio", summary="Portfolio overview (seed 004)", responses=ERRORS)
def portfolio_overview(
    db: Db, caller: Caller, portfolio_id: PortfolioParam = None, as_of: AsOfParam = None
) -> OverviewOut:
    """Total value, long/short/gross/net exposure, daily/MTD/YTD P&L and counts by type on one trading day."""
    portfolio = q.require_portfolio(db, caller.tenant_id, portfolio_id)
    day = q.as_of_day(db, t.portfolio_snapshots, caller.tenant_id, portfolio, as_of)
    row = q.snapshot_on(db, caller.tenant_id, portfolio, day)
    return OverviewOut(
        portfolio_id=portfolio,
        as_of_date=day,
        total_value=row.total_market_value,
        long_exposure=row.long_exposure,
        short_exposure=row.short_exposure,
        gross_exposure=row.gross_exposure,
        net_exposure=row.net_exposure,
        pnl={"daily": row.daily_pnl, "mtd": row.mtd_pnl, "ytd": row.ytd_pnl},
        unrealized_pnl=row.unrealized_pnl,
        position_count=row.position_count,
        counts_by_type=row.counts_by_type,
    )


@router.get("/portfolio/snapshots", summary="Daily portfolio snapshots", responses=ERRORS)
def portfolio_snapshots(
    db: Db,
    caller: Caller,
    portfolio_id: PortfolioParam = None,
    start: Annotated[dt.date | None, Query(description="First trading day (inclusive).")] = None,
    end: Annotated[dt.date | None, Query(description="Last trading day (inclusive).")] = None,
) -> SnapshotList:
    """One snapshot per trading day in [start, end] (oldest first; retention 365 days by default)."""
    if start and end and start > end:
        raise _bad_param("start", "start must be on or before end")
    portfolio = q.require_portfolio(db, caller.tenant_id, portfolio_id)
    rows = q.snapshots_between(db, caller.tenant_id, portfolio, start, end)
    return SnapshotList(
        portfolio_id=portfolio,
        data=[SnapshotOut(**{k: getattr(r, k) for k in SnapshotOut.model_fields}) for r in rows],
    )


@router.get("/positions", summary="List positions (seed 004)", responses=ERRORS)
def list_positions(
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
    """Positions with market value, exposure, P&L, Greeks and tags on one trading day."""
    wanted_types = _split(types)
    bad = [x for x in wanted_types if x not in POSITION_TYPES]
    if bad:
        raise _bad_param("type", f"unknown position type(s) {bad}; expected some of {list(POSITION_TYPES)}")
    portfolio = q.require_portfolio(db, caller.tenant_id, portfolio_id)
    day = q.as_of_day(db, t.position_valuations, caller.tenant_id, portfolio, as_of)
    wanted_tags = [x.lower() for x in _split(tags)]
    positions = [
        _position(r)
        for r in q.position_rows(db, caller.tenant_id, portfolio, day)
        if (not wanted_types or r.position_type in wanted_types) and matches(r.tags, wanted_tags, tag_mode)
    ]
    groups = None
    if group_by:
        buckets: dict[str, list[PositionOut]] = defaultdict(list)
        for p in positions:
            for key in [p.position_type] if group_by == "type" else (p.tags or ["(untagged)"]):
                buckets[key].append(p)
        groups = [
            PositionGroupOut(
                key=k,
                count=len(v),
                market_value=sum(p.market_value for p in v),
                exposure=sum(p.exposure for p in v),
                daily_pnl=sum(p.daily_pnl for p in v),
                position_ids=[p.position_id for p in v],
            )
            for k, v in sorted(buckets.items())
        ]
    return PositionsOut(portfolio_id=portfolio, as_of_date=day, count=len(positions), data=positions, groups=groups)


@router.get("/positions/{position_id}", summary="Get a position", responses=ERRORS)
def get_position(db: Db, caller: Caller, position_id: PositionId) -> PositionOut:
    """The position on its latest computed trading day."""
    found = q.require_position(db, caller.tenant_id, position_id)
    rows = q.position_rows(db, caller.tenant_id, found.portfolio_id, found.day)
    return _position(next(r for r in rows if r.position_id == position_id))


@router.get("/positions/{position_id}/tags", summary="A position's tags", responses=ERRORS)
def get_position_tags(db: Db, caller: Caller, position_id: PositionId) -> TagList:
    """Tags of the position with their colours."""
    found = q.require_position(db, caller.tenant_id, position_id)
    rows = q.position_rows(db, caller.tenant_id, found.portfolio_id, found.day)
    row = next(r for r in rows if r.position_id == position_id)
    tag_settings = load_tag_settings()
    return TagList(data=[TagOut(name=x, color=tag_color(x, tag_settings), position_count=1) for x in row.tags])


@router.get("/tags", summary="List tags", responses=ERRORS)
def list_tags(db: Db, caller: Caller) -> TagList:
    """Every tag on the tenant's current positions (latest file of each portfolio), with colour and count."""
    counts = q.current_tag_counts(db, caller.tenant_id)
    tag_settings = load_tag_settings()
    return TagList(
        data=[TagOut(name=k, color=tag_color(k, tag_settings), position_count=v) for k, v in sorted(counts.items())]
    )


@router.get("/risk/greeks", summary="Aggregated Greeks by view", responses=ERRORS)
def risk_greeks(
    db: Db,
    caller: Caller,
    portfolio_id: PortfolioParam = None,
    as_of: AsOfParam = None,
    view: Annotated[Literal["portfolio", "longs", "shorts"], Query(description="Which positions.")] = "portfolio",
) -> GreeksOut:
    """Σ position Greeks and delta-adjusted exposure over the view's positions."""
    portfolio = q.require_portfolio(db, caller.tenant_id, portfolio_id)
    day = q.as_of_day(db, t.position_greeks, caller.tenant_id, portfolio, as_of)
    row = q.greeks_totals(db, caller.tenant_id, portfolio, day, view)
    return GreeksOut(
        portfolio_id=portfolio,
        as_of_date=day,
        view=view,
        count=row.count,
        delta=row.delta,
        gamma=row.gamma,
        theta=row.theta,
        vega=row.vega,
        rho=row.rho,
        delta_adjusted_exposure=row.dae,
        mock_positions=row.mock,
    )


@router.get("/risk/factors", summary="Factor exposures with diagnostics", responses=ERRORS)
def risk_factors(db: Db, caller: Caller, portfolio_id: PortfolioParam = None, as_of: AsOfParam = None) -> FactorsOut:
    """Portfolio and position betas per factor, the factor correlation matrix and VIFs, on one trading day."""
    portfolio = q.require_portfolio(db, caller.tenant_id, portfolio_id)
    day = q.as_of_day(db, t.portfolio_factors, caller.tenant_id, portfolio, as_of)
    factors = q.portfolio_factor_rows(db, caller.tenant_id, portfolio, day)
    betas = q.factor_beta_rows(db, caller.tenant_id, portfolio, day)
    diagnostics = q.factor_diagnostic_rows(db, day)
    order = {x.name: i for i, x in enumerate(load_settings().factors)}
    return FactorsOut(
        portfolio_id=portfolio,
        as_of_date=day,
        window_days=load_settings().beta_window,
        factors=sorted(
            (FactorOut(**{k: _none(getattr(r, k)) for k in FactorOut.model_fields}) for r in factors),
            key=lambda x: order.get(x.factor, len(order)),
        ),
        positions=[PositionBetaOut(**{k: _none(getattr(r, k)) for k in PositionBetaOut.model_fields}) for r in betas],
        diagnostics=sorted(
            (DiagnosticOut(**{k: _none(getattr(r, k)) for k in DiagnosticOut.model_fields}) for r in diagnostics),
            key=lambda x: order.get(x.factor, len(order)),
        ),
    )


@router.get("/risk/metrics", summary="Portfolio risk metrics", responses=ERRORS)
def risk_metrics(
    db: Db, caller: Caller, portfolio_id: PortfolioParam = None, as_of: AsOfParam = None
) -> RiskMetricsOut:
    """Beta to SPY, volatility, Sharpe, max drawdown and 1-day 95% VaR (parametric, historical, factor)."""
    portfolio = q.require_portfolio(db, caller.tenant_id, portfolio_id)
    day = q.as_of_day(db, t.risk_metrics, caller.tenant_id, portfolio, as_of)
    row = q.risk_metrics_row(db, caller.tenant_id, portfolio, day)
    return RiskMetricsOut(**{k: _none(getattr(row, k)) for k in RiskMetricsOut.model_fields})


@router.get("/market-data/prices", summary="End-of-day prices of a ticker", responses=ERRORS)
def market_prices(
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
    if not q.holds_ticker(db, caller.tenant_id, symbol) and symbol not in load_settings().etfs:
        raise not_found("ticker", symbol)
    rows = q.price_rows(db, symbol, start, end)
    return PriceList(
        ticker=symbol,
        data=[
            PriceOut(
                ticker=r.ticker,
                as_of_date=r.price_date,
                open=r.open,
                high=r.high,
                low=r.low,
                close=r.close,
                volume=r.volume,
                source=r.source,
            )
            for r in rows
        ],
    )


@router.get("/market-data/backfill-progress", summary="Historical backfill progress", responses=ERRORS)
def backfill_progress(db: Db, caller: Caller) -> BackfillList:
    """The tenant's backfills (seed 004's historical_backfill_progress), newest first."""
    rows = q.backfill_rows(db, caller.tenant_id)
    return BackfillList(data=[BackfillOut(**{k: getattr(r, k) for k in BackfillOut.model_fields}) for r in rows])
