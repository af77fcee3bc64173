"""Pandera schemas for every frame the performance and P&L assets write (checked before each write)."""

from __future__ import annotations

import pandera.pandas as pa

from orchestration.performance.inputs import (
    ANNUALIZATION_BASES,
    BRINSON_MODELS,
    LINKINGS,
    METRIC_BASES,
    RETURN_BASES,
    WEIGHTINGS,
)
from orchestration.performance.periods import PERIOD_TYPES


def _value(nullable: bool = False) -> pa.Column:
    """A Decimal (object) or float64 result column: its type depends on the file's precision mode."""
    return pa.Column(None, nullable=nullable)


def _text(*checks: pa.Check) -> pa.Column:
    return pa.Column(str, list(checks), nullable=False)


PORTFOLIOS_SCHEMA = pa.DataFrameSchema(
    {
        "portfolio_id": _text(pa.Check.str_length(min_value=1)),
        "base_currency": _text(),
        "precision_mode": _text(pa.Check.isin(["DECIMAL_STRICT", "FLOAT64"])),
        "as_of": pa.Column(None),
        "inception_date": pa.Column(None),
        "first_date": pa.Column(None),
        "last_date": pa.Column(None),
        "daily_rows": pa.Column(int, pa.Check.gt(0)),
        "position_count": pa.Column(int, pa.Check.ge(0)),
        "position_group_keys": pa.Column(object),
        "benchmark_group_keys": pa.Column(object),
        "period_names": pa.Column(object),
        "config": pa.Column(object),
        "notes": pa.Column(object),
        "residuals": pa.Column(object),
    },
    name="performance_portfolios",
    strict=True,
)

DAILY_RETURNS_SCHEMA = pa.DataFrameSchema(
    {
        "portfolio_id": _text(),
        "date": pa.Column(None),
        **{c: _value() for c in ("begin_mv", "bod_cf", "fees", "tx_costs", "eod_cf", "end_mv")},
        "return_net": pa.Column(None, pa.Check.gt(-1)),
        "return_gross": pa.Column(None, pa.Check.gt(-1)),
        "benchmark_return": _value(nullable=True),
        "cumulative_net": _value(),
        "cumulative_gross": _value(),
        "cumulative_benchmark": _value(nullable=True),
    },
    name="performance_daily_returns",
    strict=True,
    unique=["date"],
)

PERIOD_RETURNS_SCHEMA = pa.DataFrameSchema(
    {
        "portfolio_id": _text(),
        "period_name": _text(pa.Check.str_length(min_value=1)),
        "period_type": _text(pa.Check.isin(PERIOD_TYPES)),
        "start_date": pa.Column(None),
        "end_date": pa.Column(None),
        "requested_start_date": pa.Column(None),
        "is_clipped_to_inception": pa.Column(bool),
        "metric_basis": _text(pa.Check.isin(RETURN_BASES)),
        "annualization_basis": _text(pa.Check.isin(ANNUALIZATION_BASES)),
        "daily_rows": pa.Column(int, pa.Check.ge(0)),
        "calendar_days": pa.Column(int, pa.Check.gt(0)),
        "twr": pa.Column(None, pa.Check.gt(-1)),
        "years": pa.Column(None, pa.Check.ge(0)),
        "annualized_return": _value(nullable=True),
        "is_shorter_than_one_year": pa.Column(bool),
        "is_annualized": pa.Column(bool),
        "modified_dietz": _value(nullable=True),
        "benchmark_return": _value(nullable=True),
    },
    name="performance_period_returns",
    strict=True,
    unique=["period_name", "metric_basis", "annualization_basis"],
)

POSITIONS_SCHEMA = pa.DataFrameSchema(
    {
        "portfolio_id": _text(),
        "position_id": _text(pa.Check.str_length(min_value=1)),
        "name": _text(),
        "group_keys": pa.Column(object),
        "first_date": pa.Column(None, nullable=True),
        "last_date": pa.Column(None, nullable=True),
        "daily_rows": pa.Column(int, pa.Check.ge(0)),
    },
    name="performance_positions",
    strict=True,
    unique=["position_id"],
)

POSITION_DAILY_SCHEMA = pa.DataFrameSchema(
    {
        "portfolio_id": _text(),
        "position_id": _text(),
        "date": pa.Column(None),
        **{c: _value(nullable=True) for c in ("begin_mv", "bod_cf", "pnl", "eod_cf", "end_mv", "daily_return")},
        **{f"weight_{w}": _value(nullable=True) for w in ("bod", "avg_capital", "twr_denom")},
        **{f"contribution_{w}": _value() for w in ("bod", "avg_capital", "twr_denom")},
    },
    name="performance_position_daily",
    strict=True,
    unique=["position_id", "date"],
)

CONTRIBUTIONS_SCHEMA = pa.DataFrameSchema(
    {
        "portfolio_id": _text(),
        "period_name": _text(),
        "metric_basis": _text(pa.Check.isin(METRIC_BASES)),
        "weighting": _text(pa.Check.isin(WEIGHTINGS)),
        "linking": _text(pa.Check.isin(LINKINGS)),
        "position_id": _text(),
        "contribution": _value(),
    },
    name="performance_contributions",
    strict=True,
    unique=["period_name", "metric_basis", "weighting", "linking", "position_id"],
)

CONTRIBUTION_TOTALS_SCHEMA = pa.DataFrameSchema(
    {
        "portfolio_id": _text(),
        "period_name": _text(),
        "metric_basis": _text(pa.Check.isin(METRIC_BASES)),
        "weighting": _text(pa.Check.isin(WEIGHTINGS)),
        "linking": _text(pa.Check.isin(LINKINGS)),
        "portfolio_return": _value(),
        "lines_total": _value(),
        "residual_bp": _value(),
        "residual_vs_log_bp": _value(nullable=True),
        "line_count": pa.Column(int, pa.Check.gt(0)),
    },
    name="performance_contribution_totals",
    strict=True,
    unique=["period_name", "metric_basis", "weighting", "linking"],
)

ATTRIBUTION_SCHEMA = pa.DataFrameSchema(
    {
        "portfolio_id": _text(),
        "period_name": _text(),
        "group_key": _text(),
        "model": _text(pa.Check.isin(BRINSON_MODELS)),
        "linking": _text(pa.Check.isin(LINKINGS)),
        "group_value": _text(),
        **{c: _value() for c in ("allocation", "selection", "interaction", "total")},
    },
    name="performance_attribution",
    strict=True,
    unique=["period_name", "group_key", "model", "linking", "group_value"],
)

ATTRIBUTION_TOTALS_SCHEMA = pa.DataFrameSchema(
    {
        "portfolio_id": _text(),
        "period_name": _text(),
        "group_key": _text(),
        "model": _text(pa.Check.isin(BRINSON_MODELS)),
        "linking": _text(pa.Check.isin(LINKINGS)),
        **{
            c: _value()
            for c in (
                "portfolio_return",
                "benchmark_return",
                "active_return",
                "allocation",
                "selection",
                "interaction",
                "total_effects",
                "residual_bp",
            )
        },
        "residual_vs_log_bp": _value(nullable=True),
    },
    name="performance_attribution_totals",
    strict=True,
    unique=["period_name", "group_key", "model", "linking"],
)

PNL_FACTS_SCHEMA = pa.DataFrameSchema(
    {
        "line_number": pa.Column(int, pa.Check.gt(0), unique=True),
        "portfolio_id": _text(pa.Check.str_length(min_value=1)),
        "date": pa.Column(None),
        "figure": _text(pa.Check.str_length(min_value=1)),
        "amount": pa.Column(None),
        "is_offsetting": pa.Column(bool),
    },
    name="pnl_facts",
    strict=True,
)
