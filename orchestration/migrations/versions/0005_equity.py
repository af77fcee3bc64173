"""equity: positions, market prices, the daily calculations, the Polygon cache and backfill progress

Revision ID: 0005_equity
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_equity"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "equity_factor_betas",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("as_of_date", sa.Date(), nullable=False, comment="The trading day every figure is as of."),
        sa.Column("portfolio_id", sa.Text(), nullable=False),
        sa.Column("position_id", sa.Text(), nullable=False),
        sa.Column("ticker", sa.Text(), nullable=False),
        sa.Column("factor", sa.Text(), nullable=False),
        sa.Column("etf", sa.Text(), nullable=True),
        sa.Column("beta", sa.Float(), nullable=True),
        sa.Column("alpha", sa.Float(), nullable=True),
        sa.Column("r_squared", sa.Float(), nullable=True),
        sa.Column("t_stat", sa.Float(), nullable=True),
        sa.Column("std_error", sa.Float(), nullable=True),
        sa.Column("n_obs", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False, comment="ok, insufficient_data or unavailable"),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", "position_id", "factor", name="pk_equity_factor_betas"),
        schema="analytics",
        comment="Univariate OLS beta of each position to each factor ETF over the last 60 sessions.",
    )
    op.create_table(
        "equity_factor_diagnostics",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("as_of_date", sa.Date(), nullable=False, comment="The trading day every figure is as of."),
        sa.Column("factor", sa.Text(), nullable=False),
        sa.Column("etf", sa.Text(), nullable=False),
        sa.Column("vif", sa.Float(), nullable=True, comment="Variance inflation factor among the ETFs."),
        sa.Column(
            "correlations",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="This ETF's row of the correlation matrix.",
        ),
        sa.Column("n_obs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", "factor", name="pk_equity_factor_diagnostics"),
        schema="analytics",
        comment="Factor correlation matrix and VIFs over the beta window (market-wide, tenant _market).",
    )
    op.create_table(
        "equity_portfolio_factors",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("as_of_date", sa.Date(), nullable=False, comment="The trading day every figure is as of."),
        sa.Column("portfolio_id", sa.Text(), nullable=False),
        sa.Column("factor", sa.Text(), nullable=False),
        sa.Column("etf", sa.Text(), nullable=True),
        sa.Column("portfolio_beta", sa.Float(), nullable=True),
        sa.Column("dollar_exposure", sa.Float(), nullable=True),
        sa.Column("positions_with_beta", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint(
            "tenant_id", "partition_key", "portfolio_id", "factor", name="pk_equity_portfolio_factors"
        ),
        schema="analytics",
        comment="Portfolio beta (Σ signed DAE / gross × beta) and dollar exposure (Σ DAE × beta) per factor.",
    )
    op.create_table(
        "equity_portfolio_snapshots",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("as_of_date", sa.Date(), nullable=False, comment="The trading day every figure is as of."),
        sa.Column("portfolio_id", sa.Text(), nullable=False),
        sa.Column("total_market_value", sa.Float(), nullable=False),
        sa.Column("long_exposure", sa.Float(), nullable=False),
        sa.Column("short_exposure", sa.Float(), nullable=False),
        sa.Column("gross_exposure", sa.Float(), nullable=False),
        sa.Column("net_exposure", sa.Float(), nullable=False),
        sa.Column("cost_basis", sa.Float(), nullable=False),
        sa.Column("unrealized_pnl", sa.Float(), nullable=False),
        sa.Column("daily_pnl", sa.Float(), nullable=False),
        sa.Column("mtd_pnl", sa.Float(), nullable=False),
        sa.Column("ytd_pnl", sa.Float(), nullable=False),
        sa.Column("position_count", sa.Integer(), nullable=False),
        sa.Column("counts_by_type", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "greeks",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="Aggregated Greeks by view (portfolio, longs, shorts).",
        ),
        sa.Column("factor_betas", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("risk_metrics", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", "portfolio_id", name="pk_equity_portfolio_snapshots"),
        schema="analytics",
        comment="One row per portfolio per trading day (retention from factors.yaml).",
    )
    op.create_table(
        "equity_position_greeks",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("as_of_date", sa.Date(), nullable=False, comment="The trading day every figure is as of."),
        sa.Column("portfolio_id", sa.Text(), nullable=False),
        sa.Column("position_id", sa.Text(), nullable=False),
        sa.Column("ticker", sa.Text(), nullable=False),
        sa.Column("position_type", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False, comment="stock, black_scholes, expired or mock"),
        sa.Column("underlying_price", sa.Float(), nullable=True),
        sa.Column(
            "volatility", sa.Float(), nullable=True, comment="30-session historical volatility of the underlying."
        ),
        sa.Column("time_to_expiry", sa.Float(), nullable=True, comment="Years, ACT/365."),
        sa.Column("risk_free_rate", sa.Float(), nullable=False),
        sa.Column("delta", sa.Float(), nullable=False),
        sa.Column("gamma", sa.Float(), nullable=False),
        sa.Column("theta", sa.Float(), nullable=False, comment="Per calendar day."),
        sa.Column("vega", sa.Float(), nullable=False, comment="Per volatility point."),
        sa.Column("rho", sa.Float(), nullable=False, comment="Per rate point."),
        sa.Column("position_delta", sa.Float(), nullable=False),
        sa.Column("position_gamma", sa.Float(), nullable=False),
        sa.Column("position_theta", sa.Float(), nullable=False),
        sa.Column("position_vega", sa.Float(), nullable=False),
        sa.Column("position_rho", sa.Float(), nullable=False),
        sa.Column("delta_adjusted_exposure", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", "position_id", name="pk_equity_position_greeks"),
        schema="analytics",
        comment="Black-Scholes (or marked mock) Greeks per position per trading day.",
    )
    op.create_table(
        "equity_position_valuations",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("as_of_date", sa.Date(), nullable=False, comment="The trading day every figure is as of."),
        sa.Column("portfolio_id", sa.Text(), nullable=False),
        sa.Column("position_id", sa.Text(), nullable=False),
        sa.Column("ticker", sa.Text(), nullable=False),
        sa.Column("underlying", sa.Text(), nullable=False),
        sa.Column("position_type", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("multiplier", sa.Integer(), nullable=False),
        sa.Column("entry_price", sa.Float(), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("price_source", sa.Text(), nullable=False, comment="market, last_close or entry_price"),
        sa.Column("previous_close", sa.Float(), nullable=True),
        sa.Column("market_value", sa.Float(), nullable=False),
        sa.Column("exposure", sa.Float(), nullable=False),
        sa.Column("cost_basis", sa.Float(), nullable=False),
        sa.Column("unrealized_pnl", sa.Float(), nullable=False),
        sa.Column("daily_pnl", sa.Float(), nullable=False),
        sa.Column("daily_pnl_fallback", sa.Boolean(), nullable=False, comment="Previous close missing; seed fallback."),
        sa.Column("mtd_pnl", sa.Float(), nullable=False),
        sa.Column("ytd_pnl", sa.Float(), nullable=False),
        sa.Column("period_pnl_fallback", sa.Boolean(), nullable=False),
        sa.Column("exposure_pct_gross", sa.Float(), nullable=False),
        sa.Column("tags", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", "position_id", name="pk_equity_position_valuations"),
        schema="analytics",
        comment="Market value, exposure and P&L per position per trading day.",
    )
    op.create_table(
        "equity_risk_metrics",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("as_of_date", sa.Date(), nullable=False, comment="The trading day every figure is as of."),
        sa.Column("portfolio_id", sa.Text(), nullable=False),
        sa.Column("n_returns", sa.Integer(), nullable=False),
        sa.Column("daily_return", sa.Float(), nullable=True),
        sa.Column("beta_spy", sa.Float(), nullable=True),
        sa.Column("annual_volatility", sa.Float(), nullable=True),
        sa.Column("sharpe_ratio", sa.Float(), nullable=True),
        sa.Column("max_drawdown", sa.Float(), nullable=True),
        sa.Column("var_95_parametric", sa.Float(), nullable=True, comment="Loss fraction of gross value."),
        sa.Column("var_95_historical", sa.Float(), nullable=True),
        sa.Column("var_95_factor", sa.Float(), nullable=True, comment="Dollars, sample factor covariance."),
        sa.Column(
            "var_95_factor_ewma", sa.Float(), nullable=True, comment="Dollars, 0.94 exponentially weighted covariance."
        ),
        sa.Column("gross_market_value", sa.Float(), nullable=False),
        sa.Column("risk_free_rate", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", "portfolio_id", name="pk_equity_risk_metrics"),
        schema="analytics",
        comment="Portfolio risk metrics (empyrical) per trading day.",
    )
    op.create_table(
        "equity_backfill_progress",
        sa.Column("backfill_id", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("portfolio_id", sa.Text(), nullable=False),
        sa.Column("total_symbols", sa.Integer(), nullable=False),
        sa.Column("processed_symbols", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed_symbols", sa.Integer(), server_default="0", nullable=False),
        sa.Column("status", sa.Text(), nullable=False, comment="pending, processing, completed or failed"),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_details", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("backfill_id", name="pk_equity_backfill_progress"),
        schema="ops",
        comment="Seed 004's historical_backfill_progress: one row per backfill a new portfolio triggered.",
    )
    op.create_index(
        "ix_equity_backfill_progress_tenant",
        "equity_backfill_progress",
        ["tenant_id", "created_at"],
        unique=False,
        schema="ops",
    )
    op.create_table(
        "equity_market_data_cache",
        sa.Column("cache_key", sa.Text(), nullable=False, comment="provider:endpoint:symbol:from:to"),
        sa.Column(
            "payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False, comment="The provider's raw bars."
        ),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, comment="fetched_at + TTL (24 h for EOD)."),
        sa.PrimaryKeyConstraint("cache_key", name="pk_equity_market_data_cache"),
        schema="ops",
        comment="Seed 004's market_data_cache: provider responses reused until they expire.",
    )
    op.create_table(
        "equity_market_prices",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("ticker", sa.Text(), nullable=False),
        sa.Column("price_date", sa.Date(), nullable=False),
        sa.Column("open", sa.Float(), nullable=True),
        sa.Column("high", sa.Float(), nullable=True),
        sa.Column("low", sa.Float(), nullable=True),
        sa.Column("close", sa.Float(), nullable=False, comment="Adjusted close where the source has one."),
        sa.Column("volume", sa.Float(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False, comment="synthetic, csv or polygon"),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", "ticker", name="pk_equity_market_prices"),
        schema="raw",
        comment="End-of-day bars per trading day for every held ticker, option and factor ETF.",
    )
    op.create_index(
        "ix_equity_market_prices_ticker", "equity_market_prices", ["ticker", "price_date"], unique=False, schema="raw"
    )
    op.create_table(
        "equity_portfolios",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("portfolio_id", sa.Text(), nullable=False, comment="Sidecar portfolio_id, else a slug of its name."),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("base_currency", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False, comment="First day this file's positions govern."),
        sa.Column("position_count", sa.Integer(), nullable=False),
        sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", name="pk_equity_portfolios"),
        schema="raw",
        comment="One row per landed positions file: the portfolio it replaces positions of, and from when.",
    )
    op.create_index(
        "ix_equity_portfolios_current",
        "equity_portfolios",
        ["tenant_id", "portfolio_id", "effective_from"],
        unique=False,
        schema="raw",
    )
    op.create_table(
        "equity_positions",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("portfolio_id", sa.Text(), nullable=False),
        sa.Column("position_id", sa.Text(), nullable=False, comment="uuid5 of tenant, portfolio, ticker, entry date."),
        sa.Column("row_number", sa.Integer(), nullable=False, comment="Line in the CSV (header is line 1)."),
        sa.Column("ticker", sa.Text(), nullable=False, comment="Stock ticker or compact OCC option symbol."),
        sa.Column("underlying", sa.Text(), nullable=False),
        sa.Column("position_type", sa.Text(), nullable=False, comment="LONG, SHORT, LC, LP, SC or SP"),
        sa.Column("quantity", sa.Numeric(), nullable=False, comment="Shares or contracts; negative = short."),
        sa.Column("entry_price", sa.Numeric(), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("multiplier", sa.Integer(), nullable=False, comment="1 for stocks, 100 for options."),
        sa.Column("option_type", sa.Text(), nullable=True, comment="C or P for options."),
        sa.Column("strike", sa.Numeric(), nullable=True),
        sa.Column("expiry", sa.Date(), nullable=True),
        sa.Column(
            "tags", postgresql.JSONB(astext_type=sa.Text()), nullable=False, comment="Tags after tags.yaml renames."
        ),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", "position_id", name="pk_equity_positions"),
        schema="raw",
        comment="Positions as landed, one row per position per file (every version kept).",
    )
    op.create_index(
        "ix_equity_positions_position", "equity_positions", ["tenant_id", "position_id"], unique=False, schema="raw"
    )
    op.create_table(
        "equity_price_failures",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("ticker", sa.Text(), nullable=False),
        sa.Column("price_date", sa.Date(), nullable=False),
        sa.Column("error_code", sa.Text(), nullable=False, comment="UNKNOWN_TICKER, NO_DATA or SOURCE_ERROR"),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", "ticker", name="pk_equity_price_failures"),
        schema="raw",
        comment="Tickers a trading day's price fetch could not price (not retried; the rest of the day goes on).",
    )


def downgrade() -> None:
    op.drop_table("equity_price_failures", schema="raw")
    op.drop_table("equity_positions", schema="raw")
    op.drop_table("equity_portfolios", schema="raw")
    op.drop_table("equity_market_prices", schema="raw")
    op.drop_table("equity_market_data_cache", schema="ops")
    op.drop_table("equity_backfill_progress", schema="ops")
    op.drop_table("equity_risk_metrics", schema="analytics")
    op.drop_table("equity_position_valuations", schema="analytics")
    op.drop_table("equity_position_greeks", schema="analytics")
    op.drop_table("equity_portfolio_snapshots", schema="analytics")
    op.drop_table("equity_portfolio_factors", schema="analytics")
    op.drop_table("equity_factor_diagnostics", schema="analytics")
    op.drop_table("equity_factor_betas", schema="analytics")
