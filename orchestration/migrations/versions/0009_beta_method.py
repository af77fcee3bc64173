"""equity: how each position's factor beta was obtained (an option takes its underlying's)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "equity_factor_betas",
        sa.Column(
            "method",
            sa.Text(),
            comment="regression (a stock's own returns) or underlying (an option takes its underlying's beta).",
        ),
        schema="analytics",
    )


def downgrade() -> None:
    op.drop_column("equity_factor_betas", "method", schema="analytics")
