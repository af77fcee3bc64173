"""Compliance tables: test results, intermediates and per-holding fields per workbook; scenarios; alerts.

Workbook tables are partitioned like the workbook (`clo_files`); scenario tables by the scenario file
(`scenarios_files`, one version per landed file); alert history and compliance events live in `ops`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orchestration.core.metadata import metadata, partition_columns


def level_source_columns() -> list[sa.Column]:
    """Where a result's levels came from, and its fallback profile's levels (null in rows before migration 0013)."""
    source = "sidecar | structure_sheet | profile:<id> | default (levels.py)."
    return [
        sa.Column("trigger_source", sa.Text, comment=f"Where trigger_level came from: {source}"),
        sa.Column("target_source", sa.Text, comment=f"Where target_level came from: {source}"),
        sa.Column("profile_id", sa.Text, comment="The profile the deal falls back to: the sidecar's, else default."),
        sa.Column(
            "profile_trigger_level", sa.Numeric, comment="That profile's trigger; null when it has no such test."
        ),
        sa.Column("profile_target_level", sa.Numeric, comment="That profile's target; null when it has no such test."),
    ]


compliance_results = sa.Table(
    "clo_compliance_results",
    metadata,
    *partition_columns(),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("report_date", sa.Date, nullable=False, comment="The deal's as-of date for this workbook."),
    sa.Column("deal_id", sa.Text, nullable=False, comment="Deal name/id, else the workbook name."),
    sa.Column("test_id", sa.Text, nullable=False),
    sa.Column("sort_order", sa.Integer, nullable=False, comment="Position of the test in the deal's list."),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("direction", sa.Text, nullable=False, comment="min | max"),
    sa.Column("unit", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, comment="passed | warning | failed (on the unrounded value)"),
    sa.Column("current_value", sa.Numeric, comment="Rounded once to 4 decimals half-up; null when undefined."),
    sa.Column("trigger_level", sa.Numeric, nullable=False),
    sa.Column("target_level", sa.Numeric, nullable=False),
    sa.Column("cushion", sa.Numeric),
    sa.Column("cushion_pct", sa.Numeric),
    sa.Column("trend", sa.Text, nullable=False, comment="improving | stable | deteriorating (last three values)"),
    sa.Column("executed_at", sa.DateTime(timezone=True), nullable=False),
    *level_source_columns(),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", "test_id", name="pk_clo_compliance_results"),
    sa.Index("ix_clo_compliance_results_workbook", "workbook_id", "sort_order"),
    sa.Index("ix_clo_compliance_results_deal", "tenant_id", "deal_id", "test_id", "report_date"),
    schema="analytics",
    comment="One row per compliance test per workbook (issue 4 conventions).",
)

compliance_metrics = sa.Table(
    "clo_compliance_metrics",
    metadata,
    *partition_columns(),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("report_date", sa.Date, nullable=False),
    sa.Column("deal_id", sa.Text, nullable=False),
    sa.Column("summary", JSONB, nullable=False, comment="total_tests, passed, failed, warning."),
    sa.Column("metrics", JSONB, nullable=False, comment="Every intermediate, rounded once to 4 decimals."),
    sa.Column("deal", JSONB, nullable=False, comment="The merged deal inputs used and where they came from."),
    sa.Column("executed_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", name="pk_clo_compliance_metrics"),
    sa.Index("ix_clo_compliance_metrics_workbook", "workbook_id"),
    schema="analytics",
    comment="All compliance intermediates of each workbook (served by /workbooks/{id}/metrics).",
)

HOLDING_DERIVED_COLUMNS: tuple[tuple[str, Any, str], ...] = (
    ("moodys_derived_rating", sa.Text, "Moody's Derived Rating (issue 21 C15): notched S&P/Fitch, watch negative."),
    ("moodys_derived_source", sa.Text, "moodys | sp | fitch | unrated_default (C15)."),
    ("sp_basis_rating", sa.Text, "S&P rating, else the S&P equivalent of the effective Moody's rating (C16)."),
    ("is_discount_obligation", sa.Boolean, "Purchased below the threshold and priced below the cure price (C17)."),
    ("par_in_ccc_excess", sa.Numeric, "Par of this holding inside the CCC excess (C6, C18)."),
    ("carrying_value", sa.Numeric, "Carrying value in the ACPA (C18; C6 if defaulted)."),
)
"""Issue 21's per-holding derived fields (nullable: rows of earlier runs have none until re-run; migration 0015)."""

holding_compliance = sa.Table(
    "clo_holding_compliance",
    metadata,
    *partition_columns(),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("holding_id", sa.Text, nullable=False),
    sa.Column("effective_rating", sa.Text, nullable=False, comment="Effective Moody's rating (convention 3)."),
    sa.Column("rating_source", sa.Text, nullable=False, comment="moodys | sp | fitch | default"),
    sa.Column("rating_factor", sa.Numeric, nullable=False),
    sa.Column("in_ccc_bucket", sa.Boolean, nullable=False),
    sa.Column("years_to_maturity", sa.Numeric),
    *(sa.Column(name, type_, comment=comment) for name, type_, comment in HOLDING_DERIVED_COLUMNS),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", "holding_id", name="pk_clo_holding_compliance"),
    sa.Index("ix_clo_holding_compliance_workbook", "workbook_id"),
    schema="analytics",
    comment="Per-holding compliance fields, joined into the CLO holdings API.",
)

contributions = sa.Table(
    "clo_compliance_contributions",
    metadata,
    *partition_columns(),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("test_id", sa.Text, nullable=False),
    sa.Column("rank", sa.Integer, nullable=False, comment="1 = largest contribution; the last row may be the rest."),
    sa.Column("holding_id", sa.Text, comment="The contributing holding; null on the rest row and on term rows."),
    sa.Column(
        "holdings",
        sa.Integer,
        nullable=False,
        comment="Holdings the row stands for: 1, the rest's count, or 0 (cash, fees).",
    ),
    sa.Column("contribution", sa.Numeric, nullable=False, comment="Its part of the test's numerator."),
    sa.Column("share", sa.Numeric, comment="contribution / numerator; null when the numerator is 0."),
    sa.Column("measure", sa.Text, nullable=False, comment="What is summed, e.g. par, par x rating factor."),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", "test_id", "rank", name="pk_clo_compliance_contributions"),
    sa.Index("ix_clo_compliance_contributions_workbook", "workbook_id", "test_id"),
    schema="analytics",
    comment="The holdings that make up each test's numerator, largest first (issue 18 explained compliance).",
)

scenarios = sa.Table(
    "clo_scenarios",
    metadata,
    *partition_columns(),
    sa.Column("scenario_id", sa.Text, nullable=False, comment="uuid5 of tenant, workbook and scenario name."),
    sa.Column("version", sa.Integer, nullable=False, comment="1, 2, … one per changed scenario file."),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("workbook_id", sa.Text, comment="Null when the named workbook was not found."),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, comment="calculated | failed"),
    sa.Column("errors", JSONB, nullable=False, comment="Validation issues: field, message, code."),
    sa.Column("document", JSONB, nullable=False, comment="The scenario file as parsed."),
    sa.Column("comparison", JSONB, comment="Seed comparison: metrics, compliance counts and changes."),
    sa.Column("results", JSONB, comment="Scenario tests and metrics, rounded once."),
    sa.Column("calculated_at", sa.DateTime(timezone=True)),
    sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", name="pk_clo_scenarios"),
    sa.Index("ix_clo_scenarios_id", "tenant_id", "scenario_id", "version"),
    sa.Index("ix_clo_scenarios_workbook", "tenant_id", "workbook_id"),
    schema="analytics",
    comment="What-if scenarios, one row per version (landed scenario file).",
)

scenario_changes = sa.Table(
    "clo_scenario_changes",
    metadata,
    *partition_columns(),
    sa.Column("scenario_id", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("order_index", sa.Integer, nullable=False),
    sa.Column("change_type", sa.Text, nullable=False),
    sa.Column("target_cusip", sa.Text),
    sa.Column("change_data", JSONB, nullable=False),
    sa.Column("par_delta", sa.Numeric, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", "order_index", name="pk_clo_scenario_changes"),
    sa.Index("ix_clo_scenario_changes_scenario", "tenant_id", "scenario_id", "version"),
    schema="analytics",
    comment="The trades (changes) of each scenario version, in order.",
)

alert_history = sa.Table(
    "alert_history",
    metadata,
    sa.Column("alert_event_id", sa.Text, nullable=False, comment="uuid4 of the firing."),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("rule_id", sa.Text, nullable=False),
    sa.Column("rule_name", sa.Text, nullable=False),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("partition_key", sa.Text, nullable=False),
    sa.Column("deal_id", sa.Text, nullable=False),
    sa.Column("metric", sa.Text, nullable=False),
    sa.Column("operator", sa.Text, nullable=False),
    sa.Column("threshold", sa.Numeric, nullable=False),
    sa.Column("value", sa.Numeric),
    sa.Column("severity", sa.Text, nullable=False),
    sa.Column("deliveries", JSONB, nullable=False, comment="Per channel: status, attempts, http_status, error."),
    sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("alert_event_id", name="pk_alert_history"),
    sa.Index("ix_alert_history_rule", "tenant_id", "rule_id", "deal_id", "fired_at"),
    sa.Index("ix_alert_history_workbook", "tenant_id", "workbook_id"),
    schema="ops",
    comment="Every alert firing (cooldowns honoured) and how each channel was delivered.",
)

compliance_events = sa.Table(
    "compliance_events",
    metadata,
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("event", sa.Text, nullable=False, comment="compliance.failed | compliance.warning"),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("partition_key", sa.Text, nullable=False),
    sa.Column("deal_id", sa.Text, nullable=False),
    sa.Column("test_id", sa.Text, nullable=False),
    sa.Column("previous_status", sa.Text, comment="Status on the deal's previous report date; null if none."),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("payload", JSONB, nullable=False, comment="The webhook body (seed 000 format)."),
    sa.Column("deliveries", JSONB, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("event_id", name="pk_compliance_events"),
    sa.UniqueConstraint("tenant_id", "partition_key", "test_id", "event", name="uq_compliance_events_once"),
    sa.Index("ix_compliance_events_workbook", "tenant_id", "workbook_id"),
    schema="ops",
    comment="compliance.failed / compliance.warning events emitted when a test's status changes.",
)
