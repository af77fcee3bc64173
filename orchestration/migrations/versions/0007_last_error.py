"""clo workbooks: the last failed attempt beside a workbook's last good rows

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("last_error_code", sa.Text(), "Typed error of the latest failed re-run of a processed workbook."),
    ("last_error_message", sa.Text(), "Its human message; the workbook's rows are still the last good version."),
    ("last_failed_at", sa.DateTime(timezone=True), "When that re-run failed; null once a run succeeds again."),
)


def upgrade() -> None:
    for name, kind, comment in _COLUMNS:
        op.add_column("clo_workbooks", sa.Column(name, kind, comment=comment), schema="raw")


def downgrade() -> None:
    for name, _, _ in _COLUMNS:
        op.drop_column("clo_workbooks", name, schema="raw")
