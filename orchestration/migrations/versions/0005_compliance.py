"""clo compliance: test results, intermediates, per-holding fields, scenarios, alert history, events

Revision ID: 0005_compliance
Revises: 0004
Create Date: 2026-11-22 18:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_compliance"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clo_compliance_results",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("workbook_id", sa.Text(), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False, comment="The deal's as-of date for this workbook."),
        sa.Column("deal_id", sa.Text(), nullable=False, comment="Deal name/id, else the workbook name."),
        sa.Column("test_id", sa.Text(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False, comment="Position of the test in the deal's list."),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("direction", sa.Text(), nullable=False, comment="min | max"),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False, comment="passed | warning | failed (on the unrounded value)"),
        sa.Column(
            "current_value",
            sa.Numeric(),
            nullable=True,
            comment="Rounded once to 4 decimals half-up; null when undefined.",
        ),
        sa.Column("trigger_level", sa.Numeric(), nullable=False),
        sa.Column("target_level", sa.Numeric(), nullable=False),
        sa.Column("cushion", sa.Numeric(), nullable=True),
        sa.Column("cushion_pct", sa.Numeric(), nullable=True),
        sa.Column("trend", sa.Text(), nullable=False, comment="improving | stable | deteriorating (last three values)"),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", "test_id", name="pk_clo_compliance_results"),
        schema="analytics",
        comment="One row per compliance test per workbook (issue 4 conventions).",
    )
    op.create_index(
        "ix_clo_compliance_results_deal",
        "clo_compliance_results",
        ["tenant_id", "deal_id", "test_id", "report_date"],
        unique=False,
        schema="analytics",
    )
    op.create_index(
        "ix_clo_compliance_results_workbook",
        "clo_compliance_results",
        ["workbook_id", "sort_order"],
        unique=False,
        schema="analytics",
    )
    op.create_table(
        "clo_compliance_metrics",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("workbook_id", sa.Text(), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("deal_id", sa.Text(), nullable=False),
        sa.Column(
            "summary",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="total_tests, passed, failed, warning.",
        ),
        sa.Column(
            "metrics",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="Every intermediate, rounded once to 4 decimals.",
        ),
        sa.Column(
            "deal",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="The merged deal inputs used and where they came from.",
        ),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", name="pk_clo_compliance_metrics"),
        schema="analytics",
        comment="All compliance intermediates of each workbook (served by /workbooks/{id}/metrics).",
    )
    op.create_index(
        "ix_clo_compliance_metrics_workbook",
        "clo_compliance_metrics",
        ["workbook_id"],
        unique=False,
        schema="analytics",
    )
    op.create_table(
        "clo_holding_compliance",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("workbook_id", sa.Text(), nullable=False),
        sa.Column("holding_id", sa.Text(), nullable=False),
        sa.Column("effective_rating", sa.Text(), nullable=False, comment="Effective Moody's rating (convention 3)."),
        sa.Column("rating_source", sa.Text(), nullable=False, comment="moodys | sp | fitch | default"),
        sa.Column("rating_factor", sa.Numeric(), nullable=False),
        sa.Column("in_ccc_bucket", sa.Boolean(), nullable=False),
        sa.Column("years_to_maturity", sa.Numeric(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", "holding_id", name="pk_clo_holding_compliance"),
        schema="analytics",
        comment="Per-holding compliance fields, joined into the CLO holdings API.",
    )
    op.create_index(
        "ix_clo_holding_compliance_workbook",
        "clo_holding_compliance",
        ["workbook_id"],
        unique=False,
        schema="analytics",
    )
    op.create_table(
        "clo_scenarios",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("scenario_id", sa.Text(), nullable=False, comment="uuid5 of tenant, workbook and scenario name."),
        sa.Column("version", sa.Integer(), nullable=False, comment="1, 2, … one per changed scenario file."),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("workbook_id", sa.Text(), nullable=True, comment="Null when the named workbook was not found."),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False, comment="calculated | failed"),
        sa.Column(
            "errors",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="Validation issues: field, message, code.",
        ),
        sa.Column(
            "document", postgresql.JSONB(astext_type=sa.Text()), nullable=False, comment="The scenario file as parsed."
        ),
        sa.Column(
            "comparison",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=True,
            comment="Seed comparison: metrics, compliance counts and changes.",
        ),
        sa.Column(
            "results",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=True,
            comment="Scenario tests and metrics, rounded once.",
        ),
        sa.Column("calculated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", name="pk_clo_scenarios"),
        schema="analytics",
        comment="What-if scenarios, one row per version (landed scenario file).",
    )
    op.create_index(
        "ix_clo_scenarios_id",
        "clo_scenarios",
        ["tenant_id", "scenario_id", "version"],
        unique=False,
        schema="analytics",
    )
    op.create_index(
        "ix_clo_scenarios_workbook", "clo_scenarios", ["tenant_id", "workbook_id"], unique=False, schema="analytics"
    )
    op.create_table(
        "clo_scenario_changes",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("scenario_id", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("order_index", sa.Integer(), nullable=False),
        sa.Column("change_type", sa.Text(), nullable=False),
        sa.Column("target_cusip", sa.Text(), nullable=True),
        sa.Column("change_data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("par_delta", sa.Numeric(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", "order_index", name="pk_clo_scenario_changes"),
        schema="analytics",
        comment="The trades (changes) of each scenario version, in order.",
    )
    op.create_index(
        "ix_clo_scenario_changes_scenario",
        "clo_scenario_changes",
        ["tenant_id", "scenario_id", "version"],
        unique=False,
        schema="analytics",
    )
    op.create_table(
        "alert_history",
        sa.Column("alert_event_id", sa.Text(), nullable=False, comment="uuid4 of the firing."),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("rule_id", sa.Text(), nullable=False),
        sa.Column("rule_name", sa.Text(), nullable=False),
        sa.Column("workbook_id", sa.Text(), nullable=False),
        sa.Column("partition_key", sa.Text(), nullable=False),
        sa.Column("deal_id", sa.Text(), nullable=False),
        sa.Column("metric", sa.Text(), nullable=False),
        sa.Column("operator", sa.Text(), nullable=False),
        sa.Column("threshold", sa.Numeric(), nullable=False),
        sa.Column("value", sa.Numeric(), nullable=True),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column(
            "deliveries",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="Per channel: status, attempts, http_status, error.",
        ),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("alert_event_id", name="pk_alert_history"),
        schema="ops",
        comment="Every alert firing (cooldowns honoured) and how each channel was delivered.",
    )
    op.create_index(
        "ix_alert_history_rule",
        "alert_history",
        ["tenant_id", "rule_id", "deal_id", "fired_at"],
        unique=False,
        schema="ops",
    )
    op.create_index(
        "ix_alert_history_workbook", "alert_history", ["tenant_id", "workbook_id"], unique=False, schema="ops"
    )
    op.create_table(
        "compliance_events",
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False, comment="compliance.failed | compliance.warning"),
        sa.Column("workbook_id", sa.Text(), nullable=False),
        sa.Column("partition_key", sa.Text(), nullable=False),
        sa.Column("deal_id", sa.Text(), nullable=False),
        sa.Column("test_id", sa.Text(), nullable=False),
        sa.Column(
            "previous_status",
            sa.Text(),
            nullable=True,
            comment="Status on the deal's previous report date; null if none.",
        ),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column(
            "payload",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="The webhook body (seed 000 format).",
        ),
        sa.Column("deliveries", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("tenant_id", "partition_key", "test_id", "event", name="uq_compliance_events_once"),
        sa.PrimaryKeyConstraint("event_id", name="pk_compliance_events"),
        schema="ops",
        comment="compliance.failed / compliance.warning events emitted when a test's status changes.",
    )
    op.create_index(
        "ix_compliance_events_workbook", "compliance_events", ["tenant_id", "workbook_id"], unique=False, schema="ops"
    )


def downgrade() -> None:
    op.drop_index("ix_clo_compliance_results_deal", table_name="clo_compliance_results", schema="analytics")
    op.drop_index("ix_clo_compliance_results_workbook", table_name="clo_compliance_results", schema="analytics")
    op.drop_table("clo_compliance_results", schema="analytics")
    op.drop_index("ix_clo_compliance_metrics_workbook", table_name="clo_compliance_metrics", schema="analytics")
    op.drop_table("clo_compliance_metrics", schema="analytics")
    op.drop_index("ix_clo_holding_compliance_workbook", table_name="clo_holding_compliance", schema="analytics")
    op.drop_table("clo_holding_compliance", schema="analytics")
    op.drop_index("ix_clo_scenarios_id", table_name="clo_scenarios", schema="analytics")
    op.drop_index("ix_clo_scenarios_workbook", table_name="clo_scenarios", schema="analytics")
    op.drop_table("clo_scenarios", schema="analytics")
    op.drop_index("ix_clo_scenario_changes_scenario", table_name="clo_scenario_changes", schema="analytics")
    op.drop_table("clo_scenario_changes", schema="analytics")
    op.drop_index("ix_alert_history_rule", table_name="alert_history", schema="ops")
    op.drop_index("ix_alert_history_workbook", table_name="alert_history", schema="ops")
    op.drop_table("alert_history", schema="ops")
    op.drop_index("ix_compliance_events_workbook", table_name="compliance_events", schema="ops")
    op.drop_table("compliance_events", schema="ops")
