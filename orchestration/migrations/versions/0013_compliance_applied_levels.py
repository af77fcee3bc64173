"""compliance: where each applied test level came from, and the fallback profile's levels beside it

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

SOURCE = "sidecar | structure_sheet | profile:<id> | default (levels.py)."
COLUMNS = (
    ("trigger_source", sa.Text(), f"Where trigger_level came from: {SOURCE}"),
    ("target_source", sa.Text(), f"Where target_level came from: {SOURCE}"),
    ("profile_id", sa.Text(), "The profile the deal falls back to: the sidecar's, else default."),
    ("profile_trigger_level", sa.Numeric(), "That profile's trigger; null when it has no such test."),
    ("profile_target_level", sa.Numeric(), "That profile's target; null when it has no such test."),
)


def upgrade() -> None:
    # Nullable: rows written before this revision have no sources until their workbook is re-run.
    for name, type_, comment in COLUMNS:
        op.add_column(
            "clo_compliance_results", sa.Column(name, type_, nullable=True, comment=comment), schema="analytics"
        )


def downgrade() -> None:
    for name, _, _ in reversed(COLUMNS):
        op.drop_column("clo_compliance_results", name, schema="analytics")
