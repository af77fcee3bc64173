"""reconciliation: one reconciliation per statement domain in a partition

The same bytes landed as trustee and as bloomberg share a partition key (`<tenant>.<sha256 prefix>`); the
reconciliation tables are keyed by it, so the second replaced the first. The reconciliation key adds the
source type and the position key adds the reconciliation.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 19:50:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_KEYS = {
    "reconciliations": (
        "pk_reconciliations",
        ["tenant_id", "partition_key", "source_type"],
        ["tenant_id", "partition_key"],
    ),
    "reconciliation_positions": (
        "pk_reconciliation_positions",
        ["tenant_id", "partition_key", "reconciliation_id", "position_key"],
        ["tenant_id", "partition_key", "position_key"],
    ),
}


def upgrade() -> None:
    for table, (name, columns, _) in _KEYS.items():
        op.drop_constraint(name, table, schema="analytics", type_="primary")
        op.create_primary_key(name, table, columns, schema="analytics")


def downgrade() -> None:
    for table, (name, _, columns) in _KEYS.items():
        op.drop_constraint(name, table, schema="analytics", type_="primary")
        op.create_primary_key(name, table, columns, schema="analytics")
