"""The one SQLAlchemy `MetaData` every Python-written table is declared on, and its shared columns.

A leaf module: core's tables (`core/schema.py`) and each domain's `tables.py` import it, and it imports
neither, so the schema has no import cycle. `orchestration.schema` collects the complete set.
"""

from __future__ import annotations

import sqlalchemy as sa

SCHEMAS: tuple[str, ...] = ("raw", "staging", "analytics", "marts", "ops")
"""dbt owns `staging` and `marts`; Python owns `raw`, `analytics` and `ops`."""

metadata = sa.MetaData()


def partition_columns() -> list[sa.Column]:
    """The two columns every partitioned table starts with."""
    return [
        sa.Column("tenant_id", sa.Text, nullable=False, comment="Tenant that owns the row."),
        sa.Column("partition_key", sa.Text, nullable=False, comment="Dagster partition that wrote the row."),
    ]
