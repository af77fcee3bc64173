"""The API's view of the CLO marts (dbt owns their DDL; these describe the columns for SQLAlchemy Core).

Anomalies, data quality and sheet rows are read from the tables the Python assets write (no mart adds value).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orchestration.clo.tables import anomalies, data_quality, sheet_rows

metadata = sa.MetaData()

CCC_PAR_PCT_DESCRIPTION = (
    "CCC par as a percent of total par: holdings whose effective rating (Moody's, else S&P, else Fitch, else "
    "Caa3) is Caa1 or lower, not defaulted. The CCC bucket test (`ccc_bucket` in /compliance) divides the "
    "same CCC par by the collateral principal amount (performing par plus principal cash) instead."
)
"""One description for `ccc_par_pct` wherever a route serves it."""

workbooks = sa.Table(
    "clo_workbooks",
    metadata,
    sa.Column("workbook_key", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("partition_key", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("error_code", sa.Text),
    sa.Column("error_message", sa.Text),
    sa.Column("file_size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("report_date", sa.Date),
    sa.Column("report_date_source", sa.Text),
    sa.Column("source", sa.Text),
    sa.Column("mapping_profile_id", sa.Text),
    sa.Column("tags", JSONB),
    sa.Column("metadata", JSONB),
    sa.Column("deal_name", sa.Text),
    sa.Column("compliance_profile", sa.Text),
    sa.Column("sheets", JSONB),
    sa.Column("processing_stats", JSONB),
    sa.Column("data_quality_score", sa.Numeric),
    sa.Column("holding_count", sa.BigInteger),
    sa.Column("total_par", sa.Numeric),
    sa.Column("total_mv", sa.Numeric),
    sa.Column("ccc_par_pct", sa.Numeric),
    sa.Column("defaulted_pct", sa.Numeric),
    sa.Column("wa_spread", sa.Numeric),
    sa.Column("wa_price", sa.Numeric),
    sa.Column("data_quality_issues", sa.Integer),
    sa.Column("anomaly_count", sa.BigInteger),
    sa.Column("insight_count", sa.BigInteger),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    schema="marts",
)

holdings = sa.Table(
    "clo_holdings",
    metadata,
    sa.Column("holding_key", sa.Text, primary_key=True),
    sa.Column("workbook_key", sa.Text, nullable=False),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("partition_key", sa.Text, nullable=False),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("holding_id", sa.Text, nullable=False),
    sa.Column("sheet", sa.Text, nullable=False),
    sa.Column("row_index", sa.Integer, nullable=False),
    sa.Column("cusip", sa.Text),
    sa.Column("isin", sa.Text),
    sa.Column("issuer_name", sa.Text),
    sa.Column("par_amount", sa.Numeric),
    sa.Column("market_value", sa.Numeric),
    sa.Column("price", sa.Numeric),
    sa.Column("spread", sa.Numeric),
    sa.Column("coupon", sa.Numeric),
    sa.Column("accrued_interest", sa.Numeric),
    sa.Column("rating_moodys", sa.Text),
    sa.Column("rating_sp", sa.Text),
    sa.Column("rating_fitch", sa.Text),
    sa.Column("maturity_date", sa.Date),
    sa.Column("industry", sa.Text),
    sa.Column("country", sa.Text),
    sa.Column("currency", sa.Text),
    sa.Column("is_defaulted", sa.Boolean),
    sa.Column("asset_type", sa.Text),
    sa.Column("raw_data", JSONB),
    sa.Column("cusip_valid", sa.Boolean),
    sa.Column("isin_valid", sa.Boolean),
    sa.Column("is_ccc", sa.Boolean),
    sa.Column("report_date", sa.Date),
    schema="marts",
)

insights = sa.Table(
    "clo_insights",
    metadata,
    sa.Column("insight_key", sa.Text, primary_key=True),
    sa.Column("workbook_key", sa.Text, nullable=False),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("insight_id", sa.Text, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("severity", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("affected_positions", JSONB),
    sa.Column("data", JSONB),
    sa.Column("recommendation", sa.Text),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("report_date", sa.Date),
    sa.Column("workbook_name", sa.Text),
    schema="marts",
)

diagnostics = sa.Table(
    "clo_mapping_diagnostics",
    metadata,
    sa.Column("workbook_key", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("sheet", sa.Text, nullable=False),
    sa.Column("header_row", sa.Integer, nullable=False),
    sa.Column("profile_id", sa.Text),
    sa.Column("mode", sa.Text, nullable=False),
    sa.Column("detected_mappings", JSONB),
    sa.Column("unmapped_columns", JSONB),
    sa.Column("unmapped_target_fields", JSONB),
    sa.Column("validation_failures", JSONB),
    sa.Column("column_types", JSONB),
    sa.Column("schema_drift", JSONB),
    sa.Column("skipped_rows", JSONB),
    sa.Column("normalisations", JSONB),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    schema="marts",
)

__all__ = ["anomalies", "data_quality", "diagnostics", "holdings", "insights", "sheet_rows", "workbooks"]
