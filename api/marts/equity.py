"""The API's view of the equity marts (dbt owns their DDL; these describe the columns for SQLAlchemy Core).

Every equity mart is a dbt view over staging, so the routes serve what the last daily partition or positions
file wrote. Figures a route serves (group sums, tag counts, Greeks by view) are summed in these marts.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from api.marts._metadata import metadata


def _mart(name: str, key: str, *columns: sa.Column) -> sa.Table:
    """A `marts` table whose first column, `key`, is its unique text key."""
    return sa.Table(name, metadata, sa.Column(key, sa.Text, primary_key=True), *columns, schema="marts")


def _text(*names: str) -> list[sa.Column]:
    """Text columns."""
    return [sa.Column(name, sa.Text) for name in names]


def _float(*names: str) -> list[sa.Column]:
    """Double-precision columns (NaN already null in the marts)."""
    return [sa.Column(name, sa.Float) for name in names]


def _day() -> sa.Column:
    """The trading day a row is as of."""
    return sa.Column("as_of_date", sa.Date, nullable=False)


portfolios = _mart(
    "equity_portfolios",
    "portfolio_key",
    *_text("tenant_id", "portfolio_id", "name", "base_currency"),
    sa.Column("effective_from", sa.Date),
    sa.Column("position_count", sa.BigInteger),
    sa.Column("as_of_date", sa.Date),
)

portfolio_daily = _mart(
    "equity_portfolio_daily",
    "snapshot_key",
    *_text("tenant_id", "portfolio_id"),
    _day(),
    *_float(
        "total_market_value",
        "long_exposure",
        "short_exposure",
        "gross_exposure",
        "net_exposure",
        "cost_basis",
        "daily_pnl",
        "mtd_pnl",
        "ytd_pnl",
        "unrealized_pnl",
    ),
    sa.Column("position_count", sa.Integer),
    *[sa.Column(name, JSONB) for name in ("counts_by_type", "greeks", "factor_betas", "risk_metrics")],
    *_float("daily_return", "cumulative_return"),
)

position_daily = _mart(
    "equity_position_daily",
    "position_day_key",
    *_text("tenant_id", "portfolio_id", "position_id"),
    _day(),
    *_text("ticker", "underlying", "position_type"),
    sa.Column("quantity", sa.Float),
    sa.Column("multiplier", sa.Integer),
    sa.Column("entry_price", sa.Float),
    sa.Column("entry_date", sa.Date),
    sa.Column("price", sa.Float),
    sa.Column("price_source", sa.Text),
    *_float("market_value", "exposure", "cost_basis", "unrealized_pnl", "daily_pnl"),
    sa.Column("daily_pnl_fallback", sa.Boolean),
    *_float("mtd_pnl", "ytd_pnl", "exposure_pct_gross"),
    *[sa.Column(name, sa.Boolean) for name in ("mtd_pnl_fallback", "ytd_pnl_fallback", "expired")],
    sa.Column("realized_pnl", sa.Float),
    sa.Column("tags", JSONB),
    sa.Column("greeks_source", sa.Text),
    *_float(
        "greeks_delta",
        "greeks_gamma",
        "greeks_theta",
        "greeks_vega",
        "greeks_rho",
        "greeks_delta_adjusted_exposure",
    ),
)

position_group_members = _mart(
    "equity_position_group_members",
    "member_key",
    *_text("tenant_id", "portfolio_id"),
    _day(),
    *_text("group_by", "group_key", "position_id", "ticker", "position_type"),
    sa.Column("tags", JSONB),
    *_float("market_value", "exposure", "daily_pnl"),
)

position_groups = _mart(
    "equity_position_groups",
    "position_group_key",
    *_text("tenant_id", "portfolio_id"),
    _day(),
    *_text("group_by", "group_key"),
    sa.Column("position_count", sa.BigInteger),
    *_float("market_value", "exposure", "daily_pnl"),
    sa.Column("position_ids", ARRAY(sa.Text)),
)

tag_counts = _mart(
    "equity_tag_counts",
    "tag_key",
    *_text("tenant_id", "tag", "color"),
    sa.Column("position_count", sa.BigInteger),
)

greeks_by_view = _mart(
    "equity_greeks_by_view",
    "greeks_view_key",
    *_text("tenant_id", "portfolio_id"),
    _day(),
    sa.Column("view_name", sa.Text),
    sa.Column("position_count", sa.BigInteger),
    *_float("delta", "gamma", "theta", "vega", "rho", "delta_adjusted_exposure"),
    sa.Column("mock_positions", sa.BigInteger),
)

factor_exposures = _mart(
    "equity_factor_exposures",
    "portfolio_factor_key",
    *_text("tenant_id", "portfolio_id"),
    _day(),
    *_text("factor", "etf"),
    *_float("portfolio_beta", "dollar_exposure"),
    sa.Column("positions_with_beta", sa.Integer),
    *_text("status", "reason"),
)

factor_betas = _mart(
    "equity_factor_betas",
    "factor_beta_key",
    *_text("tenant_id", "portfolio_id", "position_id"),
    _day(),
    *_text("ticker", "method", "factor", "etf"),
    *_float("beta", "alpha", "r_squared", "t_stat", "std_error"),
    sa.Column("n_obs", sa.Integer),
    *_text("status", "reason"),
)

factor_diagnostics = _mart(
    "equity_factor_diagnostics",
    "factor_diagnostic_key",
    _day(),
    *_text("factor", "etf"),
    sa.Column("vif", sa.Float),
    sa.Column("correlations", JSONB),
    sa.Column("n_obs", sa.Integer),
)

risk_metrics = _mart(
    "equity_risk_metrics",
    "risk_metrics_key",
    *_text("tenant_id", "portfolio_id"),
    _day(),
    sa.Column("n_returns", sa.Integer),
    *_float(
        "daily_return",
        "beta_spy",
        "annual_volatility",
        "sharpe_ratio",
        "max_drawdown",
        "var_95_parametric",
        "var_95_historical",
        "var_95_factor",
        "var_95_factor_ewma",
        "gross_market_value",
        "risk_free_rate",
    ),
    sa.Column("status", sa.Text),
    sa.Column("reasons", JSONB),
)

market_prices = _mart(
    "equity_market_prices",
    "price_key",
    sa.Column("ticker", sa.Text),
    _day(),
    *_float("open", "high", "low", "close", "volume"),
    sa.Column("source", sa.Text),
)

held_symbols = _mart("equity_held_symbols", "held_symbol_key", *_text("tenant_id", "symbol"))

backfill_progress = _mart(
    "equity_backfill_progress",
    "backfill_id",
    *_text("tenant_id", "portfolio_id"),
    *[sa.Column(name, sa.Integer) for name in ("total_symbols", "processed_symbols", "failed_symbols")],
    sa.Column("status", sa.Text),
    sa.Column("start_date", sa.Date),
    sa.Column("end_date", sa.Date),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("completed_at", sa.DateTime(timezone=True)),
    sa.Column("error_details", JSONB),
    sa.Column("created_at", sa.DateTime(timezone=True)),
)
