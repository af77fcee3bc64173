"""Tables written by the performance and P&L assets (schema `analytics` for results, `raw` for P&L facts).

Values are NUMERIC: DECIMAL_STRICT results keep every digit, FLOAT64 results are stored as their
float's shortest text. Every table starts with tenant_id and partition_key (one partition per file).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orchestration.core.metadata import metadata, partition_columns

ANALYTICS = "analytics"


def _key(*columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("tenant_id", "partition_key", *columns)


performance_portfolios = sa.Table(
    "performance_portfolios",
    metadata,
    *partition_columns(),
    sa.Column("portfolio_id", sa.Text, nullable=False),
    sa.Column("base_currency", sa.Text, nullable=False),
    sa.Column("precision_mode", sa.Text, nullable=False, comment="DECIMAL_STRICT or FLOAT64 (config.precision_mode)."),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("inception_date", sa.Date, nullable=False),
    sa.Column("first_date", sa.Date, nullable=False),
    sa.Column("last_date", sa.Date, nullable=False),
    sa.Column("daily_rows", sa.Integer, nullable=False),
    sa.Column("position_count", sa.Integer, nullable=False),
    sa.Column("position_group_keys", JSONB, nullable=False),
    sa.Column("benchmark_group_keys", JSONB, nullable=False),
    sa.Column("period_names", JSONB, nullable=False),
    sa.Column("config", JSONB, nullable=False, comment="The effective config (file values and defaults)."),
    sa.Column("notes", JSONB, nullable=False, comment="Diagnostic notes from validation and periods."),
    sa.Column("residuals", JSONB, nullable=False, comment="Position-vs-portfolio reconciliation gaps (money)."),
    _key(),
    schema=ANALYTICS,
    comment="One row per performance file: the portfolio, its effective config and diagnostics.",
)

performance_daily_returns = sa.Table(
    "performance_daily_returns",
    metadata,
    *partition_columns(),
    sa.Column("portfolio_id", sa.Text, nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    *(
        sa.Column(name, sa.Numeric, nullable=False)
        for name in ("begin_mv", "bod_cf", "fees", "tx_costs", "eod_cf", "end_mv")
    ),
    sa.Column("return_net", sa.Numeric, nullable=False),
    sa.Column("return_gross", sa.Numeric, nullable=False),
    sa.Column("benchmark_return", sa.Numeric, comment="B_t = Σ w_b·r_b; null on days without benchmark rows."),
    sa.Column("cumulative_net", sa.Numeric, nullable=False),
    sa.Column("cumulative_gross", sa.Numeric, nullable=False),
    sa.Column("cumulative_benchmark", sa.Numeric),
    _key("date"),
    schema=ANALYTICS,
    comment="One row per portfolio day: inputs, NET and GROSS daily returns, benchmark, cumulative returns.",
)

performance_period_returns = sa.Table(
    "performance_period_returns",
    metadata,
    *partition_columns(),
    sa.Column("portfolio_id", sa.Text, nullable=False),
    sa.Column("period_name", sa.Text, nullable=False),
    sa.Column("period_type", sa.Text, nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=False),
    sa.Column("requested_start_date", sa.Date, nullable=False),
    sa.Column("is_clipped_to_inception", sa.Boolean, nullable=False),
    sa.Column("metric_basis", sa.Text, nullable=False),
    sa.Column("annualization_basis", sa.Text, nullable=False),
    sa.Column("daily_rows", sa.Integer, nullable=False),
    sa.Column("calendar_days", sa.Integer, nullable=False),
    sa.Column("twr", sa.Numeric, nullable=False),
    sa.Column("years", sa.Numeric, nullable=False),
    sa.Column("annualized_return", sa.Numeric),
    sa.Column("is_shorter_than_one_year", sa.Boolean, nullable=False),
    sa.Column("is_annualized", sa.Boolean, nullable=False),
    sa.Column("modified_dietz", sa.Numeric, comment="ITD NET rows only (convention 4)."),
    sa.Column("benchmark_return", sa.Numeric),
    _key("period_name", "metric_basis", "annualization_basis"),
    schema=ANALYTICS,
    comment="One row per period × metric basis × annualization basis.",
)

performance_positions = sa.Table(
    "performance_positions",
    metadata,
    *partition_columns(),
    sa.Column("portfolio_id", sa.Text, nullable=False),
    sa.Column("position_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("group_keys", JSONB, nullable=False),
    sa.Column("first_date", sa.Date),
    sa.Column("last_date", sa.Date),
    sa.Column("daily_rows", sa.Integer, nullable=False),
    _key("position_id"),
    schema=ANALYTICS,
    comment="One row per position (and the NET fee line __FEES__) of a performance file.",
)

_WEIGHTINGS = ("bod", "avg_capital", "twr_denom")

performance_position_daily = sa.Table(
    "performance_position_daily",
    metadata,
    *partition_columns(),
    sa.Column("portfolio_id", sa.Text, nullable=False),
    sa.Column("position_id", sa.Text, nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    *(sa.Column(name, sa.Numeric) for name in ("begin_mv", "bod_cf", "pnl", "eod_cf", "end_mv", "daily_return")),
    *(sa.Column(f"weight_{w}", sa.Numeric) for w in _WEIGHTINGS),
    *(sa.Column(f"contribution_{w}", sa.Numeric, nullable=False) for w in _WEIGHTINGS),
    _key("position_id", "date"),
    schema=ANALYTICS,
    comment="One row per position per day (and __FEES__ per day): return, weights and contributions per weighting.",
)

performance_contributions = sa.Table(
    "performance_contributions",
    metadata,
    *partition_columns(),
    sa.Column("portfolio_id", sa.Text, nullable=False),
    sa.Column("period_name", sa.Text, nullable=False),
    sa.Column("metric_basis", sa.Text, nullable=False),
    sa.Column("weighting", sa.Text, nullable=False),
    sa.Column("linking", sa.Text, nullable=False),
    sa.Column("position_id", sa.Text, nullable=False),
    sa.Column("contribution", sa.Numeric, nullable=False),
    _key("period_name", "metric_basis", "weighting", "linking", "position_id"),
    schema=ANALYTICS,
    comment="One linked contribution line per period × basis × weighting × linking × position.",
)

performance_contribution_totals = sa.Table(
    "performance_contribution_totals",
    metadata,
    *partition_columns(),
    sa.Column("portfolio_id", sa.Text, nullable=False),
    sa.Column("period_name", sa.Text, nullable=False),
    sa.Column("metric_basis", sa.Text, nullable=False),
    sa.Column("weighting", sa.Text, nullable=False),
    sa.Column("linking", sa.Text, nullable=False),
    sa.Column("portfolio_return", sa.Numeric, nullable=False),
    sa.Column("lines_total", sa.Numeric, nullable=False),
    sa.Column("residual_bp", sa.Numeric, nullable=False),
    sa.Column("residual_vs_log_bp", sa.Numeric, comment="LOG linking only."),
    sa.Column("line_count", sa.Integer, nullable=False),
    _key("period_name", "metric_basis", "weighting", "linking"),
    schema=ANALYTICS,
    comment="Per period × basis × weighting × linking: R, Σ lines and the residual in bp.",
)

_EFFECTS = ("allocation", "selection", "interaction")

performance_attribution = sa.Table(
    "performance_attribution",
    metadata,
    *partition_columns(),
    sa.Column("portfolio_id", sa.Text, nullable=False),
    sa.Column("period_name", sa.Text, nullable=False),
    sa.Column("group_key", sa.Text, nullable=False),
    sa.Column("model", sa.Text, nullable=False),
    sa.Column("linking", sa.Text, nullable=False),
    sa.Column("group_value", sa.Text, nullable=False),
    *(sa.Column(name, sa.Numeric, nullable=False) for name in (*_EFFECTS, "total")),
    _key("period_name", "group_key", "model", "linking", "group_value"),
    schema=ANALYTICS,
    comment="Linked Brinson effects per period × group key × model × linking × group.",
)

performance_attribution_totals = sa.Table(
    "performance_attribution_totals",
    metadata,
    *partition_columns(),
    sa.Column("portfolio_id", sa.Text, nullable=False),
    sa.Column("period_name", sa.Text, nullable=False),
    sa.Column("group_key", sa.Text, nullable=False),
    sa.Column("model", sa.Text, nullable=False),
    sa.Column("linking", sa.Text, nullable=False),
    *(
        sa.Column(name, sa.Numeric, nullable=False)
        for name in ("portfolio_return", "benchmark_return", "active_return", *_EFFECTS, "total_effects", "residual_bp")
    ),
    sa.Column("residual_vs_log_bp", sa.Numeric, comment="LOG linking only."),
    _key("period_name", "group_key", "model", "linking"),
    schema=ANALYTICS,
    comment="Per period × group key × model × linking: R (GROSS), B, summed effects and the residual in bp.",
)

pnl_facts = sa.Table(
    "pnl_facts",
    metadata,
    *partition_columns(),
    sa.Column("line_number", sa.Integer, nullable=False, comment="Row of the fact in its file (1-based)."),
    sa.Column("portfolio_id", sa.Text, nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("figure", sa.Text, nullable=False),
    sa.Column("amount", sa.Numeric, nullable=False),
    sa.Column("is_offsetting", sa.Boolean, nullable=False),
    _key("line_number"),
    sa.Index("ix_pnl_facts_portfolio", "tenant_id", "portfolio_id", "date"),
    schema="raw",
    comment="Seed-003 P&L facts, one row per fact of a landed pnl/ file.",
)
