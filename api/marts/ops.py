"""The API's view of the dbt marts it reads (dbt owns their DDL; these describe columns for SQLAlchemy Core)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from api.marts._metadata import metadata

uploads = sa.Table(
    "uploads",
    metadata,
    sa.Column("upload_id", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("domain", sa.Text, nullable=False),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("display_name", sa.Text),
    sa.Column("tags", JSONB),
    sa.Column("sha256", sa.Text),
    sa.Column("size_bytes", sa.BigInteger),
    sa.Column("partition_key", sa.Text),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("reason_code", sa.Text),
    sa.Column("reason", sa.Text),
    sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_uploads_tenant_landed", "tenant_id", "landed_at", "upload_id"),
    schema="marts",
    comment="marts.uploads: one row per landed file (accepted, one per partition, or rejected).",
)

configuration = sa.Table(
    "configuration",
    metadata,
    sa.Column("configuration_key", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("document", JSONB, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("config_sha256", sa.Text, nullable=False),
    schema="marts",
    comment="marts.configuration: every validated configuration document and vocabulary entry, one row each.",
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("event_id", sa.BigInteger, primary_key=True),
    sa.Column("event_uuid", sa.Text, nullable=False),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("workbook_id", sa.Text),
    sa.Column("payload", JSONB, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    schema="marts",
    comment="marts.events: the events outbox (a view over ops.events), streamed by the WebSocket /ws.",
)
