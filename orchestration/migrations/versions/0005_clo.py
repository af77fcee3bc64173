"""clo workbooks: workbooks, sheet rows, holdings, mapping diagnostics, data quality, anomalies, insights

Revision ID: 0005_clo
Revises: 0004
Create Date: 2026-11-22 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_clo"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clo_workbooks",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column(
            "workbook_id", sa.Text(), nullable=False, comment="uuid5 of tenant and sha256 (orchestration.core.ids)."
        ),
        sa.Column("name", sa.Text(), nullable=False, comment="Sidecar name, else the file name."),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False, comment="pending | processing | processed | failed"),
        sa.Column(
            "error_code",
            sa.Text(),
            nullable=True,
            comment="Typed error of a failed workbook, e.g. WORKBOOK_INVALID_FORMAT.",
        ),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("file_size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column(
            "report_date",
            sa.Date(),
            nullable=True,
            comment="Sidecar metadata.report_date, an 'As of' cell, or the landing date.",
        ),
        sa.Column("report_date_source", sa.Text(), nullable=True, comment="sidecar | workbook | landed_at"),
        sa.Column("source", sa.Text(), nullable=True, comment="Sidecar metadata.source (Bloomberg, trustee, …)."),
        sa.Column("mapping_profile_id", sa.Text(), nullable=True, comment="Profile used; null when auto-detected."),
        sa.Column("tags", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "metadata",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="Sidecar metadata (user-provided).",
        ),
        sa.Column(
            "sidecar",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=True,
            comment="The whole <file>.meta.json, incl. compliance_profile and deal.",
        ),
        sa.Column(
            "sheets",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="Every sheet: name, row_count, column_count, hidden.",
        ),
        sa.Column(
            "processing_stats",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="Timings, formula counts, rows read/kept.",
        ),
        sa.Column(
            "data_quality_score",
            sa.Numeric(precision=5, scale=2),
            nullable=True,
            comment="Overall data-quality score 0-100.",
        ),
        sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", name="pk_clo_workbooks"),
        schema="raw",
        comment="One row per landed CLO workbook (seed 000 Workbook), including failed ones.",
    )
    op.create_index("ix_clo_workbooks_id", "clo_workbooks", ["workbook_id"], unique=False, schema="raw")
    op.create_index(
        "ix_clo_workbooks_tenant_date", "clo_workbooks", ["tenant_id", "report_date"], unique=False, schema="raw"
    )
    op.create_table(
        "clo_sheet_rows",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("workbook_id", sa.Text(), nullable=False),
        sa.Column("sheet_name", sa.Text(), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False, comment="Excel row number (1-based)."),
        sa.Column(
            "cells",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="Cell values of the row, formulas resolved.",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", "sheet_name", "row_index", name="pk_clo_sheet_rows"),
        schema="raw",
        comment="Every sheet's cell values, one JSON row per non-empty row.",
    )
    op.create_index(
        "ix_clo_sheet_rows_workbook",
        "clo_sheet_rows",
        ["workbook_id", "sheet_name", "row_index"],
        unique=False,
        schema="raw",
    )
    op.create_table(
        "clo_holdings",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("workbook_id", sa.Text(), nullable=False),
        sa.Column("holding_id", sa.Text(), nullable=False, comment="uuid5 of workbook, sheet and row."),
        sa.Column("sheet", sa.Text(), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False, comment="Excel row number of the source row."),
        sa.Column("cusip", sa.Text(), nullable=True),
        sa.Column("isin", sa.Text(), nullable=True),
        sa.Column("issuer_name", sa.Text(), nullable=True),
        sa.Column("par_amount", sa.Numeric(), nullable=True),
        sa.Column("market_value", sa.Numeric(), nullable=True),
        sa.Column("price", sa.Numeric(), nullable=True, comment="Percent of par (98.5)."),
        sa.Column("spread", sa.Numeric(), nullable=True, comment="Basis points."),
        sa.Column("coupon", sa.Numeric(), nullable=True, comment="Percent."),
        sa.Column("accrued_interest", sa.Numeric(), nullable=True),
        sa.Column("rating_moodys", sa.Text(), nullable=True, comment="Canonical Moody's token (Baa3) or null."),
        sa.Column("rating_sp", sa.Text(), nullable=True, comment="Canonical S&P token (BBB-) or null."),
        sa.Column("rating_fitch", sa.Text(), nullable=True, comment="Canonical Fitch token (BBB-) or null."),
        sa.Column("maturity_date", sa.Date(), nullable=True),
        sa.Column("industry", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True, comment="ISO-2 when recognisable, else as given."),
        sa.Column("currency", sa.Text(), nullable=True),
        sa.Column("is_defaulted", sa.Boolean(), nullable=False),
        sa.Column("asset_type", sa.Text(), nullable=True),
        sa.Column(
            "raw_data",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="The original row: header → value.",
        ),
        sa.Column("cusip_valid", sa.Boolean(), nullable=True, comment="CUSIP check digit holds; null without a CUSIP."),
        sa.Column("isin_valid", sa.Boolean(), nullable=True, comment="ISIN Luhn check holds; null without an ISIN."),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", "holding_id", name="pk_clo_holdings"),
        schema="analytics",
        comment="Canonical holdings of each workbook (seed 000 Holding); invalid identifiers flagged, never dropped.",
    )
    op.create_index("ix_clo_holdings_cusip", "clo_holdings", ["tenant_id", "cusip"], unique=False, schema="analytics")
    op.create_index(
        "ix_clo_holdings_workbook", "clo_holdings", ["workbook_id", "row_index"], unique=False, schema="analytics"
    )
    op.create_table(
        "clo_mapping_diagnostics",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("workbook_id", sa.Text(), nullable=False),
        sa.Column("sheet", sa.Text(), nullable=False, comment="The holdings sheet."),
        sa.Column("header_row", sa.Integer(), nullable=False, comment="Excel row number of the header."),
        sa.Column("profile_id", sa.Text(), nullable=True),
        sa.Column("mode", sa.Text(), nullable=False, comment="profile | auto_detect"),
        sa.Column(
            "detected_mappings",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="field → source column, confidence, samples.",
        ),
        sa.Column("unmapped_columns", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("unmapped_target_fields", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "validation_failures",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="Per field and rule: count, rows, samples.",
        ),
        sa.Column(
            "column_types",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="Source column → inferred type.",
        ),
        sa.Column(
            "schema_drift",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="Against the previous workbook (tenant, profile).",
        ),
        sa.Column("skipped_rows", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("normalisations", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", name="pk_clo_mapping_diagnostics"),
        schema="analytics",
        comment="How each workbook's columns were mapped, what was not, and its schema drift.",
    )
    op.create_index(
        "ix_clo_mapping_diagnostics_workbook",
        "clo_mapping_diagnostics",
        ["workbook_id"],
        unique=False,
        schema="analytics",
    )
    op.create_table(
        "clo_data_quality",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("workbook_id", sa.Text(), nullable=False),
        sa.Column("overall_score", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("completeness", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("accuracy", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("consistency", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("timeliness", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("uniqueness", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("issues", sa.Integer(), nullable=False, comment="Findings across the dimensions."),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="Per dimension: checks, passed, total, findings.",
        ),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", name="pk_clo_data_quality"),
        schema="analytics",
        comment="Five data-quality dimensions (docs/clo.md) and the overall 0-100 score per workbook.",
    )
    op.create_index(
        "ix_clo_data_quality_workbook", "clo_data_quality", ["workbook_id"], unique=False, schema="analytics"
    )
    op.create_table(
        "clo_anomalies",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("workbook_id", sa.Text(), nullable=False),
        sa.Column("anomaly_id", sa.Text(), nullable=False),
        sa.Column("holding_id", sa.Text(), nullable=False),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("cusip", sa.Text(), nullable=True),
        sa.Column("issuer_name", sa.Text(), nullable=True),
        sa.Column("value", sa.Numeric(), nullable=False),
        sa.Column("mean", sa.Numeric(), nullable=False),
        sa.Column("std", sa.Numeric(), nullable=False, comment="Population standard deviation of the field."),
        sa.Column("z_score", sa.Numeric(), nullable=False),
        sa.Column("expected_low", sa.Numeric(), nullable=False, comment="mean - threshold × std"),
        sa.Column("expected_high", sa.Numeric(), nullable=False, comment="mean + threshold × std"),
        sa.Column("threshold", sa.Numeric(), nullable=False),
        sa.Column("detection_method", sa.Text(), nullable=False),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", "anomaly_id", name="pk_clo_anomalies"),
        schema="analytics",
        comment="Z-score anomalies per numeric holding field.",
    )
    op.create_index("ix_clo_anomalies_workbook", "clo_anomalies", ["workbook_id"], unique=False, schema="analytics")
    op.create_table(
        "clo_insights",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("workbook_id", sa.Text(), nullable=False),
        sa.Column("insight_id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False, comment="anomaly | pattern | trend | correlation"),
        sa.Column("severity", sa.Text(), nullable=False, comment="info | warning | critical"),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "affected_positions",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="CUSIPs (or ISINs / holding ids).",
        ),
        sa.Column(
            "data",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="Supporting data (trend_data, correlation, …).",
        ),
        sa.Column("recommendation", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", "insight_id", name="pk_clo_insights"),
        schema="analytics",
        comment="Insights per workbook (seed 000 Insight): anomalies, patterns, trends, correlations.",
    )
    op.create_index("ix_clo_insights_id", "clo_insights", ["insight_id"], unique=False, schema="analytics")
    op.create_index(
        "ix_clo_insights_workbook", "clo_insights", ["workbook_id", "type"], unique=False, schema="analytics"
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_index("ix_clo_insights_workbook", table_name="clo_insights", schema="analytics")
    op.drop_index("ix_clo_insights_id", table_name="clo_insights", schema="analytics")
    op.drop_table("clo_insights", schema="analytics")
    op.drop_index("ix_clo_anomalies_workbook", table_name="clo_anomalies", schema="analytics")
    op.drop_table("clo_anomalies", schema="analytics")
    op.drop_index("ix_clo_data_quality_workbook", table_name="clo_data_quality", schema="analytics")
    op.drop_table("clo_data_quality", schema="analytics")
    op.drop_index("ix_clo_mapping_diagnostics_workbook", table_name="clo_mapping_diagnostics", schema="analytics")
    op.drop_table("clo_mapping_diagnostics", schema="analytics")
    op.drop_index("ix_clo_holdings_workbook", table_name="clo_holdings", schema="analytics")
    op.drop_index("ix_clo_holdings_cusip", table_name="clo_holdings", schema="analytics")
    op.drop_table("clo_holdings", schema="analytics")
    op.drop_index("ix_clo_sheet_rows_workbook", table_name="clo_sheet_rows", schema="raw")
    op.drop_table("clo_sheet_rows", schema="raw")
    op.drop_index("ix_clo_workbooks_tenant_date", table_name="clo_workbooks", schema="raw")
    op.drop_index("ix_clo_workbooks_id", table_name="clo_workbooks", schema="raw")
    op.drop_table("clo_workbooks", schema="raw")
    # ### end Alembic commands ###
