"""Equity risk reads (seed 004, SigmaSight): portfolios, positions, Greeks, factors, risk, snapshots, prices.

Every figure carries `as_of_date`, the trading day it was computed for (by default the portfolio's latest
materialized session; `as_of` picks another). Rows are the caller's tenant's only; another tenant's portfolio
or position is a 404. Market data is served for tickers the tenant holds and the factor ETFs.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Connection

from api.deps import Caller, Db, requires
from api.errors import ApiError, ErrorCode, ErrorDetail, error_responses, not_found
from orchestration.equity import tables as t
from orchestration.equity.config import load_settings, load_tag_settings
from orchestration.equity.occ import POSITION_TYPES
from orchestration.equity.tags import matches, tag_color

router = APIRouter(tags=["equity"], dependencies=[requires("read:equity")])
ERRORS = error_responses(401, 403, 404, 422, 429, 503)
PORTFOLIO = "acme-long-short"
AS_OF = "2026-11-20"

PortfolioParam = Annotated[
    str | None,
    Query(
        max_length=200,
        description="Portfolio id; omitted = the tenant's first portfolio (by id).",
        examples=[PORTFOLIO],
    ),
]
AsOfParam = Annotated[dt.date | None, Query(description="Trading day (YYYY-MM-DD); omitted = the latest computed.")]


def _example(**values: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [values]})


class PortfolioOut(BaseModel):
    """A portfolio: its current positions file and latest computed trading day."""

    model_config = _example(
        portfolio_id=PORTFOLIO,
        name="Acme Long/Short Equity",
        base_currency="USD",
        position_count=50,
        effective_from="2026-11-22",
        as_of_date=AS_OF,
    )

    portfolio_id: str
    name: str
    base_currency: str
    position_count: int
    effective_from: dt.date
    as_of_date: dt.date | None


class PortfolioList(BaseModel):
    """The tenant's portfolios."""

    data: list[PortfolioOut]


class OverviewOut(BaseModel):
    """Seed 004's portfolio overview: totals, exposures, P&L and counts by type on one trading day."""

    model_config = _example(
        portfolio_id=PORTFOLIO,
        as_of_date=AS_OF,
        total_value=3_050_000.0,
        long_exposure=1_950_000.0,
        short_exposure=-1_100_000.0,
        gross_exposure=3_050_000.0,
        net_exposure=850_000.0,
        pnl={"daily": 1200.5, "mtd": 15000.0, "ytd": 90000.0},
        unrealized_pnl=42000.0,
        position_count=50,
        counts_by_type={"LONG": 20, "SHORT": 15, "LC": 5, "LP": 4, "SC": 3, "SP": 3},
    )

    portfolio_id: str
    as_of_date: dt.date
    total_value: float
    long_exposure: float
    short_exposure: float
    gross_exposure: float
    net_exposure: float
    pnl: dict[str, float]
    unrealized_pnl: float
    position_count: int
    counts_by_type: dict[str, int]


class PositionGreeksOut(BaseModel):
    """Position Greeks (per-contract Greeks × quantity × multiplier) and their source."""

    source: str
    delta: float
    gamma: float
    theta: float
    vega: float
    rho: float
    delta_adjusted_exposure: float | None


class PositionOut(BaseModel):
    """A position on one trading day: values, P&L, Greeks and tags."""

    model_config = _example(
        position_id="3f1c…",
        portfolio_id=PORTFOLIO,
        as_of_date=AS_OF,
        ticker="AAPL",
        underlying="AAPL",
        position_type="LONG",
        quantity=195.0,
        multiplier=1,
        entry_price=462.43,
        entry_date="2025-11-03",
        price=470.1,
        price_source="market",
        market_value=91669.5,
        exposure=91669.5,
        cost_basis=90173.85,
        unrealized_pnl=1495.65,
        daily_pnl=120.0,
        daily_pnl_fallback=False,
        mtd_pnl=800.0,
        ytd_pnl=1495.65,
        exposure_pct_gross=3.0,
        tags=["momentum", "technology"],
        greeks=None,
    )

    position_id: str
    portfolio_id: str
    as_of_date: dt.date
    ticker: str
    underlying: str
    position_type: str
    quantity: float
    multiplier: int
    entry_price: float
    entry_date: dt.date
    price: float
    price_source: str
    market_value: float
    exposure: float
    cost_basis: float
    unrealized_pnl: float
    daily_pnl: float
    daily_pnl_fallback: bool
    mtd_pnl: float
    ytd_pnl: float
    exposure_pct_gross: float
    tags: list[str]
    greeks: PositionGreeksOut | None


class PositionGroupOut(BaseModel):
    """Positions sharing a type or a tag, with their totals."""

    key: str
    count: int
    market_value: float
    exposure: float
    daily_pnl: float
    position_ids: list[str]


class PositionsOut(BaseModel):
    """A portfolio's positions on one trading day, filtered, optionally grouped."""

    model_config = _example(portfolio_id=PORTFOLIO, as_of_date=AS_OF, count=1, data=[], groups=None)

    portfolio_id: str
    as_of_date: dt.date
    count: int
    data: list[PositionOut]
    groups: list[PositionGroupOut] | None = None


class TagOut(BaseModel):
    """A tag with its colour (tags.yaml) and how many current positions carry it."""

    model_config = _example(name="momentum", color="#FF5733", position_count=4)

    name: str
    color: str
    position_count: int


class TagList(BaseModel):
    """Tags, by name."""

    data: list[TagOut]


class GreeksOut(BaseModel):
    """Aggregated position Greeks for a view (portfolio, longs = DAE ≥ 0, shorts = DAE < 0)."""

    model_config = _example(
        portfolio_id=PORTFOLIO,
        as_of_date=AS_OF,
        view="portfolio",
        count=50,
        delta=1200.0,
        gamma=15.2,
        theta=-300.0,
        vega=800.0,
        rho=120.0,
        delta_adjusted_exposure=850000.0,
        mock_positions=0,
    )

    portfolio_id: str
    as_of_date: dt.date
    view: str
    count: int
    delta: float
    gamma: float
    theta: float
    vega: float
    rho: float
    delta_adjusted_exposure: float
    mock_positions: int = Field(description="Positions whose Greeks came from the seed's mock table.")


class FactorOut(BaseModel):
    """Portfolio beta and dollar exposure to one factor (null with a reason when unavailable)."""

    factor: str
    etf: str | None
    portfolio_beta: float | None
    dollar_exposure: float | None
    positions_with_beta: int
    status: str
    reason: str | None


class PositionBetaOut(BaseModel):
    """One position's univariate OLS on one factor ETF, with diagnostics."""

    position_id: str
    ticker: str
    factor: str
    beta: float | None
    alpha: float | None
    r_squared: float | None
    t_stat: float | None
    std_error: float | None
    n_obs: int
    status: str
    reason: str | None


class DiagnosticOut(BaseModel):
    """A factor ETF's VIF and its row of the correlation matrix."""

    factor: str
    etf: str
    vif: float | None
    correlations: dict[str, float | None]
    n_obs: int


class FactorsOut(BaseModel):
    """Factor exposures with the collinearity diagnostics users need to read them."""

    model_config = _example(
        portfolio_id=PORTFOLIO, as_of_date=AS_OF, window_days=60, factors=[], positions=[], diagnostics=[]
    )

    portfolio_id: str
    as_of_date: dt.date
    window_days: int
    factors: list[FactorOut]
    positions: list[PositionBetaOut]
    diagnostics: list[DiagnosticOut]


class RiskMetricsOut(BaseModel):
    """Seed 004's risk metrics (empyrical) on the portfolio's daily return (P&L / previous gross value)."""

    model_config = _example(
        portfolio_id=PORTFOLIO,
        as_of_date=AS_OF,
        n_returns=60,
        daily_return=0.001,
        beta_spy=0.4,
        annual_volatility=0.12,
        sharpe_ratio=1.1,
        max_drawdown=-0.05,
        var_95_parametric=0.012,
        var_95_historical=0.013,
        var_95_factor=35000.0,
        var_95_factor_ewma=33000.0,
        gross_market_value=3_050_000.0,
        risk_free_rate=0.05,
    )

    portfolio_id: str
    as_of_date: dt.date
    n_returns: int
    daily_return: float | None
    beta_spy: float | None
    annual_volatility: float | None
    sharpe_ratio: float | None
    max_drawdown: float | None
    var_95_parametric: float | None = Field(description="1-day 95% VaR, fraction of gross value.")
    var_95_historical: float | None = Field(description="1-day 95% VaR (5th percentile), fraction of gross value.")
    var_95_factor: float | None = Field(description="Factor-model 1-day 95% VaR in dollars.")
    var_95_factor_ewma: float | None = Field(description="Same with the 0.94 EWMA factor covariance.")
    gross_market_value: float
    risk_free_rate: float


class SnapshotOut(BaseModel):
    """One portfolio's snapshot on one trading day."""

    model_config = _example(
        as_of_date=AS_OF,
        total_market_value=3_050_000.0,
        long_exposure=1_950_000.0,
        short_exposure=-1_100_000.0,
        gross_exposure=3_050_000.0,
        net_exposure=850_000.0,
        daily_pnl=1200.0,
        mtd_pnl=15000.0,
        ytd_pnl=90000.0,
        position_count=50,
        greeks={},
        factor_betas={},
        risk_metrics={},
    )

    as_of_date: dt.date
    total_market_value: float
    long_exposure: float
    short_exposure: float
    gross_exposure: float
    net_exposure: float
    daily_pnl: float
    mtd_pnl: float
    ytd_pnl: float
    position_count: int
    greeks: dict[str, Any]
    factor_betas: dict[str, float | None]
    risk_metrics: dict[str, float | None]


class SnapshotList(BaseModel):
    """Snapshots in [start, end], oldest first."""

    portfolio_id: str
    data: list[SnapshotOut]


class PriceOut(BaseModel):
    """An end-of-day bar."""

    model_config = _example(
        ticker="SPY",
        as_of_date="2026-11-20",
        open=100.0,
        high=101.0,
        low=99.5,
        close=100.7,
        volume=1_000_000.0,
        source="synthetic",
    )

    ticker: str
    as_of_date: dt.date
    open: float | None
    high: float | None
    low: float | None
    close: float
    volume: float | None
    source: str


class PriceList(BaseModel):
    """Bars of one ticker in [start, end], oldest first."""

    ticker: str
    data: list[PriceOut]


class BackfillOut(BaseModel):
    """Seed 004's historical backfill progress."""

    model_config = _example(
        backfill_id="9f2c…",
        portfolio_id=PORTFOLIO,
        total_symbols=57,
        processed_symbols=57,
        failed_symbols=0,
        status="completed",
        start_date="2026-07-15",
        end_date=AS_OF,
        started_at=None,
        completed_at=None,
        error_details=None,
        created_at="2026-11-22T10:00:00Z",
    )

    backfill_id: str
    portfolio_id: str
    total_symbols: int
    processed_symbols: int
    failed_symbols: int
    status: str
    start_date: dt.date
    end_date: dt.date
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    error_details: dict[str, Any] | None
    created_at: dt.datetime


class BackfillList(BaseModel):
    """Backfills, newest first."""

    data: list[BackfillOut]


# --------------------------------------------------------------------------------------------------- helpers


def _current_portfolios(db: Connection, tenant_id: str) -> list[Any]:
    p = t.portfolios
    ranked = (
        sa.select(
            p,
            sa.func.row_number()
            .over(partition_by=p.c.portfolio_id, order_by=(p.c.effective_from.desc(), p.c.landed_at.desc()))
            .label("rank"),
        )
        .where(p.c.tenant_id == tenant_id)
        .subquery()
    )
    return list(db.execute(sa.select(ranked).where(ranked.c.rank == 1).order_by(ranked.c.portfolio_id)).all())


def _portfolio(db: Connection, tenant_id: str, portfolio_id: str | None) -> str:
    """The requested portfolio (404 if not the tenant's) or the tenant's first one."""
    ids = [row.portfolio_id for row in _current_portfolios(db, tenant_id)]
    if portfolio_id is None:
        if not ids:
            raise not_found("portfolio", "(any)")
        return ids[0]
    if portfolio_id not in ids:
        raise not_found("portfolio", portfolio_id)
    return portfolio_id


def _as_of(db: Connection, table: sa.Table, tenant_id: str, portfolio_id: str, as_of: dt.date | None) -> dt.date:
    """The latest computed trading day on or before `as_of` (404 when nothing was computed yet)."""
    query = sa.select(sa.func.max(table.c.as_of_date)).where(
        table.c.tenant_id == tenant_id, table.c.portfolio_id == portfolio_id
    )
    if as_of is not None:
        query = query.where(table.c.as_of_date <= as_of)
    day = db.execute(query).scalar_one_or_none()
    if day is None:
        raise not_found("computed trading day for portfolio", portfolio_id)
    return day


def _position_rows(db: Connection, tenant_id: str, portfolio_id: str, day: dt.date) -> list[Any]:
    v, g = t.position_valuations, t.position_greeks
    query = (
        sa.select(
            v,
            g.c.source.label("g_source"),
            g.c.position_delta,
            g.c.position_gamma,
            g.c.position_theta,
            g.c.position_vega,
            g.c.position_rho,
            g.c.delta_adjusted_exposure,
        )
        .select_from(
            v.outerjoin(
                g,
                sa.and_(
                    g.c.tenant_id == v.c.tenant_id,
                    g.c.partition_key == v.c.partition_key,
                    g.c.position_id == v.c.position_id,
                ),
            )
        )
        .where(v.c.tenant_id == tenant_id, v.c.portfolio_id == portfolio_id, v.c.as_of_date == day)
        .order_by(v.c.ticker, v.c.position_id)
    )
    return list(db.execute(query).all())


def _position(row: Any) -> PositionOut:
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
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _bad_param(field: str, message: str) -> ApiError:
    detail = ErrorDetail(field=field, message=message, code="invalid")
    return ApiError(422, message, code=ErrorCode.VALIDATION_ERROR, details=[detail])


# ---------------------------------------------------------------------------------------------------- routes


@router.get("/portfolios", summary="List portfolios", responses=ERRORS)
def list_portfolios(db: Db, caller: Caller) -> PortfolioList:
    """The tenant's portfolios (current positions file of each) and their latest computed trading day."""
    s = t.portfolio_snapshots
    latest = dict(
        db.execute(
            sa.select(s.c.portfolio_id, sa.func.max(s.c.as_of_date))
            .where(s.c.tenant_id == caller.tenant_id)
            .group_by(s.c.portfolio_id)
        ).all()
    )
    return PortfolioList(
        data=[
            PortfolioOut(
                portfolio_id=r.portfolio_id,
                name=r.name,
                base_currency=r.base_currency,
                position_count=r.position_count,
                effective_from=r.effective_from,
                as_of_date=latest.get(r.portfolio_id),
            )
            for r in _current_portfolios(db, caller.tenant_id)
        ]
    )


@router.get("/portfolio", summary="Portfolio overview (seed 004)", responses=ERRORS)
def portfolio_overview(
    db: Db, caller: Caller, portfolio_id: PortfolioParam = None, as_of: AsOfParam = None
) -> OverviewOut:
    """Total value, long/short/gross/net exposure, daily/MTD/YTD P&L and counts by type on one trading day."""
    portfolio = _portfolio(db, caller.tenant_id, portfolio_id)
    s = t.portfolio_snapshots
    day = _as_of(db, s, caller.tenant_id, portfolio, as_of)
    row = db.execute(
        sa.select(s).where(s.c.tenant_id == caller.tenant_id, s.c.portfolio_id == portfolio, s.c.as_of_date == day)
    ).one()
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
    portfolio = _portfolio(db, caller.tenant_id, portfolio_id)
    s = t.portfolio_snapshots
    query = sa.select(s).where(s.c.tenant_id == caller.tenant_id, s.c.portfolio_id == portfolio)
    if start:
        query = query.where(s.c.as_of_date >= start)
    if end:
        query = query.where(s.c.as_of_date <= end)
    rows = db.execute(query.order_by(s.c.as_of_date)).all()
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
    portfolio = _portfolio(db, caller.tenant_id, portfolio_id)
    day = _as_of(db, t.position_valuations, caller.tenant_id, portfolio, as_of)
    wanted_tags = [x.lower() for x in _split(tags)]
    positions = [
        _position(r)
        for r in _position_rows(db, caller.tenant_id, portfolio, day)
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


def _require_position(db: Connection, tenant_id: str, position_id: str) -> Any:
    v = t.position_valuations
    row = db.execute(
        sa.select(v.c.portfolio_id, sa.func.max(v.c.as_of_date).label("day"))
        .where(v.c.tenant_id == tenant_id, v.c.position_id == position_id)
        .group_by(v.c.portfolio_id)
    ).first()
    if row is None:
        raise not_found("position", position_id)
    return row


PositionId = Annotated[str, Path(max_length=100, description="Position id (from /positions).")]


@router.get("/positions/{position_id}", summary="Get a position", responses=ERRORS)
def get_position(db: Db, caller: Caller, position_id: PositionId) -> PositionOut:
    """The position on its latest computed trading day."""
    found = _require_position(db, caller.tenant_id, position_id)
    rows = _position_rows(db, caller.tenant_id, found.portfolio_id, found.day)
    return _position(next(r for r in rows if r.position_id == position_id))


@router.get("/positions/{position_id}/tags", summary="A position's tags", responses=ERRORS)
def get_position_tags(db: Db, caller: Caller, position_id: PositionId) -> TagList:
    """Tags of the position with their colours."""
    found = _require_position(db, caller.tenant_id, position_id)
    rows = _position_rows(db, caller.tenant_id, found.portfolio_id, found.day)
    row = next(r for r in rows if r.position_id == position_id)
    tag_settings = load_tag_settings()
    return TagList(data=[TagOut(name=x, color=tag_color(x, tag_settings), position_count=1) for x in row.tags])


@router.get("/tags", summary="List tags", responses=ERRORS)
def list_tags(db: Db, caller: Caller) -> TagList:
    """Every tag on the tenant's current positions (latest file of each portfolio), with colour and count."""
    p = t.positions
    keys = [r.partition_key for r in _current_portfolios(db, caller.tenant_id)]
    counts: dict[str, int] = defaultdict(int)
    for (tag_list,) in db.execute(
        sa.select(p.c.tags).where(p.c.tenant_id == caller.tenant_id, p.c.partition_key.in_(keys))
    ):
        for tag in tag_list:
            counts[tag] += 1
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
    portfolio = _portfolio(db, caller.tenant_id, portfolio_id)
    g = t.position_greeks
    day = _as_of(db, g, caller.tenant_id, portfolio, as_of)
    dae = sa.func.coalesce(g.c.delta_adjusted_exposure, 0.0)
    filters = [g.c.tenant_id == caller.tenant_id, g.c.portfolio_id == portfolio, g.c.as_of_date == day]
    if view == "longs":
        filters.append(dae >= 0)
    elif view == "shorts":
        filters.append(dae < 0)
    row = db.execute(
        sa.select(
            sa.func.count().label("count"),
            *(
                sa.func.coalesce(sa.func.sum(g.c[f"position_{x}"]), 0.0).label(x)
                for x in ("delta", "gamma", "theta", "vega", "rho")
            ),
            sa.func.coalesce(sa.func.sum(dae), 0.0).label("dae"),
            sa.func.count().filter(g.c.source == "mock").label("mock"),
        ).where(*filters)
    ).one()
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


def _none(value: Any) -> Any:
    return None if isinstance(value, float) and value != value else value


@router.get("/risk/factors", summary="Factor exposures with diagnostics", responses=ERRORS)
def risk_factors(db: Db, caller: Caller, portfolio_id: PortfolioParam = None, as_of: AsOfParam = None) -> FactorsOut:
    """Portfolio and position betas per factor, the factor correlation matrix and VIFs, on one trading day."""
    portfolio = _portfolio(db, caller.tenant_id, portfolio_id)
    f, b, d = t.portfolio_factors, t.factor_betas, t.factor_diagnostics
    day = _as_of(db, f, caller.tenant_id, portfolio, as_of)
    factors = db.execute(
        sa.select(f).where(f.c.tenant_id == caller.tenant_id, f.c.portfolio_id == portfolio, f.c.as_of_date == day)
    ).all()
    betas = db.execute(
        sa.select(b)
        .where(b.c.tenant_id == caller.tenant_id, b.c.portfolio_id == portfolio, b.c.as_of_date == day)
        .order_by(b.c.ticker, b.c.factor)
    ).all()
    diagnostics = db.execute(sa.select(d).where(d.c.tenant_id == t.MARKET_TENANT, d.c.as_of_date == day)).all()
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
    portfolio = _portfolio(db, caller.tenant_id, portfolio_id)
    r = t.risk_metrics
    day = _as_of(db, r, caller.tenant_id, portfolio, as_of)
    row = db.execute(
        sa.select(r).where(r.c.tenant_id == caller.tenant_id, r.c.portfolio_id == portfolio, r.c.as_of_date == day)
    ).one()
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
    p = t.positions
    held = db.execute(
        sa.select(sa.literal(1))
        .where(p.c.tenant_id == caller.tenant_id, sa.or_(p.c.ticker == symbol, p.c.underlying == symbol))
        .limit(1)
    ).first()
    if held is None and symbol not in load_settings().etfs:
        raise not_found("ticker", symbol)
    m = t.market_prices
    query = sa.select(m).where(m.c.ticker == symbol)
    if start:
        query = query.where(m.c.price_date >= start)
    if end:
        query = query.where(m.c.price_date <= end)
    rows = db.execute(query.order_by(m.c.price_date)).all()
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
    b = t.backfill_progress
    rows = db.execute(sa.select(b).where(b.c.tenant_id == caller.tenant_id).order_by(b.c.created_at.desc())).all()
    return BackfillList(data=[BackfillOut(**{k: getattr(r, k) for k in BackfillOut.model_fields}) for r in rows])
