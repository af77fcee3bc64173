"""The API's view of the performance and P&L marts (dbt owns their DDL; these describe columns for SQLAlchemy Core)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from api.marts._metadata import metadata


def _common() -> list[sa.Column]:
    return [
        sa.Column("portfolio_key", sa.Text),
        sa.Column("tenant_id", sa.Text),
        sa.Column("partition_key", sa.Text),
        sa.Column("portfolio_id", sa.Text),
    ]


performance_portfolios = sa.Table(
    "performance_portfolios",
    metadata,
    *_common(),
    sa.Column("file_name", sa.Text),
    sa.Column("landed_at", sa.DateTime(timezone=True)),
    sa.Column("base_currency", sa.Text),
    sa.Column("precision_mode", sa.Text),
    sa.Column("as_of", sa.Date),
    sa.Column("inception_date", sa.Date),
    sa.Column("first_date", sa.Date),
    sa.Column("last_date", sa.Date),
    sa.Column("daily_rows", sa.Integer),
    sa.Column("position_count", sa.Integer),
    sa.Column("position_group_keys", JSONB),
    sa.Column("benchmark_group_keys", JSONB),
    sa.Column("period_names", JSONB),
    sa.Column("config", JSONB),
    sa.Column("notes", JSONB),
    sa.Column("residuals", JSONB),
    sa.Column("tenant_as_of", sa.Date),
    schema="marts",
)

performance_daily_returns = sa.Table(
    "performance_daily_returns",
    metadata,
    *_common(),
    sa.Column("date", sa.Date),
    *(
        sa.Column(name, sa.Numeric)
        for name in (
            "begin_mv",
            "bod_cf",
            "fees",
            "tx_costs",
            "eod_cf",
            "end_mv",
            "return_net",
            "return_gross",
            "benchmark_return",
            "cumulative_net",
            "cumulative_gross",
            "cumulative_benchmark",
        )
    ),
    schema="marts",
)

performance_period_returns = sa.Table(
    "performance_period_returns",
    metadata,
    *_common(),
    sa.Column("period_name", sa.Text),
    sa.Column("period_type", sa.Text),
    sa.Column("start_date", sa.Date),
    sa.Column("end_date", sa.Date),
    sa.Column("requested_start_date", sa.Date),
    sa.Column("is_clipped_to_inception", sa.Boolean),
    sa.Column("metric_basis", sa.Text),
    sa.Column("annualization_basis", sa.Text),
    sa.Column("daily_rows", sa.Integer),
    sa.Column("calendar_days", sa.Integer),
    sa.Column("twr", sa.Numeric),
    sa.Column("years", sa.Numeric),
    sa.Column("annualized_return", sa.Numeric),
    sa.Column("is_shorter_than_one_year", sa.Boolean),
    sa.Column("is_annualized", sa.Boolean),
    sa.Column("modified_dietz", sa.Numeric),
    sa.Column("benchmark_return", sa.Numeric),
    sa.Column("period_order", sa.Integer),
    sa.Column("annualization_note", sa.Text),
    schema="marts",
)

performance_contributions = sa.Table(
    "performance_contributions",
    metadata,
    sa.Column("contribution_id", sa.Text, comment="A line's id: its provenance is /provenance/attribution/<id>."),
    *_common(),
    sa.Column("period_name", sa.Text),
    sa.Column("metric_basis", sa.Text),
    sa.Column("weighting", sa.Text),
    sa.Column("linking", sa.Text),
    sa.Column("position_id", sa.Text),
    sa.Column("position_name", sa.Text),
    sa.Column("group_keys", JSONB),
    sa.Column("contribution", sa.Numeric),
    schema="marts",
)

performance_contribution_groups = sa.Table(
    "performance_contribution_groups",
    metadata,
    sa.Column("contribution_group_id", sa.Text, comment="A group line's id (/provenance/attribution/<id>)."),
    *_common(),
    sa.Column("period_name", sa.Text),
    sa.Column("metric_basis", sa.Text),
    sa.Column("weighting", sa.Text),
    sa.Column("linking", sa.Text),
    sa.Column("key_set", ARRAY(sa.Text)),
    sa.Column("is_fee_line", sa.Boolean),
    sa.Column("group_values", JSONB),
    sa.Column("line_count", sa.Integer),
    sa.Column("contribution", sa.Numeric),
    schema="marts",
)

performance_contribution_totals = sa.Table(
    "performance_contribution_totals",
    metadata,
    *_common(),
    sa.Column("period_name", sa.Text),
    sa.Column("metric_basis", sa.Text),
    sa.Column("weighting", sa.Text),
    sa.Column("linking", sa.Text),
    sa.Column("portfolio_return", sa.Numeric),
    sa.Column("lines_total", sa.Numeric),
    sa.Column("residual_bp", sa.Numeric),
    sa.Column("residual_vs_log_bp", sa.Numeric),
    sa.Column("line_count", sa.Integer),
    schema="marts",
)

performance_attribution = sa.Table(
    "performance_attribution",
    metadata,
    sa.Column("attribution_id", sa.Text, comment="A group's id (/provenance/attribution/<id>)."),
    *_common(),
    sa.Column("period_name", sa.Text),
    sa.Column("group_key", sa.Text),
    sa.Column("model", sa.Text),
    sa.Column("linking", sa.Text),
    sa.Column("group_value", sa.Text),
    *(sa.Column(name, sa.Numeric) for name in ("allocation", "selection", "interaction", "total")),
    schema="marts",
)

performance_attribution_totals = sa.Table(
    "performance_attribution_totals",
    metadata,
    *_common(),
    sa.Column("period_name", sa.Text),
    sa.Column("group_key", sa.Text),
    sa.Column("model", sa.Text),
    sa.Column("linking", sa.Text),
    *(
        sa.Column(name, sa.Numeric)
        for name in (
            "portfolio_return",
            "benchmark_return",
            "active_return",
            "allocation",
            "selection",
            "interaction",
            "total_effects",
            "residual_bp",
            "residual_vs_log_bp",
        )
    ),
    schema="marts",
)

pnl_period_figures = sa.Table(
    "pnl_period_figures",
    metadata,
    sa.Column("tenant_id", sa.Text),
    sa.Column("portfolio_id", sa.Text),
    sa.Column("line_kind", sa.Text),
    sa.Column("figure", sa.Text),
    sa.Column("is_offsetting", sa.Boolean),
    sa.Column("period_kind", sa.Text),
    sa.Column("period_label", sa.Text),
    sa.Column("period_start", sa.Date),
    sa.Column("period_end", sa.Date),
    sa.Column("as_of_from", sa.Date),
    sa.Column("as_of_to", sa.Date),
    sa.Column("amount", sa.Numeric),
    schema="marts",
)

pnl_daily_figures = sa.Table(
    "pnl_daily_figures",
    metadata,
    sa.Column("pnl_daily_figure_id", sa.Text),
    sa.Column("tenant_id", sa.Text),
    sa.Column("portfolio_id", sa.Text),
    sa.Column("figure", sa.Text),
    sa.Column("is_offsetting", sa.Boolean),
    sa.Column("fact_date", sa.Date),
    sa.Column("partition_key", sa.Text, comment="The landed file whose facts count for the day (the latest)."),
    sa.Column("amount", sa.Numeric),
    schema="marts",
)
