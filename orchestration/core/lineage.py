"""Lineage of written rows: which files, run, asset and code produced a partition (no Dagster import).

The one write path (`warehouse.replace_partitions`) records one `ops.lineage` row per (table, tenant,
partition) in the transaction that replaces the partition's rows. Since a partition's rows are always replaced
whole by one write, every row's lineage is its partition's: the row's (tenant_id, partition_key) is the key to
it, with no per-row copy of the run id and file hashes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from orchestration.core.schema import lineage as lineage_table

SHARED_TENANT = "*"
"""`ops.lineage.tenant_id` of a partition shared by every tenant (a trading day)."""


@dataclass(frozen=True)
class SourceFile:
    """One landed file a write read: enough to find its row in `raw.<domain>_landed_files` and its bytes."""

    tenant_id: str
    domain: str
    partition_key: str
    file_name: str
    sha256: str
    landed_at: dt.datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "domain": self.domain,
            "partition_key": self.partition_key,
            "file_name": self.file_name,
            "sha256": self.sha256,
            "landed_at": self.landed_at.isoformat() if self.landed_at else None,
        }


@dataclass(frozen=True)
class Lineage:
    """Who wrote a partition: the asset, its run and code version, the files it read and the conventions used.

    `inputs` is path → sha256 of each module and config file behind the code version (`core/versions.py`).
    `asset_keys` names another asset for some tables (a multi-asset writes one table per asset).
    """

    asset_key: str
    run_id: str | None = None
    code_version: str | None = None
    data_version: str | None = None
    sources: tuple[SourceFile, ...] = ()
    inputs: Mapping[str, str] = field(default_factory=dict)
    conventions: Mapping[str, Any] = field(default_factory=dict)
    asset_keys: Mapping[str, str] = field(default_factory=dict)

    def with_sources(self, sources: Sequence[SourceFile]) -> Lineage:
        """The same lineage with further contributing files (deduplicated by partition, in order)."""
        merged = {(s.tenant_id, s.domain, s.partition_key): s for s in (*self.sources, *sources)}
        return replace(self, sources=tuple(merged.values()))


OUTSIDE_A_RUN = Lineage(asset_key="(outside a run)")
"""What a write records when its caller names no lineage and none is running (a CLI loader, a test)."""

_RESOLVERS: list[Callable[[], Lineage | None]] = []


def register_resolver(resolver: Callable[[], Lineage | None]) -> None:
    """Let the orchestrator say which step is writing (`core/provenance.py` registers Dagster's context).

    Pure modules that write through `warehouse.replace_partitions` then record their run's lineage without
    knowing about Dagster.
    """
    if resolver not in _RESOLVERS:
        _RESOLVERS.append(resolver)


def resolve(given: Lineage | None) -> Lineage:
    """The lineage to record: the caller's, else the running step's, else `OUTSIDE_A_RUN`."""
    if given is not None:
        return given
    for resolver in _RESOLVERS:
        found = resolver()
        if found is not None:
            return found
    return OUTSIDE_A_RUN


def record(
    conn: Connection, tables: Sequence[sa.Table], *, tenant_id: str | None, partition_key: str, lineage: Lineage
) -> None:
    """Upsert the lineage of (table, tenant, partition) for each table, on the write's own transaction."""
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "table_name": table.fullname,
            "tenant_id": tenant_id or SHARED_TENANT,
            "partition_key": partition_key,
            "asset_key": lineage.asset_keys.get(table.fullname, lineage.asset_key),
            "run_id": lineage.run_id,
            "code_version": lineage.code_version,
            "data_version": lineage.data_version,
            "sources": [s.to_json() for s in lineage.sources],
            "inputs": dict(lineage.inputs),
            "conventions": dict(lineage.conventions),
            "materialized_at": now,
        }
        for table in dict.fromkeys(tables)
    ]
    if not rows:
        return
    statement = insert(lineage_table).values(rows)
    keys = ("table_name", "tenant_id", "partition_key")
    updates = {c.name: statement.excluded[c.name] for c in lineage_table.columns if c.name not in keys}
    conn.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=updates))
