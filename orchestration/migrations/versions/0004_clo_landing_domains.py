"""merge the 0003 branches; landing domains geneva, bloomberg, resolutions, scenarios

Revision ID: 0004
Revises: 0003_covenants, 0003_performance
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = ("0003_covenants", "0003_performance")
branch_labels = None
depends_on = None

NEW_DOMAINS = ("geneva", "bloomberg", "resolutions", "scenarios")


def upgrade() -> None:
    for domain in NEW_DOMAINS:
        op.create_table(
            f"{domain}_landed_files",
            sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
            sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
            sa.Column("domain", sa.Text(), nullable=False),
            sa.Column("file_name", sa.Text(), nullable=False),
            sa.Column("sha256", sa.Text(), nullable=False),
            sa.Column("size_bytes", sa.BigInteger(), nullable=False),
            sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("archive_path", sa.Text(), nullable=False),
            sa.Column("sidecar", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
            sa.Column("status", sa.Text(), nullable=False),
            sa.PrimaryKeyConstraint("tenant_id", "partition_key", name=f"pk_{domain}_landed_files"),
            schema="raw",
            comment=f"One row per file landed in landing/<tenant>/{domain}/ (one per partition).",
        )


def downgrade() -> None:
    for domain in NEW_DOMAINS:
        op.drop_table(f"{domain}_landed_files", schema="raw")
