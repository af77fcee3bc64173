"""The API's view of the provenance marts (issue 18; `dbt_project/models/marts/provenance/`, all views).

Lineage per written (table, tenant, partition), the dbt models as last built, the cells holdings and statement
positions were read from, and the keys that take a variance or an equity figure to its partitions.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from api.marts._metadata import metadata

lineage = sa.Table(
    "provenance_lineage",
    metadata,
    sa.Column("lineage_key", sa.Text, primary_key=True),
    sa.Column("table_name", sa.Text, nullable=False),
    sa.Column("tenant_id", sa.Text, nullable=False, comment="'*' for a partition shared by every tenant."),
    sa.Column("partition_key", sa.Text, nullable=False),
    sa.Column("asset_key", sa.Text, nullable=False),
    sa.Column("run_id", sa.Text),
    sa.Column("code_version", sa.Text),
    sa.Column("data_version", sa.Text),
    sa.Column("sources", JSONB, nullable=False),
    sa.Column("inputs", JSONB, nullable=False),
    sa.Column("conventions", JSONB, nullable=False),
    sa.Column("materialized_at", sa.DateTime(timezone=True), nullable=False),
    schema="marts",
)

dbt_models = sa.Table(
    "provenance_dbt_models",
    metadata,
    sa.Column("unique_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("relation", sa.Text, nullable=False),
    sa.Column("checksum", sa.Text, nullable=False),
    sa.Column("materialized", sa.Text, nullable=False),
    sa.Column("depends_on", JSONB, nullable=False),
    sa.Column("run_id", sa.Text),
    sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
    schema="marts",
)

holding_cells = sa.Table(
    "provenance_holding_cells",
    metadata,
    sa.Column("holding_cells_key", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("partition_key", sa.Text, nullable=False),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("holding_id", sa.Text, nullable=False),
    sa.Column("sheet", sa.Text, nullable=False),
    sa.Column("row_index", sa.Integer, nullable=False),
    sa.Column("cusip", sa.Text),
    sa.Column("isin", sa.Text),
    sa.Column("issuer_name", sa.Text),
    sa.Column("source_cells", JSONB),
    schema="marts",
)

statement_cells = sa.Table(
    "provenance_statement_cells",
    metadata,
    sa.Column("statement_cells_key", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("partition_key", sa.Text, nullable=False),
    sa.Column("reconciliation_id", sa.Text, nullable=False),
    sa.Column("position_key", sa.Text, nullable=False),
    sa.Column("match_status", sa.Text, nullable=False),
    sa.Column("holding_id", sa.Text),
    sa.Column("external_row", sa.Integer),
    sa.Column("source_cells", JSONB),
    schema="marts",
)

variances = sa.Table(
    "provenance_variances",
    metadata,
    sa.Column("variance_key", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("partition_key", sa.Text, nullable=False),
    sa.Column("reconciliation_id", sa.Text, nullable=False),
    sa.Column("variance_id", sa.Text, nullable=False),
    sa.Column("field", sa.Text, nullable=False),
    sa.Column("position_key", sa.Text, nullable=False),
    sa.Column("holding_id", sa.Text),
    sa.Column("external_row", sa.Integer),
    sa.Column("workbook_id", sa.Text, nullable=False),
    sa.Column("workbook_partition_key", sa.Text),
    schema="marts",
)

equity_figures = sa.Table(
    "provenance_equity_figures",
    metadata,
    sa.Column("figure_key", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("table_name", sa.Text, nullable=False),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("partition_key", sa.Text, nullable=False),
    sa.Column("portfolio_id", sa.Text, nullable=False),
    sa.Column("position_id", sa.Text),
    sa.Column("factor", sa.Text),
    sa.Column("as_of_date", sa.Date, nullable=False),
    sa.Column("positions_partition_key", sa.Text),
    schema="marts",
)
