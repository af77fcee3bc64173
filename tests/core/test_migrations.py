"""The migrations create exactly the tables declared in orchestration.core.schema."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from orchestration.core import migrate
from orchestration.schema import SCHEMAS, metadata


def test_migrated_database_matches_the_declared_metadata(platform):
    with platform.warehouse.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={"include_schemas": True, "include_object": migrate.include_object, "compare_type": True},
        )
        assert compare_metadata(context, metadata) == []


def test_every_schema_exists_and_upgrade_is_idempotent(platform):
    migrate.upgrade(platform.warehouse.url)
    with platform.warehouse.connect() as conn:
        names = set(conn.execute(sa.text("select schema_name from information_schema.schemata")).scalars())
        versions = set(conn.execute(sa.text("select version_num from ops.alembic_version")).scalars())
    assert set(SCHEMAS) <= names
    heads = ScriptDirectory.from_config(migrate.alembic_config(platform.warehouse.url)).get_heads()
    assert versions == set(heads)


def test_every_python_table_carries_tenant_and_partition_columns():
    for table in metadata.tables.values():
        if table.schema in ("raw", "analytics"):
            assert {"tenant_id", "partition_key"} <= set(table.columns.keys()), table.fullname
