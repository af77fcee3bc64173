"""The ops domain's Python-written tables: the validated configuration, and every webhook delivery attempt."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orchestration.core.metadata import metadata, partition_columns

configuration = sa.Table(
    "configuration",
    metadata,
    *partition_columns(),
    sa.Column("kind", sa.Text, nullable=False, comment="What the document is: alert_rule, report_template, ..."),
    sa.Column("name", sa.Text, nullable=False, comment="The document's id within its kind."),
    sa.Column("position", sa.Integer, nullable=False, comment="Order within the kind (file order, then name)."),
    sa.Column("document", JSONB, nullable=False, comment="The validated document, as the API serves it."),
    sa.Column("source", sa.Text, nullable=False, comment="Where it came from: a path under assets_config/, or code."),
    sa.Column("config_sha256", sa.Text, nullable=False, comment="sha256 of every file under assets_config/."),
    sa.PrimaryKeyConstraint("kind", "tenant_id", "name", "partition_key", name="pk_configuration"),
    schema="ops",
    comment=(
        "Every configuration document and vocabulary the pipeline validated (assets_config/ and the code's own "
        "lists), one row each; tenant_id '*' applies to every tenant. Written by the ops/configuration asset."
    ),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("delivery_id", sa.Text, nullable=False, comment="uuid4 of one delivery (X-CalcBridge-Delivery)."),
    sa.Column("attempt", sa.Integer, nullable=False, comment="1, 2, 3: the body's metadata.delivery_attempt."),
    sa.Column("tenant_id", sa.Text, nullable=False, comment="The event's tenant."),
    sa.Column("webhook_id", sa.Text, nullable=False, comment="The subscription (or alert rule) delivered to."),
    sa.Column("event_id", sa.BigInteger, nullable=False, comment="ops.events.event_id of the event delivered."),
    sa.Column("event_uuid", sa.Text, nullable=False, comment="ops.events.event_uuid (X-CalcBridge-Event-Id)."),
    sa.Column("event_type", sa.Text, nullable=False, comment="The seed event type, e.g. alert.triggered."),
    sa.Column("status", sa.Text, nullable=False, comment="delivered | retrying | failed | not_retried"),
    sa.Column("http_status", sa.Integer, comment="The receiver's status code; null on a network error."),
    sa.Column("error", sa.Text, comment="`HTTP <status>` or the network error; null when delivered."),
    sa.Column("delay_seconds", sa.Float, comment="Wait before the next attempt; null when none follows."),
    sa.Column("run_id", sa.Text, comment="The webhook_delivery_job run that made the attempt."),
    sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("delivery_id", "attempt", name="pk_webhook_deliveries"),
    sa.Index("ix_webhook_deliveries_tenant", "tenant_id", "attempted_at"),
    sa.Index("ix_webhook_deliveries_event", "event_id", "webhook_id"),
    schema="ops",
    comment=(
        "Every webhook delivery attempt (issue 17), one row each, written in its own transaction as the attempt "
        "ends; a delivery that ends failed or not_retried fails its run, which the DLQ lists. Append-only."
    ),
)
