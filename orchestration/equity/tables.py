"""The equity domain's warehouse tables.

raw: positions per landed file (every version kept) and market prices per trading day; analytics: the daily
calculations, one partition per XNYS session (`partition_key` = the session's ISO date); ops: the Polygon
cache and the backfill progress of seed 004. Market-wide rows (prices, factor diagnostics) use the tenant
`_market`.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orchestration.core.metadata import metadata, partition_columns

MARKET_TENANT = "_market"

portfolios = sa.Table(
    "equity_portfolios",
    metadata,
    *partition_columns(),
    sa.Column("portfolio_id", sa.Text, nullable=False, comment="Sidecar portfolio_id, else a slug of its name."),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("base_currency", sa.Text, nullable=False),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("effective_from", sa.Date, nullable=False, comment="First day this file's positions govern."),
    sa.Column("position_count", sa.Integer, nullable=False),
    sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", name="pk_equity_portfolios"),
    sa.Index("ix_equity_portfolios_current", "tenant_id", "portfolio_id", "effective_from"),
    schema="raw",
    comment="One row per landed positions file: the portfolio it replaces positions of, and from when.",
)

positions = sa.Table(
    "equity_positions",
    metadata,
    *partition_columns(),
    sa.Column("portfolio_id", sa.Text, nullable=False),
    sa.Column("position_id", sa.Text, nullable=False, comment="uuid5 of tenant, portfolio, ticker, entry date."),
    sa.Column("row_number", sa.Integer, nullable=False, comment="Line in the CSV (header is line 1)."),
    sa.Column("ticker", sa.Text, nullable=False, comment="Stock ticker or compact OCC option symbol."),
    sa.Column("underlying", sa.Text, nullable=False),
    sa.Column("position_type", sa.Text, nullable=False, comment="LONG, SHORT, LC, LP, SC or SP"),
    sa.Column("quantity", sa.Numeric, nullable=False, comment="Shares or contracts; negative = short."),
    sa.Column("entry_price", sa.Numeric, nullable=False),
    sa.Column("entry_date", sa.Date, nullable=False),
    sa.Column("multiplier", sa.Integer, nullable=False, comment="1 for stocks, 100 for options."),
    sa.Column("option_type", sa.Text, comment="C or P for options."),
    sa.Column("strike", sa.Numeric),
    sa.Column("expiry", sa.Date),
    sa.Column("tags", JSONB, nullable=False, comment="Tags after tags.yaml renames."),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", "position_id", name="pk_equity_positions"),
    sa.Index("ix_equity_positions_position", "tenant_id", "position_id"),
    schema="raw",
    comment="Positions as landed, one row per position per file (every version kept).",
)

market_prices = sa.Table(
    "equity_market_prices",
    metadata,
    *partition_columns(),
    sa.Column("ticker", sa.Text, nullable=False),
    sa.Column("price_date", sa.Date, nullable=False),
    sa.Column("open", sa.Float),
    sa.Column("high", sa.Float),
    sa.Column("low", sa.Float),
    sa.Column("close", sa.Float, nullable=False, comment="Adjusted close where the source has one."),
    sa.Column("volume", sa.Float),
    sa.Column("source", sa.Text, nullable=False, comment="synthetic, csv or polygon"),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", "ticker", name="pk_equity_market_prices"),
    sa.Index("ix_equity_market_prices_ticker", "ticker", "price_date"),
    schema="raw",
    comment="End-of-day bars per trading day for every held ticker, option and factor ETF.",
)

price_failures = sa.Table(
    "equity_price_failures",
    metadata,
    *partition_columns(),
    sa.Column("ticker", sa.Text, nullable=False),
    sa.Column("price_date", sa.Date, nullable=False),
    sa.Column("error_code", sa.Text, nullable=False, comment="UNKNOWN_TICKER, NO_DATA or SOURCE_ERROR"),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", "ticker", name="pk_equity_price_failures"),
    schema="raw",
    comment="Tickers a trading day's price fetch could not price (not retried; the rest of the day goes on).",
)

market_data_cache = sa.Table(
    "equity_market_data_cache",
    metadata,
    sa.Column("cache_key", sa.Text, nullable=False, comment="provider:endpoint:symbol:from:to"),
    sa.Column("payload", JSONB, nullable=False, comment="The provider's raw bars."),
    sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, comment="fetched_at + TTL (24 h for EOD)."),
    sa.PrimaryKeyConstraint("cache_key", name="pk_equity_market_data_cache"),
    schema="ops",
    comment="Seed 004's market_data_cache: provider responses reused until they expire.",
)

backfill_progress = sa.Table(
    "equity_backfill_progress",
    metadata,
    sa.Column("backfill_id", sa.Text, nullable=False),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("portfolio_id", sa.Text, nullable=False),
    sa.Column("total_symbols", sa.Integer, nullable=False),
    sa.Column("processed_symbols", sa.Integer, nullable=False, server_default="0"),
    sa.Column("failed_symbols", sa.Integer, nullable=False, server_default="0"),
    sa.Column("status", sa.Text, nullable=False, comment="pending, processing, completed or failed"),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("completed_at", sa.DateTime(timezone=True)),
    sa.Column("error_details", JSONB),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.PrimaryKeyConstraint("backfill_id", name="pk_equity_backfill_progress"),
    sa.Index("ix_equity_backfill_progress_tenant", "tenant_id", "created_at"),
    schema="ops",
    comment="Seed 004's historical_backfill_progress: one row per backfill a new portfolio triggered.",
)


def _daily(name: str, *columns: sa.Column, pk: tuple[str, ...], comment: str) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        *partition_columns(),
        sa.Column("as_of_date", sa.Date, nullable=False, comment="The trading day every figure is as of."),
        *columns,
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", *pk, name=f"pk_{name}"),
        schema="analytics",
        comment=comment,
    )


def _valuation_flags() -> list[sa.Column]:
    """The P&L fallback flags split by period, and an option's expiry settlement (migration 0011)."""
    false = sa.text("false")
    return [
        sa.Column(
            "mtd_pnl_fallback",
            sa.Boolean,
            nullable=False,
            server_default=false,
            comment="No close on the last session of the previous month: MTD P&L is P&L since entry.",
        ),
        sa.Column(
            "ytd_pnl_fallback",
            sa.Boolean,
            nullable=False,
            server_default=false,
            comment="No close on the last session of the previous year: YTD P&L is P&L since entry.",
        ),
        sa.Column(
            "expired",
            sa.Boolean,
            nullable=False,
            server_default=false,
            comment="An option on or after its expiry date: settled at intrinsic value, market value 0.",
        ),
        sa.Column(
            "realized_pnl",
            sa.Float,
            nullable=False,
            server_default=sa.text("0"),
            comment="quantity × multiplier × (settlement − entry) for an expired option; 0 otherwise.",
        ),
    ]


VALUATION_FLAGS = _valuation_flags()

position_valuations = _daily(
    "equity_position_valuations",
    sa.Column("portfolio_id", sa.Text, nullable=False),
    sa.Column("position_id", sa.Text, nullable=False),
    sa.Column("ticker", sa.Text, nullable=False),
    sa.Column("underlying", sa.Text, nullable=False),
    sa.Column("position_type", sa.Text, nullable=False),
    sa.Column("quantity", sa.Float, nullable=False),
    sa.Column("multiplier", sa.Integer, nullable=False),
    sa.Column("entry_price", sa.Float, nullable=False),
    sa.Column("entry_date", sa.Date, nullable=False),
    sa.Column("price", sa.Float, nullable=False),
    sa.Column("price_source", sa.Text, nullable=False, comment="market, last_close or entry_price"),
    sa.Column("previous_close", sa.Float),
    sa.Column("market_value", sa.Float, nullable=False),
    sa.Column("exposure", sa.Float, nullable=False),
    sa.Column("cost_basis", sa.Float, nullable=False),
    sa.Column("unrealized_pnl", sa.Float, nullable=False),
    sa.Column("daily_pnl", sa.Float, nullable=False),
    sa.Column("daily_pnl_fallback", sa.Boolean, nullable=False, comment="Previous close missing; seed fallback."),
    sa.Column("mtd_pnl", sa.Float, nullable=False),
    sa.Column("ytd_pnl", sa.Float, nullable=False),
    sa.Column("period_pnl_fallback", sa.Boolean, nullable=False, comment="mtd_pnl_fallback or ytd_pnl_fallback."),
    sa.Column("exposure_pct_gross", sa.Float, nullable=False),
    sa.Column("tags", JSONB, nullable=False),
    *VALUATION_FLAGS,
    pk=("position_id",),
    comment="Market value, exposure and P&L per position per trading day.",
)

position_greeks = _daily(
    "equity_position_greeks",
    sa.Column("portfolio_id", sa.Text, nullable=False),
    sa.Column("position_id", sa.Text, nullable=False),
    sa.Column("ticker", sa.Text, nullable=False),
    sa.Column("position_type", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False, comment="stock, black_scholes, expired or mock"),
    sa.Column("underlying_price", sa.Float),
    sa.Column("volatility", sa.Float, comment="30-session historical volatility of the underlying."),
    sa.Column("time_to_expiry", sa.Float, comment="Years, ACT/365."),
    sa.Column("risk_free_rate", sa.Float, nullable=False),
    sa.Column("delta", sa.Float, nullable=False),
    sa.Column("gamma", sa.Float, nullable=False),
    sa.Column("theta", sa.Float, nullable=False, comment="Per calendar day."),
    sa.Column("vega", sa.Float, nullable=False, comment="Per volatility point."),
    sa.Column("rho", sa.Float, nullable=False, comment="Per rate point."),
    sa.Column("position_delta", sa.Float, nullable=False),
    sa.Column("position_gamma", sa.Float, nullable=False),
    sa.Column("position_theta", sa.Float, nullable=False),
    sa.Column("position_vega", sa.Float, nullable=False),
    sa.Column("position_rho", sa.Float, nullable=False),
    sa.Column("delta_adjusted_exposure", sa.Float),
    pk=("position_id",),
    comment="Black-Scholes (or marked mock) Greeks per position per trading day.",
)

factor_betas = _daily(
    "equity_factor_betas",
    sa.Column("portfolio_id", sa.Text, nullable=False),
    sa.Column("position_id", sa.Text, nullable=False),
    sa.Column("ticker", sa.Text, nullable=False),
    sa.Column(
        "method",
        sa.Text,
        comment="regression (a stock's own returns) or underlying (an option takes its underlying's beta).",
    ),
    sa.Column("factor", sa.Text, nullable=False),
    sa.Column("etf", sa.Text),
    sa.Column("beta", sa.Float),
    sa.Column("alpha", sa.Float),
    sa.Column("r_squared", sa.Float),
    sa.Column("t_stat", sa.Float),
    sa.Column("std_error", sa.Float),
    sa.Column("n_obs", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False, comment="ok, insufficient_data or unavailable"),
    sa.Column("reason", sa.Text),
    pk=("position_id", "factor"),
    comment="Univariate OLS beta of each position to each factor ETF over the last 60 sessions.",
)

portfolio_factors = _daily(
    "equity_portfolio_factors",
    sa.Column("portfolio_id", sa.Text, nullable=False),
    sa.Column("factor", sa.Text, nullable=False),
    sa.Column("etf", sa.Text),
    sa.Column("portfolio_beta", sa.Float),
    sa.Column("dollar_exposure", sa.Float),
    sa.Column("positions_with_beta", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("reason", sa.Text),
    pk=("portfolio_id", "factor"),
    comment="Portfolio beta (Σ signed DAE / gross × beta) and dollar exposure (Σ DAE × beta) per factor.",
)

factor_diagnostics = _daily(
    "equity_factor_diagnostics",
    sa.Column("factor", sa.Text, nullable=False),
    sa.Column("etf", sa.Text, nullable=False),
    sa.Column("vif", sa.Float, comment="Variance inflation factor among the ETFs."),
    sa.Column("correlations", JSONB, nullable=False, comment="This ETF's row of the correlation matrix."),
    sa.Column("n_obs", sa.Integer, nullable=False),
    pk=("factor",),
    comment="Factor correlation matrix and VIFs over the beta window (market-wide, tenant _market).",
)

risk_metrics = _daily(
    "equity_risk_metrics",
    sa.Column("portfolio_id", sa.Text, nullable=False),
    sa.Column("n_returns", sa.Integer, nullable=False),
    sa.Column("daily_return", sa.Float),
    sa.Column("beta_spy", sa.Float),
    sa.Column("annual_volatility", sa.Float),
    sa.Column("sharpe_ratio", sa.Float),
    sa.Column("max_drawdown", sa.Float),
    sa.Column("var_95_parametric", sa.Float, comment="Loss fraction of gross value."),
    sa.Column("var_95_historical", sa.Float),
    sa.Column("var_95_factor", sa.Float, comment="Dollars, sample factor covariance."),
    sa.Column("var_95_factor_ewma", sa.Float, comment="Dollars, 0.94 exponentially weighted covariance."),
    sa.Column("gross_market_value", sa.Float, nullable=False),
    sa.Column("risk_free_rate", sa.Float, nullable=False),
    sa.Column(
        "status",
        sa.Text,
        nullable=False,
        server_default="ok",
        comment="ok, or insufficient_data when a metric is null (see reasons).",
    ),
    sa.Column(
        "reasons",
        JSONB,
        nullable=False,
        server_default=sa.text("'{}'::jsonb"),
        comment="Why each null metric is null (metric → reason), e.g. fewer returns than min_observations.",
    ),
    pk=("portfolio_id",),
    comment="Portfolio risk metrics (empyrical) per trading day.",
)

portfolio_snapshots = _daily(
    "equity_portfolio_snapshots",
    sa.Column("portfolio_id", sa.Text, nullable=False),
    sa.Column("total_market_value", sa.Float, nullable=False),
    sa.Column("long_exposure", sa.Float, nullable=False),
    sa.Column("short_exposure", sa.Float, nullable=False),
    sa.Column("gross_exposure", sa.Float, nullable=False),
    sa.Column("net_exposure", sa.Float, nullable=False),
    sa.Column("cost_basis", sa.Float, nullable=False),
    sa.Column("unrealized_pnl", sa.Float, nullable=False),
    sa.Column("daily_pnl", sa.Float, nullable=False),
    sa.Column("mtd_pnl", sa.Float, nullable=False),
    sa.Column("ytd_pnl", sa.Float, nullable=False),
    sa.Column("position_count", sa.Integer, nullable=False),
    sa.Column("counts_by_type", JSONB, nullable=False),
    sa.Column("greeks", JSONB, nullable=False, comment="Aggregated Greeks by view (portfolio, longs, shorts)."),
    sa.Column("factor_betas", JSONB, nullable=False),
    sa.Column("risk_metrics", JSONB, nullable=False),
    pk=("portfolio_id",),
    comment="One row per portfolio per trading day (retention from factors.yaml).",
)
