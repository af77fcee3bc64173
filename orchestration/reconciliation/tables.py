"""The reconciliation tables (schema analytics).

Reconciliations, positions and variances are replaced per statement partition (a trustee, Geneva or Bloomberg
file); `source_type` says which landing domain the partition belongs to. Variance history is append-only in
effect: each reconciliation partition writes the `opened` and auto-rule events of its own variances, each
resolutions partition writes the events of its applied rows, and nothing rewrites another partition's events.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orchestration.core.metadata import metadata, partition_columns

reconciliations = sa.Table(
    "reconciliations",
    metadata,
    *partition_columns(),
    sa.Column("reconciliation_id", sa.Text, nullable=False, comment="uuid5 of workbook and statement."),
    sa.Column("source_type", sa.Text, nullable=False, comment="trustee | geneva | bloomberg (the landing domain)."),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("workbook_partition_key", sa.Text, nullable=False, comment="clo_files partition of the workbook."),
    sa.Column("statement_file_name", sa.Text, nullable=False),
    sa.Column("statement_sha256", sa.Text, nullable=False),
    sa.Column("report_date", sa.Date, comment="Statement report date (sidecar or 'As of' cell)."),
    sa.Column("status", sa.Text, nullable=False, comment="completed (failed statements raise; no row)."),
    sa.Column("tolerance_profile", sa.Text, nullable=False),
    sa.Column("matching_fields", JSONB, nullable=False),
    sa.Column("comparison_fields", JSONB, nullable=False),
    sa.Column("summary", JSONB, nullable=False, comment="Seed 000 summary plus counts by category and status."),
    sa.Column("diagnostics", JSONB, nullable=False, comment="Statement mapping diagnostics, trades found."),
    sa.Column("statement_landed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("executed_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", "source_type", name="pk_reconciliations"),
    sa.Index("ix_reconciliations_workbook", "tenant_id", "workbook_id", "executed_at"),
    sa.Index("ix_reconciliations_id", "reconciliation_id"),
    schema="analytics",
    comment="One row per reconciled statement (seed 000 TrusteeReconciliation).",
)

positions = sa.Table(
    "reconciliation_positions",
    metadata,
    *partition_columns(),
    sa.Column("reconciliation_id", sa.Text, nullable=False),
    sa.Column("position_key", sa.Text, nullable=False, comment="Matching field and key, e.g. cusip:000361105."),
    sa.Column("match_status", sa.Text, nullable=False, comment="matched | unmatched_internal | unmatched_external"),
    sa.Column("matched_on", sa.Text, comment="The matching field that paired the position."),
    sa.Column("holding_id", sa.Text, comment="Internal holding (analytics.clo_holdings)."),
    sa.Column("external_row", sa.Integer, comment="Row of the position in the statement."),
    sa.Column("cusip", sa.Text),
    sa.Column("isin", sa.Text),
    sa.Column("issuer_name", sa.Text),
    sa.Column("internal_par", sa.Numeric),
    sa.Column("external_par", sa.Numeric),
    sa.Column("variance_count", sa.Integer, nullable=False),
    sa.Column(
        "review_status",
        sa.Text,
        nullable=False,
        comment="clean | within_tolerance | auto_resolved | requires_review | unmatched",
    ),
    sa.Column("loanx_id", sa.Text, comment="Markit LoanX ID: the internal holding's, else the statement's."),
    sa.Column("figi", sa.Text, comment="OpenFIGI identifier: the internal holding's, else the statement's."),
    sa.Column(
        "asset_id", sa.Text, comment="The administrator's asset id: the internal holding's, else the statement's."
    ),
    sa.Column("source_cells", JSONB, comment="Statement field -> {cell, column, transform}; null before 0018."),
    sa.PrimaryKeyConstraint(
        "tenant_id", "partition_key", "reconciliation_id", "position_key", name="pk_reconciliation_positions"
    ),
    sa.Index("ix_reconciliation_positions_recon", "reconciliation_id", "match_status"),
    schema="analytics",
    comment="Every position of a reconciliation, matched or unmatched on either side.",
)

variances = sa.Table(
    "reconciliation_variances",
    metadata,
    *partition_columns(),
    sa.Column("reconciliation_id", sa.Text, nullable=False),
    sa.Column("variance_id", sa.Text, nullable=False, comment="uuid5 of workbook, statement, position, category."),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("position_key", sa.Text, nullable=False),
    sa.Column("matched_on", sa.Text, nullable=False),
    sa.Column("holding_id", sa.Text),
    sa.Column("external_row", sa.Integer),
    sa.Column("cusip", sa.Text),
    sa.Column("isin", sa.Text),
    sa.Column("issuer_name", sa.Text),
    sa.Column("category", sa.Text, nullable=False, comment="par | price | rating | identity | accrued"),
    sa.Column("field", sa.Text, nullable=False, comment="Compared field (rating_moodys, market_value, …)."),
    sa.Column("internal_value", sa.Text),
    sa.Column("external_value", sa.Text),
    sa.Column("difference", sa.Numeric, comment="internal - external; notches for ratings."),
    sa.Column("difference_pct", sa.Numeric, comment="difference / |external| × 100."),
    sa.Column("within_tolerance", sa.Boolean, nullable=False),
    sa.Column("initial_status", sa.Text, nullable=False, comment="open, or resolved by an auto-rule."),
    sa.Column("resolution_type", sa.Text, comment="auto_resolved when a rule fired."),
    sa.Column("auto_rule_id", sa.Text, comment="The rule (auto_rules.yaml) that resolved it."),
    sa.Column("explanation", sa.Text),
    sa.Column("action", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", "variance_id", name="pk_reconciliation_variances"),
    sa.Index("ix_reconciliation_variances_recon", "reconciliation_id", "variance_id"),
    sa.Index("ix_reconciliation_variances_id", "tenant_id", "variance_id"),
    schema="analytics",
    comment="Variances of each reconciliation (seed 000 Variance); current status is in the event history.",
)

variance_events = sa.Table(
    "reconciliation_variance_events",
    metadata,
    *partition_columns(),
    sa.Column("event_id", sa.Text, nullable=False, comment="uuid5 of the writing partition and seq."),
    sa.Column("variance_id", sa.Text, nullable=False),
    sa.Column("reconciliation_id", sa.Text, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False, comment="Order within the writing partition."),
    sa.Column("status", sa.Text, nullable=False, comment="open | explained | resolved | ignored"),
    sa.Column("resolution_type", sa.Text, comment="explained | corrected | auto_resolved"),
    sa.Column("explanation", sa.Text),
    sa.Column("action", sa.Text),
    sa.Column("resolved_by", sa.Text, comment="User from the resolutions file, or auto:<rule id>."),
    sa.Column("rule_id", sa.Text),
    sa.Column("source", sa.Text, nullable=False, comment="reconciliation | auto_rule | resolution_file"),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, comment="Landing time of the file."),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", "event_id", name="pk_reconciliation_variance_events"),
    sa.Index("ix_reconciliation_variance_events_variance", "tenant_id", "variance_id", "recorded_at", "seq"),
    schema="analytics",
    comment="Append-only variance history; the latest event per variance is its current status.",
)

resolutions = sa.Table(
    "reconciliation_resolutions",
    metadata,
    *partition_columns(),
    sa.Column("row_index", sa.Integer, nullable=False, comment="0-based row of the resolutions file."),
    sa.Column("variance_id", sa.Text, comment="As given in the file."),
    sa.Column("resolution_type", sa.Text),
    sa.Column("explanation", sa.Text),
    sa.Column("action", sa.Text),
    sa.Column("resolved_by", sa.Text),
    sa.Column("requested_status", sa.Text, comment="Optional explicit status (e.g. ignored)."),
    sa.Column("outcome", sa.Text, nullable=False, comment="applied | rejected"),
    sa.Column("rejection_reason", sa.Text),
    sa.Column("reconciliation_id", sa.Text),
    sa.Column("status", sa.Text, comment="Status the variance moved to (applied rows)."),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", "row_index", name="pk_reconciliation_resolutions"),
    schema="analytics",
    comment="Every row of every landed resolutions file, applied or rejected with its reason.",
)
