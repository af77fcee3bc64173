"""ops: the configuration table the ops/configuration asset writes and the API serves through marts

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "configuration",
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text(), nullable=False, comment="Dagster partition that wrote the row."),
        sa.Column("kind", sa.Text(), nullable=False, comment="What the document is: alert_rule, report_template, ..."),
        sa.Column("name", sa.Text(), nullable=False, comment="The document's id within its kind."),
        sa.Column("position", sa.Integer(), nullable=False, comment="Order within the kind (file order, then name)."),
        sa.Column("document", JSONB(), nullable=False, comment="The validated document, as the API serves it."),
        sa.Column(
            "source", sa.Text(), nullable=False, comment="Where it came from: a path under assets_config/, or code."
        ),
        sa.Column("config_sha256", sa.Text(), nullable=False, comment="sha256 of every file under assets_config/."),
        sa.PrimaryKeyConstraint("kind", "tenant_id", "name", "partition_key", name="pk_configuration"),
        schema="ops",
        comment=(
            "Every configuration document and vocabulary the pipeline validated (assets_config/ and the code's own "
            "lists), one row each; tenant_id '*' applies to every tenant. Written by the ops/configuration asset."
        ),
    )


def downgrade() -> None:
    op.drop_table("configuration", schema="ops")
