"""The API's view of the webhook deliveries mart (dbt owns its DDL; this describes its columns for SQLAlchemy Core)."""

from __future__ import annotations

import sqlalchemy as sa

from api.marts._metadata import metadata

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("attempt_id", sa.Text, primary_key=True),
    sa.Column("delivery_id", sa.Text, nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("webhook_id", sa.Text, nullable=False),
    sa.Column("event_id", sa.BigInteger, nullable=False),
    sa.Column("event_uuid", sa.Text, nullable=False),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("http_status", sa.Integer),
    sa.Column("error", sa.Text),
    sa.Column("delay_seconds", sa.Float),
    sa.Column("run_id", sa.Text),
    sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
    schema="marts",
    comment="marts.webhook_deliveries: every webhook delivery attempt, one row each.",
)
