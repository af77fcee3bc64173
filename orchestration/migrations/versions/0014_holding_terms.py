"""clo: the holding terms of issue 21 (seniority, purchase price, unfunded amount, five flags, Moody's watch)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TERMS = (
    ("seniority", sa.Text(), True, "senior_secured | second_lien | senior_unsecured | subordinated; null = blank."),
    ("purchase_price", sa.Numeric(), True, "Price paid at acquisition, percent of par (87.5)."),
    ("unfunded_amount", sa.Numeric(), True, "Undrawn commitment of a revolver / delayed draw, USD; null = blank (0)."),
    ("is_cov_lite", sa.Boolean(), False, "Covenant-lite; a blank cell is false."),
    ("is_dip", sa.Boolean(), False, "Debtor-in-possession loan; a blank cell is false."),
    ("is_current_pay", sa.Boolean(), False, "Current-pay obligation; a blank cell is false."),
    ("is_participation", sa.Boolean(), False, "Held as a participation; a blank cell is false."),
    ("is_pik", sa.Boolean(), False, "PIK or deferrable; a blank cell is false."),
    ("moodys_watch", sa.Text(), True, "Moody's review: negative | positive; null when not on review."),
)
ASSET_TYPE_COMMENT = "loan | revolver | delayed_draw | bond; null = blank (mapping.terms)."


def upgrade() -> None:
    # Holdings landed before this revision read as blank terms: flags false (server default), the rest null.
    for name, kind, nullable, comment in TERMS:
        default = None if nullable else sa.false()
        column = sa.Column(name, kind, nullable=nullable, server_default=default, comment=comment)
        op.add_column("clo_holdings", column, schema="analytics")
    op.alter_column(
        "clo_holdings", "asset_type", existing_type=sa.Text(), comment=ASSET_TYPE_COMMENT, schema="analytics"
    )


def downgrade() -> None:
    op.alter_column(
        "clo_holdings",
        "asset_type",
        existing_type=sa.Text(),
        comment=None,
        existing_comment=ASSET_TYPE_COMMENT,
        schema="analytics",
    )
    for name, _, _, _ in reversed(TERMS):
        op.drop_column("clo_holdings", name, schema="analytics")
