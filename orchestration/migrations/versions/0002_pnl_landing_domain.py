"""pnl landing domain

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 16:24:17.855625
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pnl_landed_files",
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
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", name="pk_pnl_landed_files"),
        schema="raw",
        comment="One row per file landed in landing/<tenant>/pnl/ (one per partition).",
    )


def downgrade() -> None:
    op.drop_table("pnl_landed_files", schema="raw")
