"""clo and reconciliation: loan identifiers (LoanX ID, FIGI, asset id) on holdings and reconciliation positions

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

HOLDING_COLUMNS = (
    ("loanx_id", sa.Text(), "Markit LoanX ID (LX + six digits), upper case."),
    ("figi", sa.Text(), "OpenFIGI identifier (BBG…), upper case."),
    ("asset_id", sa.Text(), "The administrator's or trustee's own asset id, trimmed, upper case."),
    ("figi_valid", sa.Boolean(), "FIGI shape and check digit hold; null without a FIGI."),
)
POSITION_COLUMNS = (
    ("loanx_id", "Markit LoanX ID: the internal holding's, else the statement's."),
    ("figi", "OpenFIGI identifier: the internal holding's, else the statement's."),
    ("asset_id", "The administrator's asset id: the internal holding's, else the statement's."),
)


def upgrade() -> None:
    for name, kind, comment in HOLDING_COLUMNS:
        op.add_column("clo_holdings", sa.Column(name, kind, comment=comment), schema="analytics")
    for name, comment in POSITION_COLUMNS:
        op.add_column("reconciliation_positions", sa.Column(name, sa.Text(), comment=comment), schema="analytics")


def downgrade() -> None:
    for name, _ in reversed(POSITION_COLUMNS):
        op.drop_column("reconciliation_positions", name, schema="analytics")
    for name, _, _ in reversed(HOLDING_COLUMNS):
        op.drop_column("clo_holdings", name, schema="analytics")
