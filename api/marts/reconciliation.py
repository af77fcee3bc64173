"""The API's view of the reconciliation marts (dbt owns their DDL; these describe the columns for SQLAlchemy Core).

All four are views over the analytics tables and the variance history, so a landed resolution shows at once.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSON, JSONB

from api.marts._metadata import metadata

summaries = sa.Table(
    "reconciliation_summaries",
    metadata,
    sa.Column("reconciliation_key", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("partition_key", sa.Text, nullable=False),
    sa.Column("reconciliation_id", sa.Text, nullable=False),
    sa.Column("source_type", sa.Text, nullable=False),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("statement_file_name", sa.Text, nullable=False),
    sa.Column("report_date", sa.Date),
    sa.Column("executed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("tolerance_profile", sa.Text, nullable=False),
    sa.Column("matching_fields", JSONB, nullable=False),
    sa.Column("comparison_fields", JSONB, nullable=False),
    sa.Column("total_positions", sa.BigInteger, nullable=False),
    sa.Column("matched", sa.BigInteger, nullable=False),
    sa.Column("unmatched_internal", sa.BigInteger, nullable=False),
    sa.Column("unmatched_external", sa.BigInteger, nullable=False),
    sa.Column("with_variances", sa.BigInteger, nullable=False),
    sa.Column("within_tolerance", sa.BigInteger, nullable=False),
    sa.Column("auto_resolved", sa.BigInteger, nullable=False),
    sa.Column("requires_review", sa.BigInteger, nullable=False),
    sa.Column("reviewed", sa.BigInteger, nullable=False),
    sa.Column("variances", sa.BigInteger, nullable=False),
    sa.Column("variances_by_category", JSON, nullable=False),
    sa.Column("variances_by_status", JSON, nullable=False),
    schema="marts",
)

variances = sa.Table(
    "reconciliation_variances",
    metadata,
    sa.Column("variance_key", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("partition_key", sa.Text, nullable=False),
    sa.Column("reconciliation_id", sa.Text, nullable=False),
    sa.Column("variance_id", sa.Text, nullable=False),
    sa.Column("position_key", sa.Text, nullable=False),
    sa.Column("cusip", sa.Text),
    sa.Column("isin", sa.Text),
    sa.Column("issuer_name", sa.Text),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("field", sa.Text, nullable=False),
    sa.Column("internal_value", sa.Text),
    sa.Column("external_value", sa.Text),
    sa.Column("internal_number", sa.Numeric),
    sa.Column("external_number", sa.Numeric),
    sa.Column("difference", sa.Numeric),
    sa.Column("difference_pct", sa.Numeric),
    sa.Column("within_tolerance", sa.Boolean, nullable=False),
    sa.Column("needs_review", sa.Boolean, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("resolution_type", sa.Text),
    sa.Column("explanation", sa.Text),
    sa.Column("action", sa.Text),
    sa.Column("resolved_by", sa.Text),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.Column("auto_rule_id", sa.Text),
    sa.Column("rule_id", sa.Text),
    schema="marts",
)

positions = sa.Table(
    "reconciliation_positions",
    metadata,
    sa.Column("position_record_key", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("reconciliation_id", sa.Text, nullable=False),
    sa.Column("position_key", sa.Text, nullable=False),
    sa.Column("match_status", sa.Text, nullable=False),
    sa.Column("matched_on", sa.Text),
    sa.Column("cusip", sa.Text),
    sa.Column("isin", sa.Text),
    sa.Column("loanx_id", sa.Text),
    sa.Column("figi", sa.Text),
    sa.Column("asset_id", sa.Text),
    sa.Column("issuer_name", sa.Text),
    sa.Column("unmatched_side", sa.Text),
    sa.Column("unmatched_par", sa.Numeric),
    schema="marts",
)

history = sa.Table(
    "reconciliation_variance_history",
    metadata,
    sa.Column("event_key", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("reconciliation_id", sa.Text, nullable=False),
    sa.Column("variance_id", sa.Text, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("resolution_type", sa.Text),
    sa.Column("explanation", sa.Text),
    sa.Column("action", sa.Text),
    sa.Column("resolved_by", sa.Text),
    sa.Column("rule_id", sa.Text),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    schema="marts",
)
