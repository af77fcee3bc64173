"""compliance: issue 21's per-holding derived fields (C15 and C16 ratings, discount obligation, C18 carrying value)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

COLUMNS = (
    ("moodys_derived_rating", sa.Text(), "Moody's Derived Rating (issue 21 C15): notched S&P/Fitch, watch negative."),
    ("moodys_derived_source", sa.Text(), "moodys | sp | fitch | unrated_default (C15)."),
    ("sp_basis_rating", sa.Text(), "S&P rating, else the S&P equivalent of the effective Moody's rating (C16)."),
    ("is_discount_obligation", sa.Boolean(), "Purchased below the threshold and priced below the cure price (C17)."),
    ("par_in_ccc_excess", sa.Numeric(), "Par of this holding inside the CCC excess (C6, C18)."),
    ("carrying_value", sa.Numeric(), "Carrying value in the ACPA (C18; C6 if defaulted)."),
)


def upgrade() -> None:
    # Nullable: rows written before this revision have no derived fields until their workbook is re-run.
    for name, type_, comment in COLUMNS:
        op.add_column(
            "clo_holding_compliance", sa.Column(name, type_, nullable=True, comment=comment), schema="analytics"
        )


def downgrade() -> None:
    for name, _, _ in reversed(COLUMNS):
        op.drop_column("clo_holding_compliance", name, schema="analytics")
