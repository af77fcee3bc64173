"""Response models of the equity risk (Greeks, factors, metrics) and market-data routes, with their OpenAPI examples."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from api.routers.equity.schemas import AS_OF, PORTFOLIO, example
from api.routers.provenance.links import ProvenanceLinks


class GreeksOut(BaseModel):
    """Aggregated position Greeks for a view (portfolio, longs = DAE ≥ 0, shorts = DAE < 0)."""

    model_config = example(
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
    method: str | None = Field(
        description="`regression`: the stock's own returns; `underlying`: an option takes its underlying's beta "
        "(exposure = delta-adjusted exposure × beta; gamma and vega are left out)."
    )
    factor: str
    beta: float | None
    alpha: float | None
    r_squared: float | None
    t_stat: float | None
    std_error: float | None
    n_obs: int
    status: str
    reason: str | None
    links: ProvenanceLinks = Field(description="The beta's provenance: `<position_id>:<factor>:<as_of_date>`.")


class DiagnosticOut(BaseModel):
    """A factor ETF's VIF and its row of the correlation matrix."""

    factor: str
    etf: str
    vif: float | None
    correlations: dict[str, float | None]
    n_obs: int


class FactorsOut(BaseModel):
    """Factor exposures with the collinearity diagnostics users need to read them."""

    model_config = example(
        portfolio_id=PORTFOLIO, as_of_date=AS_OF, window_days=60, factors=[], positions=[], diagnostics=[]
    )

    portfolio_id: str
    as_of_date: dt.date
    window_days: int
    factors: list[FactorOut]
    positions: list[PositionBetaOut]
    diagnostics: list[DiagnosticOut]


class RiskMetricsOut(BaseModel):
    """Seed 004's risk metrics (empyrical) on the portfolio's daily return (P&L / previous gross value).

    A metric estimated from fewer observations than `min_observations` is null, with its reason in `reasons`.
    """

    model_config = example(
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
        status="ok",
        reasons={},
        links={"provenance": f"/api/v1/provenance/risk_metric/{PORTFOLIO}:{AS_OF}"},
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
    status: str = Field(description="`ok`, or `insufficient_data` when a metric is null (see `reasons`).")
    reasons: dict[str, str] = Field(
        description="Why each null metric is null, by metric name: beta, volatility, Sharpe and the return-based "
        "VaRs need at least `min_observations` daily returns (factors.yaml, default 20); factor VaR needs that "
        "many factor ETF returns and a position with a beta. Empty when every metric is computed."
    )
    links: ProvenanceLinks = Field(description="The metrics' provenance: `<portfolio_id>:<as_of_date>`.")


class PriceOut(BaseModel):
    """An end-of-day bar."""

    model_config = example(
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

    model_config = example(
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
