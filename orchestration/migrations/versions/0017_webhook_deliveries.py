"""ops: every webhook delivery attempt (issue 17), served at /api/v1/webhooks/deliveries

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("delivery_id", sa.Text(), nullable=False, comment="uuid4 of one delivery (X-CalcBridge-Delivery)."),
        sa.Column("attempt", sa.Integer(), nullable=False, comment="1, 2, 3: the body's metadata.delivery_attempt."),
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="The event's tenant."),
        sa.Column("webhook_id", sa.Text(), nullable=False, comment="The subscription (or alert rule) delivered to."),
        sa.Column("event_id", sa.BigInteger(), nullable=False, comment="ops.events.event_id of the event delivered."),
        sa.Column("event_uuid", sa.Text(), nullable=False, comment="ops.events.event_uuid (X-CalcBridge-Event-Id)."),
        sa.Column("event_type", sa.Text(), nullable=False, comment="The seed event type, e.g. alert.triggered."),
        sa.Column("status", sa.Text(), nullable=False, comment="delivered | retrying | failed | not_retried"),
        sa.Column("http_status", sa.Integer(), comment="The receiver's status code; null on a network error."),
        sa.Column("error", sa.Text(), comment="`HTTP <status>` or the network error; null when delivered."),
        sa.Column("delay_seconds", sa.Float(), comment="Wait before the next attempt; null when none follows."),
        sa.Column("run_id", sa.Text(), comment="The webhook_delivery_job run that made the attempt."),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id", "attempt", name="pk_webhook_deliveries"),
        schema="ops",
        comment=(
            "Every webhook delivery attempt (issue 17), one row each, written in its own transaction as the attempt "
            "ends; a delivery that ends failed or not_retried fails its run, which the DLQ lists. Append-only."
        ),
    )
    op.create_index("ix_webhook_deliveries_tenant", "webhook_deliveries", ["tenant_id", "attempted_at"], schema="ops")
    op.create_index("ix_webhook_deliveries_event", "webhook_deliveries", ["event_id", "webhook_id"], schema="ops")


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_event", table_name="webhook_deliveries", schema="ops")
    op.drop_index("ix_webhook_deliveries_tenant", table_name="webhook_deliveries", schema="ops")
    op.drop_table("webhook_deliveries", schema="ops")
