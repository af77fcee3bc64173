"""merge the 0005 domain branches (clo, compliance, equity, reconciliation) into one line

Revision ID: 0006
Revises: 0005_clo, 0005_compliance, 0005_equity, 0005_reconciliation
Create Date: 2026-11-22 19:20:00
"""

from __future__ import annotations

revision = "0006"
down_revision = ("0005_clo", "0005_compliance", "0005_equity", "0005_reconciliation")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the branches touch disjoint tables; this only joins them so there is one head."""


def downgrade() -> None:
    """Nothing to undo."""
