"""foundation: ops landing log, api keys, sensor cursors, raw landed files

Revision ID: 0001
Revises:
Create Date: 2026-11-22 15:40:43.253279
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.Text(), nullable=False, comment="Public prefix of the key; the lookup handle."),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "key_hash", sa.Text(), nullable=False, comment="sha256 of the secret part; the key itself is never stored."
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_id"),
        schema="ops",
        comment="API keys, each bound to one tenant.",
    )
    op.create_table(
        "landing_log",
        sa.Column("landing_id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("domain", sa.Text(), nullable=False),
        sa.Column("relative_path", sa.Text(), nullable=False, comment="Path under the landing root."),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False, comment="accepted | duplicate | rejected"),
        sa.Column(
            "reason_code", sa.Text(), nullable=True, comment="Typed code for a rejection, e.g. UNSUPPORTED_EXTENSION."
        ),
        sa.Column("reason", sa.Text(), nullable=True, comment="Human explanation of a rejection or duplicate."),
        sa.Column("sha256", sa.Text(), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("partition_key", sa.Text(), nullable=True),
        sa.Column("archive_path", sa.Text(), nullable=True, comment="Content-addressed copy kept before any parsing."),
        sa.Column(
            "sidecar",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=True,
            comment="The <file>.meta.json that travelled with the file.",
        ),
        sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False, comment="When the file arrived."),
        sa.Column("logged_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status in ('accepted', 'duplicate', 'rejected')", name="ck_landing_log_status"),
        sa.PrimaryKeyConstraint("landing_id"),
        schema="ops",
        comment="Every file a landing sensor saw: accepted, duplicate or rejected with a reason.",
    )
    op.create_index("ix_landing_log_partition", "landing_log", ["domain", "partition_key"], unique=False, schema="ops")
    op.create_index(
        "ux_landing_log_observation", "landing_log", ["domain", "relative_path", "landed_at"], unique=True, schema="ops"
    )
    op.create_index(
        "ix_landing_log_tenant", "landing_log", ["tenant_id", "domain", "landed_at"], unique=False, schema="ops"
    )
    op.create_table(
        "sensor_cursors",
        sa.Column("sensor_name", sa.Text(), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("sensor_name"),
        schema="ops",
        comment="Landing high-water marks of `calcbridge process` (the daemon keeps its sensors' cursors itself).",
    )
    op.create_table(
        "clo_landed_files",
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
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", name="pk_clo_landed_files"),
        schema="raw",
        comment="One row per file landed in landing/<tenant>/clo/ (one per partition).",
    )
    op.create_table(
        "covenants_landed_files",
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
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", name="pk_covenants_landed_files"),
        schema="raw",
        comment="One row per file landed in landing/<tenant>/covenants/ (one per partition).",
    )
    op.create_table(
        "equity_landed_files",
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
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", name="pk_equity_landed_files"),
        schema="raw",
        comment="One row per file landed in landing/<tenant>/equity/ (one per partition).",
    )
    op.create_table(
        "performance_landed_files",
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
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", name="pk_performance_landed_files"),
        schema="raw",
        comment="One row per file landed in landing/<tenant>/performance/ (one per partition).",
    )
    op.create_table(
        "trustee_landed_files",
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
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", name="pk_trustee_landed_files"),
        schema="raw",
        comment="One row per file landed in landing/<tenant>/trustee/ (one per partition).",
    )


def downgrade() -> None:
    op.drop_table("trustee_landed_files", schema="raw")
    op.drop_table("performance_landed_files", schema="raw")
    op.drop_table("equity_landed_files", schema="raw")
    op.drop_table("covenants_landed_files", schema="raw")
    op.drop_table("clo_landed_files", schema="raw")
    op.drop_table("sensor_cursors", schema="ops")
    op.drop_index("ux_landing_log_observation", table_name="landing_log", schema="ops")
    op.drop_index("ix_landing_log_tenant", table_name="landing_log", schema="ops")
    op.drop_index("ix_landing_log_partition", table_name="landing_log", schema="ops")
    op.drop_table("landing_log", schema="ops")
    op.drop_table("api_keys", schema="ops")
