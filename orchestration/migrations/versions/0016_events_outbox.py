"""ops: the events outbox (issue 17), written in the same transaction as the rows each event announces

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 19:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column(
            "event_id",
            sa.BigInteger(),
            sa.Identity(always=True),
            nullable=False,
            comment="Monotonic id: the WebSocket `since` cursor and the webhook deliveries' cursor.",
        ),
        sa.Column("event_uuid", sa.Text(), nullable=False, comment="uuid4, the id clients and receivers see."),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False, comment="The seed 000 event type: compliance.changed, ..."),
        sa.Column(
            "workbook_id", sa.Text(), comment="The workbook the event is about (subscription filter); null if none."
        ),
        sa.Column("partition_key", sa.Text(), comment="The partition whose write announced it; null for run events."),
        sa.Column("payload", JSONB(), nullable=False, comment="The seed's event body: {type, timestamp, data}."),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("event_id", name="pk_events"),
        sa.UniqueConstraint("event_uuid", name="uq_events_uuid"),
        schema="ops",
        comment=(
            "The outbox (issue 17): one row per event, written in the same transaction as the rows it announces; "
            "NOTIFY calcbridge_events wakes the WebSocket server at commit. Append-only."
        ),
    )
    op.create_index("ix_events_tenant", "events", ["tenant_id", "event_id"], schema="ops")


def downgrade() -> None:
    op.drop_index("ix_events_tenant", table_name="events", schema="ops")
    op.drop_table("events", schema="ops")
