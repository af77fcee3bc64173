"""The ops domain's Python-written table: the validated configuration and vocabulary the platform runs with."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orchestration.core.metadata import metadata, partition_columns

configuration = sa.Table(
    "configuration",
    metadata,
    *partition_columns(),
    sa.Column("kind", sa.Text, nullable=False, comment="What the document is: alert_rule, report_template, ..."),
    sa.Column("name", sa.Text, nullable=False, comment="The document's id within its kind."),
    sa.Column("position", sa.Integer, nullable=False, comment="Order within the kind (file order, then name)."),
    sa.Column("document", JSONB, nullable=False, comment="The validated document, as the API serves it."),
    sa.Column("source", sa.Text, nullable=False, comment="Where it came from: a path under assets_config/, or code."),
    sa.Column("config_sha256", sa.Text, nullable=False, comment="sha256 of every file under assets_config/."),
    sa.PrimaryKeyConstraint("kind", "tenant_id", "name", "partition_key", name="pk_configuration"),
    schema="ops",
    comment=(
        "Every configuration document and vocabulary the pipeline validated (assets_config/ and the code's own "
        "lists), one row each; tenant_id '*' applies to every tenant. Written by the ops/configuration asset."
    ),
)
