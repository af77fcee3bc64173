"""equity: risk-metric reasons (minimum observations), P&L fallback flags by period, option expiry settlement

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

VALUATION_COLUMNS = (
    ("mtd_pnl_fallback", "No close on the last session of the previous month: MTD P&L is P&L since entry."),
    ("ytd_pnl_fallback", "No close on the last session of the previous year: YTD P&L is P&L since entry."),
    ("expired", "An option on or after its expiry date: settled at intrinsic value, market value 0."),
)


def upgrade() -> None:
    op.alter_column(
        "equity_position_valuations",
        "period_pnl_fallback",
        existing_type=sa.Boolean(),
        existing_nullable=False,
        comment="mtd_pnl_fallback or ytd_pnl_fallback.",
        schema="analytics",
    )
    for name, comment in VALUATION_COLUMNS:
        op.add_column(
            "equity_position_valuations",
            sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.text("false"), comment=comment),
            schema="analytics",
        )
    op.add_column(
        "equity_position_valuations",
        sa.Column(
            "realized_pnl",
            sa.Float(),
            nullable=False,
            server_default=sa.text("0"),
            comment="quantity × multiplier × (settlement − entry) for an expired option; 0 otherwise.",
        ),
        schema="analytics",
    )
    op.add_column(
        "equity_risk_metrics",
        sa.Column(
            "status",
            sa.Text(),
            nullable=False,
            server_default="ok",
            comment="ok, or insufficient_data when a metric is null (see reasons).",
        ),
        schema="analytics",
    )
    op.add_column(
        "equity_risk_metrics",
        sa.Column(
            "reasons",
            JSONB(),
            nullable=False,
            server_default=sa.text("'{}'::jsonb"),
            comment="Why each null metric is null (metric → reason), e.g. fewer returns than min_observations.",
        ),
        schema="analytics",
    )


def downgrade() -> None:
    op.drop_column("equity_risk_metrics", "reasons", schema="analytics")
    op.drop_column("equity_risk_metrics", "status", schema="analytics")
    for name in ("realized_pnl", *(name for name, _ in reversed(VALUATION_COLUMNS))):
        op.drop_column("equity_position_valuations", name, schema="analytics")
    op.alter_column(
        "equity_position_valuations",
        "period_pnl_fallback",
        existing_type=sa.Boolean(),
        existing_nullable=False,
        comment=None,
        existing_comment="mtd_pnl_fallback or ytd_pnl_fallback.",
        schema="analytics",
    )
