"""provenance (issue 18): ops.lineage and ops.dbt_models, source cells of holdings and statement positions,
the mapping profile's version, and the holdings behind each compliance test's numerator

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

SOURCE_CELLS = "Field -> {cell: 'Holdings!C17', column, transform} of the original value; null before 0018."


def upgrade() -> None:
    op.create_table(
        "lineage",
        sa.Column("table_name", sa.Text(), nullable=False, comment="The written table, schema-qualified."),
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="The partition's tenant; `*` when shared by all."),
        sa.Column("partition_key", sa.Text(), nullable=False),
        sa.Column("asset_key", sa.Text(), nullable=False, comment="The Dagster asset that wrote the rows."),
        sa.Column("run_id", sa.Text(), comment="The Dagster run; null when written outside a run (CLI loaders)."),
        sa.Column(
            "code_version", sa.Text(), comment="The asset's code_version: its modules' and config files' digest."
        ),
        sa.Column("data_version", sa.Text(), comment="The asset's data version (the source file's sha256, if any)."),
        sa.Column("sources", JSONB(), nullable=False, comment="Contributing files: tenant, domain, name, sha256, ..."),
        sa.Column("inputs", JSONB(), nullable=False, comment="Digest of each module and config file behind the code."),
        sa.Column("conventions", JSONB(), nullable=False, comment="The conventions in force (domain-specific)."),
        sa.Column("materialized_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("table_name", "tenant_id", "partition_key", name="pk_lineage"),
        schema="ops",
        comment=(
            "Provenance (issue 18): one row per (table, tenant, partition), written by the one write path in the "
            "transaction that replaces the partition's rows, so every row's lineage is its partition's."
        ),
    )
    op.create_index("ix_lineage_run", "lineage", ["run_id"], schema="ops")
    op.create_table(
        "dbt_models",
        sa.Column("unique_id", sa.Text(), nullable=False, comment="dbt's unique id, e.g. model.calcbridge.mart_x."),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("relation", sa.Text(), nullable=False, comment="schema.name of the built relation."),
        sa.Column("checksum", sa.Text(), nullable=False, comment="dbt's sha256 of the model's SQL file."),
        sa.Column("materialized", sa.Text(), nullable=False, comment="view | table | incremental"),
        sa.Column("depends_on", JSONB(), nullable=False, comment="unique ids of the models and sources it reads."),
        sa.Column("run_id", sa.Text(), comment="The Dagster run of the last build."),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("unique_id", name="pk_dbt_models"),
        schema="ops",
        comment="Every dbt model as last built, with its checksum (issue 18 provenance).",
    )
    op.add_column("clo_holdings", sa.Column("source_cells", JSONB(), comment=SOURCE_CELLS), schema="analytics")
    op.add_column(
        "clo_workbooks",
        sa.Column(
            "mapping_profile_version", sa.Text(), comment="sha256 of the profile's definition; null if auto-detected."
        ),
        schema="raw",
    )
    op.add_column(
        "reconciliation_positions",
        sa.Column("source_cells", JSONB(), comment="Statement field -> {cell, column, transform}; null before 0018."),
        schema="analytics",
    )
    op.create_table(
        "clo_compliance_contributions",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("workbook_id", sa.Text(), nullable=False),
        sa.Column("test_id", sa.Text(), nullable=False),
        sa.Column(
            "rank", sa.Integer(), nullable=False, comment="1 = largest contribution; the last row may be the rest."
        ),
        sa.Column("holding_id", sa.Text(), comment="The contributing holding; null on the rest row and on term rows."),
        sa.Column(
            "holdings",
            sa.Integer(),
            nullable=False,
            comment="Holdings the row stands for: 1, the rest's count, or 0 (cash, fees).",
        ),
        sa.Column("contribution", sa.Numeric(), nullable=False, comment="Its part of the test's numerator."),
        sa.Column("share", sa.Numeric(), comment="contribution / numerator; null when the numerator is 0."),
        sa.Column("measure", sa.Text(), nullable=False, comment="What is summed, e.g. par, par x rating factor."),
        sa.PrimaryKeyConstraint(
            "tenant_id", "partition_key", "test_id", "rank", name="pk_clo_compliance_contributions"
        ),
        schema="analytics",
        comment="The holdings that make up each test's numerator, largest first (issue 18 explained compliance).",
    )
    op.create_index(
        "ix_clo_compliance_contributions_workbook",
        "clo_compliance_contributions",
        ["workbook_id", "test_id"],
        schema="analytics",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_clo_compliance_contributions_workbook", table_name="clo_compliance_contributions", schema="analytics"
    )
    op.drop_table("clo_compliance_contributions", schema="analytics")
    op.drop_column("reconciliation_positions", "source_cells", schema="analytics")
    op.drop_column("clo_workbooks", "mapping_profile_version", schema="raw")
    op.drop_column("clo_holdings", "source_cells", schema="analytics")
    op.drop_table("dbt_models", schema="ops")
    op.drop_index("ix_lineage_run", table_name="lineage", schema="ops")
    op.drop_table("lineage", schema="ops")
