"""Alembic environment: compares and applies `orchestration.schema.metadata` (every table) to the warehouse."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from orchestration.core.migrate import include_object
from orchestration.schema import SCHEMAS, metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        engine = sa.create_engine(context.config.get_main_option("sqlalchemy.url") or "")
        connection = engine.connect()
    for schema in SCHEMAS:
        connection.execute(sa.text(f"create schema if not exists {schema}"))
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_schemas=True,
        include_object=include_object,
        version_table_schema="ops",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
