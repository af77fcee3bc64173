"""The CLO workbooks domain's warehouse tables (raw: the workbook and its cells; analytics: holdings and findings).

One landed workbook is one partition of `clo_files`; all seven tables are replaced per (tenant, partition) in one
`warehouse.replace_partitions` transaction. A workbook that fails on its first run keeps only a `failed`
`raw.clo_workbooks` row; one that fails on a re-run keeps its last good rows and records `last_error_*`.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orchestration.core.metadata import metadata, partition_columns

HOLDING_TERMS: tuple[tuple[str, sa.types.TypeEngine, bool, str], ...] = (
    ("seniority", sa.Text(), True, "senior_secured | second_lien | senior_unsecured | subordinated; null = blank."),
    ("purchase_price", sa.Numeric(), True, "Price paid at acquisition, percent of par (87.5)."),
    ("unfunded_amount", sa.Numeric(), True, "Undrawn commitment of a revolver / delayed draw, USD; null = blank (0)."),
    ("is_cov_lite", sa.Boolean(), False, "Covenant-lite; a blank cell is false."),
    ("is_dip", sa.Boolean(), False, "Debtor-in-possession loan; a blank cell is false."),
    ("is_current_pay", sa.Boolean(), False, "Current-pay obligation; a blank cell is false."),
    ("is_participation", sa.Boolean(), False, "Held as a participation; a blank cell is false."),
    ("is_pik", sa.Boolean(), False, "PIK or deferrable; a blank cell is false."),
    ("moodys_watch", sa.Text(), True, "Moody's review: negative | positive; null when not on review."),
)
"""The holding terms of issue 21 (C14, `mapping.terms`) as (column, type, nullable, comment): migration 0014."""

SOURCE_CELLS = "Field -> {cell: 'Holdings!C17', column, transform} of the original value; null before 0018."

workbooks = sa.Table(
    "clo_workbooks",
    metadata,
    *partition_columns(),
    sa.Column("workbook_id", sa.Text, nullable=False, comment="uuid5 of tenant and sha256 (orchestration.core.ids)."),
    sa.Column("name", sa.Text, nullable=False, comment="Sidecar name, else the file name."),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, comment="pending | processing | processed | failed"),
    sa.Column("error_code", sa.Text, comment="Typed error of a failed workbook, e.g. WORKBOOK_INVALID_FORMAT."),
    sa.Column("error_message", sa.Text),
    sa.Column("file_size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("report_date", sa.Date, comment="Sidecar metadata.report_date, an 'As of' cell, or the landing date."),
    sa.Column("report_date_source", sa.Text, comment="sidecar | workbook | landed_at"),
    sa.Column("source", sa.Text, comment="Sidecar metadata.source (Bloomberg, trustee, …)."),
    sa.Column("mapping_profile_id", sa.Text, comment="Profile used; null when auto-detected."),
    sa.Column("mapping_profile_version", sa.Text, comment="sha256 of the profile's definition; null if auto-detected."),
    sa.Column("tags", JSONB, nullable=False),
    sa.Column("metadata", JSONB, nullable=False, comment="Sidecar metadata (user-provided)."),
    sa.Column("sidecar", JSONB, comment="The whole <file>.meta.json, incl. compliance_profile and deal."),
    sa.Column("sheets", JSONB, nullable=False, comment="Every sheet: name, row_count, column_count, hidden."),
    sa.Column("processing_stats", JSONB, nullable=False, comment="Timings, formula counts, rows read/kept."),
    sa.Column("data_quality_score", sa.Numeric(5, 2), comment="Overall data-quality score 0-100."),
    sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True)),
    sa.Column("last_error_code", sa.Text, comment="Typed error of the latest failed re-run of a processed workbook."),
    sa.Column(
        "last_error_message", sa.Text, comment="Its human message; the workbook's rows are still the last good version."
    ),
    sa.Column(
        "last_failed_at", sa.DateTime(timezone=True), comment="When that re-run failed; null once a run succeeds again."
    ),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", name="pk_clo_workbooks"),
    sa.Index("ix_clo_workbooks_id", "workbook_id"),
    sa.Index("ix_clo_workbooks_tenant_date", "tenant_id", "report_date"),
    schema="raw",
    comment="One row per landed CLO workbook (seed 000 Workbook), including failed ones.",
)

sheet_rows = sa.Table(
    "clo_sheet_rows",
    metadata,
    *partition_columns(),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("sheet_name", sa.Text, nullable=False),
    sa.Column("row_index", sa.Integer, nullable=False, comment="Excel row number (1-based)."),
    sa.Column("cells", JSONB, nullable=False, comment="Cell values of the row, formulas resolved."),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", "sheet_name", "row_index", name="pk_clo_sheet_rows"),
    sa.Index("ix_clo_sheet_rows_workbook", "workbook_id", "sheet_name", "row_index"),
    schema="raw",
    comment="Every sheet's cell values, one JSON row per non-empty row.",
)

holdings = sa.Table(
    "clo_holdings",
    metadata,
    *partition_columns(),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("holding_id", sa.Text, nullable=False, comment="uuid5 of workbook, sheet and row."),
    sa.Column("sheet", sa.Text, nullable=False),
    sa.Column("row_index", sa.Integer, nullable=False, comment="Excel row number of the source row."),
    sa.Column("cusip", sa.Text),
    sa.Column("isin", sa.Text),
    sa.Column("issuer_name", sa.Text),
    sa.Column("par_amount", sa.Numeric),
    sa.Column("market_value", sa.Numeric),
    sa.Column("price", sa.Numeric, comment="Percent of par (98.5)."),
    sa.Column("spread", sa.Numeric, comment="Basis points."),
    sa.Column("coupon", sa.Numeric, comment="Percent."),
    sa.Column("accrued_interest", sa.Numeric),
    sa.Column("rating_moodys", sa.Text, comment="Canonical Moody's token (Baa3) or null."),
    sa.Column("rating_sp", sa.Text, comment="Canonical S&P token (BBB-) or null."),
    sa.Column("rating_fitch", sa.Text, comment="Canonical Fitch token (BBB-) or null."),
    sa.Column("maturity_date", sa.Date),
    sa.Column("industry", sa.Text),
    sa.Column("country", sa.Text, comment="ISO-2 when recognisable, else as given."),
    sa.Column("currency", sa.Text),
    sa.Column("is_defaulted", sa.Boolean, nullable=False),
    sa.Column("asset_type", sa.Text, comment="loan | revolver | delayed_draw | bond; null = blank (mapping.terms)."),
    sa.Column("raw_data", JSONB, nullable=False, comment="The original row: header → value."),
    sa.Column("cusip_valid", sa.Boolean, comment="CUSIP check digit holds; null without a CUSIP."),
    sa.Column("isin_valid", sa.Boolean, comment="ISIN Luhn check holds; null without an ISIN."),
    sa.Column("loanx_id", sa.Text, comment="Markit LoanX ID (LX + six digits), upper case."),
    sa.Column("figi", sa.Text, comment="OpenFIGI identifier (BBG…), upper case."),
    sa.Column("asset_id", sa.Text, comment="The administrator's or trustee's own asset id, trimmed, upper case."),
    sa.Column("figi_valid", sa.Boolean, comment="FIGI shape and check digit hold; null without a FIGI."),
    *(
        sa.Column(name, kind, nullable=nullable, server_default=None if nullable else sa.false(), comment=comment)
        for name, kind, nullable, comment in HOLDING_TERMS
    ),
    sa.Column("source_cells", JSONB, comment=SOURCE_CELLS),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", "holding_id", name="pk_clo_holdings"),
    sa.Index("ix_clo_holdings_workbook", "workbook_id", "row_index"),
    sa.Index("ix_clo_holdings_cusip", "tenant_id", "cusip"),
    schema="analytics",
    comment="Canonical holdings of each workbook (seed 000 Holding); invalid identifiers flagged, never dropped.",
)

mapping_diagnostics = sa.Table(
    "clo_mapping_diagnostics",
    metadata,
    *partition_columns(),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("sheet", sa.Text, nullable=False, comment="The holdings sheet."),
    sa.Column("header_row", sa.Integer, nullable=False, comment="Excel row number of the header."),
    sa.Column("profile_id", sa.Text),
    sa.Column("mode", sa.Text, nullable=False, comment="profile | auto_detect"),
    sa.Column("detected_mappings", JSONB, nullable=False, comment="field → source column, confidence, samples."),
    sa.Column("unmapped_columns", JSONB, nullable=False),
    sa.Column("unmapped_target_fields", JSONB, nullable=False),
    sa.Column("validation_failures", JSONB, nullable=False, comment="Per field and rule: count, rows, samples."),
    sa.Column("column_types", JSONB, nullable=False, comment="Source column → inferred type."),
    sa.Column("schema_drift", JSONB, nullable=False, comment="Against the previous workbook (tenant, profile)."),
    sa.Column("skipped_rows", JSONB, nullable=False),
    sa.Column("normalisations", JSONB, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", name="pk_clo_mapping_diagnostics"),
    sa.Index("ix_clo_mapping_diagnostics_workbook", "workbook_id"),
    schema="analytics",
    comment="How each workbook's columns were mapped, what was not, and its schema drift.",
)

data_quality = sa.Table(
    "clo_data_quality",
    metadata,
    *partition_columns(),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("overall_score", sa.Numeric(5, 2), nullable=False),
    sa.Column("completeness", sa.Numeric(5, 2), nullable=False),
    sa.Column("accuracy", sa.Numeric(5, 2), nullable=False),
    sa.Column("consistency", sa.Numeric(5, 2), nullable=False),
    sa.Column("timeliness", sa.Numeric(5, 2), nullable=False),
    sa.Column("uniqueness", sa.Numeric(5, 2), nullable=False),
    sa.Column("issues", sa.Integer, nullable=False, comment="Findings across the dimensions."),
    sa.Column("details", JSONB, nullable=False, comment="Per dimension: checks, passed, total, findings."),
    sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", name="pk_clo_data_quality"),
    sa.Index("ix_clo_data_quality_workbook", "workbook_id"),
    schema="analytics",
    comment="Five data-quality dimensions (docs/clo.md) and the overall 0-100 score per workbook.",
)

anomalies = sa.Table(
    "clo_anomalies",
    metadata,
    *partition_columns(),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("anomaly_id", sa.Text, nullable=False),
    sa.Column("holding_id", sa.Text, nullable=False),
    sa.Column("field", sa.Text, nullable=False),
    sa.Column("cusip", sa.Text),
    sa.Column("issuer_name", sa.Text),
    sa.Column("value", sa.Numeric, nullable=False),
    sa.Column("mean", sa.Numeric, nullable=False),
    sa.Column("std", sa.Numeric, nullable=False, comment="Population standard deviation of the field."),
    sa.Column("z_score", sa.Numeric, nullable=False),
    sa.Column("expected_low", sa.Numeric, nullable=False, comment="mean - threshold × std"),
    sa.Column("expected_high", sa.Numeric, nullable=False, comment="mean + threshold × std"),
    sa.Column("threshold", sa.Numeric, nullable=False),
    sa.Column("detection_method", sa.Text, nullable=False),
    sa.Column("severity", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", "anomaly_id", name="pk_clo_anomalies"),
    sa.Index("ix_clo_anomalies_workbook", "workbook_id"),
    schema="analytics",
    comment="Z-score anomalies per numeric holding field.",
)

insights = sa.Table(
    "clo_insights",
    metadata,
    *partition_columns(),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("insight_id", sa.Text, nullable=False),
    sa.Column("type", sa.Text, nullable=False, comment="anomaly | pattern | trend | correlation"),
    sa.Column("severity", sa.Text, nullable=False, comment="info | warning | critical"),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("affected_positions", JSONB, nullable=False, comment="CUSIPs (or ISINs / holding ids)."),
    sa.Column("data", JSONB, nullable=False, comment="Supporting data (trend_data, correlation, …)."),
    sa.Column("recommendation", sa.Text),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", "insight_id", name="pk_clo_insights"),
    sa.Index("ix_clo_insights_id", "insight_id"),
    sa.Index("ix_clo_insights_workbook", "workbook_id", "type"),
    schema="analytics",
    comment="Insights per workbook (seed 000 Insight): anomalies, patterns, trends, correlations.",
)
