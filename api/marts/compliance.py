"""The API's view of the compliance marts (dbt owns their DDL; these describe the columns for SQLAlchemy Core).

Every one is a view (`dbt_project/models/marts/compliance/`): a compliance run, scenario version or alert firing
is served as soon as its asset or job has written it. "Current" means the deal's latest run for a report date.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from api.marts._metadata import metadata


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


compliance_summary = sa.Table(
    "clo_compliance_summary",
    metadata,
    sa.Column("workbook_key", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("partition_key", sa.Text, nullable=False),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("report_date", sa.Date, nullable=False),
    sa.Column("deal_id", sa.Text, nullable=False),
    sa.Column("total_tests", sa.BigInteger, nullable=False, comment="Counted from the run's test rows."),
    sa.Column("passed", sa.BigInteger, nullable=False),
    sa.Column("warning", sa.BigInteger, nullable=False),
    sa.Column("failed", sa.BigInteger, nullable=False),
    sa.Column("test_points", sa.JSON, nullable=False, comment="test_id -> {date, value, status}, profile order."),
    sa.Column("total_par", sa.Numeric),
    sa.Column("performing_par", sa.Numeric),
    sa.Column("collateral_principal_amount", sa.Numeric),
    sa.Column("adjusted_collateral_principal_amount", sa.Numeric),
    sa.Column("ccc_pct", sa.Numeric),
    sa.Column("warf", sa.Numeric),
    sa.Column("warf_rounded_up", sa.Integer),
    sa.Column("was_bps", sa.Numeric),
    sa.Column("wal_years", sa.Numeric),
    sa.Column("diversity_score", sa.Numeric),
    sa.Column("metrics", JSONB, nullable=False),
    sa.Column("deal", JSONB, nullable=False),
    sa.Column("executed_at", _tz(), nullable=False),
    sa.Column("is_current", sa.Boolean, nullable=False, comment="The current run of its deal's report date."),
    schema="marts",
)

compliance_tests = sa.Table(
    "clo_compliance_tests",
    metadata,
    sa.Column("result_key", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("partition_key", sa.Text, nullable=False),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("report_date", sa.Date, nullable=False),
    sa.Column("deal_id", sa.Text, nullable=False),
    sa.Column("test_id", sa.Text, nullable=False),
    sa.Column("sort_order", sa.Integer, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("direction", sa.Text, nullable=False),
    sa.Column("unit", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("current_value", sa.Numeric),
    sa.Column("trigger_level", sa.Numeric, nullable=False),
    sa.Column("target_level", sa.Numeric, nullable=False),
    sa.Column("cushion", sa.Numeric),
    sa.Column("cushion_pct", sa.Numeric),
    sa.Column("trend", sa.Text, nullable=False),
    sa.Column("previous_value", sa.Numeric),
    sa.Column("previous_status", sa.Text),
    sa.Column("status_changed", sa.Boolean, nullable=False),
    sa.Column("trend_values", JSONB, nullable=False, comment="The last three points, oldest first."),
    sa.Column("dead_band_pct", sa.Numeric, comment="The trend's dead band as % of |trigger| (configuration)."),
    sa.Column("dead_band", sa.Numeric, comment="The trend's dead band in the test's unit."),
    sa.Column("history", JSONB, nullable=False, comment="Every point up to this date, newest first."),
    sa.Column("executed_at", _tz(), nullable=False),
    schema="marts",
)

holding_compliance = sa.Table(
    "clo_holding_compliance",
    metadata,
    sa.Column("holding_compliance_key", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("partition_key", sa.Text, nullable=False),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("holding_id", sa.Text, nullable=False),
    sa.Column("effective_rating", sa.Text, nullable=False),
    sa.Column("rating_source", sa.Text, nullable=False),
    sa.Column("rating_factor", sa.Numeric, nullable=False),
    sa.Column("in_ccc_bucket", sa.Boolean, nullable=False),
    sa.Column("years_to_maturity", sa.Numeric),
    schema="marts",
)

scenario_versions = sa.Table(
    "clo_scenario_versions",
    metadata,
    sa.Column("scenario_version_key", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("partition_key", sa.Text, nullable=False),
    sa.Column("scenario_id", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("workbook_id", sa.Text),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("errors", JSONB, nullable=False),
    sa.Column("error_count", sa.Integer, nullable=False),
    sa.Column("change_count", sa.Integer, nullable=False, comment="Changes the scenario file lists."),
    sa.Column("trade_count", sa.BigInteger, nullable=False, comment="Trades stored for a calculated version."),
    sa.Column("par_delta", sa.Numeric, nullable=False),
    sa.Column("total_tests", sa.BigInteger, comment="Counts of the scenario's test list; null when failed."),
    sa.Column("passed", sa.BigInteger),
    sa.Column("warning", sa.BigInteger),
    sa.Column("failed", sa.BigInteger),
    sa.Column("base_passed", sa.BigInteger),
    sa.Column("base_warning", sa.BigInteger),
    sa.Column("base_failed", sa.BigInteger),
    sa.Column("comparison", JSONB, comment="The stored seed comparison document."),
    sa.Column("calculated_at", _tz()),
    sa.Column("landed_at", _tz(), nullable=False),
    sa.Column("is_current", sa.Boolean, nullable=False, comment="The scenario's latest version."),
    sa.Column("is_latest_on_workbook", sa.Boolean, nullable=False),
    schema="marts",
)

scenario_tests = sa.Table(
    "clo_scenario_tests",
    metadata,
    sa.Column("scenario_test_key", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("partition_key", sa.Text, nullable=False),
    sa.Column("scenario_id", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("sort_order", sa.BigInteger, nullable=False),
    sa.Column("test_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text),
    sa.Column("category", sa.Text),
    sa.Column("direction", sa.Text),
    sa.Column("unit", sa.Text),
    sa.Column("base_status", sa.Text),
    sa.Column("scenario_status", sa.Text, nullable=False),
    sa.Column("base_value", sa.Numeric),
    sa.Column("scenario_value", sa.Numeric),
    sa.Column("trigger_level", sa.Numeric),
    sa.Column("target_level", sa.Numeric),
    sa.Column("cushion", sa.Numeric),
    sa.Column("cushion_pct", sa.Numeric),
    schema="marts",
)

scenario_trades = sa.Table(
    "clo_scenario_trades",
    metadata,
    sa.Column("scenario_change_key", sa.Text, primary_key=True),
    sa.Column("trade_id", sa.Text, nullable=False),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("partition_key", sa.Text, nullable=False),
    sa.Column("scenario_id", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("order_index", sa.Integer, nullable=False),
    sa.Column("change_type", sa.Text, nullable=False),
    sa.Column("target_cusip", sa.Text),
    sa.Column("change_data", JSONB, nullable=False),
    sa.Column("par_delta", sa.Numeric, nullable=False),
    schema="marts",
)

alert_firings = sa.Table(
    "clo_alert_firings",
    metadata,
    sa.Column("firing_id", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("alert_id", sa.Text, nullable=False),
    sa.Column("alert_name", sa.Text, nullable=False),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("partition_key", sa.Text, nullable=False),
    sa.Column("deal_id", sa.Text, nullable=False),
    sa.Column("metric", sa.Text, nullable=False),
    sa.Column("operator", sa.Text, nullable=False),
    sa.Column("threshold", sa.Numeric, nullable=False),
    sa.Column("value", sa.Numeric),
    sa.Column("severity", sa.Text, nullable=False),
    sa.Column("deliveries", JSONB, nullable=False),
    sa.Column("fired_at", _tz(), nullable=False),
    schema="marts",
)

alert_last_fired = sa.Table(
    "clo_alert_last_fired",
    metadata,
    sa.Column("rule_deal_key", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("deal_id", sa.Text, nullable=False),
    sa.Column("alert_id", sa.Text, nullable=False),
    sa.Column("last_fired_at", _tz(), nullable=False),
    sa.Column("firing_count", sa.BigInteger, nullable=False),
    schema="marts",
)
