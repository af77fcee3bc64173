"""The reports table (schema analytics): rendered files stored as bytea, one row per (workbook, template, format)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orchestration.core.metadata import metadata, partition_columns

reports = sa.Table(
    "clo_workbook_reports",
    metadata,
    *partition_columns(),
    sa.Column("report_id", sa.Text, nullable=False, comment="uuid5 of workbook, template and format."),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("template", sa.Text, nullable=False),
    sa.Column("format", sa.Text, nullable=False, comment="pdf | xlsx"),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("media_type", sa.Text, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False, comment="The rendered file."),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("sections", JSONB, nullable=False, comment="Sections rendered and whether each had data."),
    sa.Column("reconciliation_id", sa.Text, comment="The reconciliation shown, if any."),
    sa.Column("report_date", sa.Date),
    sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", "report_id", name="pk_clo_workbook_reports"),
    sa.Index("ix_clo_workbook_reports_workbook", "tenant_id", "workbook_id", "generated_at"),
    schema="analytics",
    comment="Rendered workbook reports (seed 000 Reports), one per workbook, template and format.",
)
