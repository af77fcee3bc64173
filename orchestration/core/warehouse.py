"""The one way Python writes to the warehouse: replace one partition's rows in several tables in one transaction.

Every asset that writes calls `replace_partitions` once with all its tables, so a reader sees either the whole
new version of a partition or the whole previous one — never a mix — whatever kills the run (an input error,
SIGKILL, a lost connection). Rows go in with COPY in text format, encoded a column at a time
(`orchestration.core.copy_text`). Writers of the same (table, tenant, partition) serialise on one advisory
lock per table, taken in a fixed order so two multi-table writers can never deadlock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine

from orchestration.core.copy_text import encode_rows, gc_paused
from orchestration.core.events import Event
from orchestration.core.events import append as append_events
from orchestration.core.lineage import Lineage
from orchestration.core.lineage import record as record_lineage
from orchestration.core.lineage import resolve as resolve_lineage

ALL_TENANTS = None
"""`tenant_id=ALL_TENANTS`: the partition is shared by every tenant (a trading day); frames carry tenant_id."""

Frames = Mapping[sa.Table, pd.DataFrame] | Sequence[tuple[sa.Table, pd.DataFrame]]


@contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[None]:
    """Hold the session advisory lock `name` on its own connection for the block: one holder at a time.

    Serialises work that is not a partition write, such as dbt builds (two at once collide on the relations
    they create). The lock goes with the connection, so a killed holder never leaves it taken.
    """
    key = sa.func.hashtextextended(f"calcbridge|{name}", 0)
    with engine.connect() as conn:
        conn.execute(sa.select(sa.func.pg_advisory_lock(key)))
        conn.commit()
        try:
            yield
        finally:
            conn.execute(sa.select(sa.func.pg_advisory_unlock(key)))
            conn.commit()


def lock_key(table: sa.Table, tenant_id: str | None, partition_key: str) -> str:
    """The advisory-lock name of one (table, tenant, partition); `*` stands for every tenant."""
    return f"{table.fullname}|{tenant_id or '*'}|{partition_key}"


def lock_partition(conn: Connection, tables: Sequence[sa.Table], *, tenant_id: str | None, partition_key: str) -> None:
    """Take the transaction-scoped advisory lock of (table, tenant, partition) for every table, in name order."""
    for table in sorted(set(tables), key=lambda t: t.fullname):
        key = lock_key(table, tenant_id, partition_key)
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(key, 0))))


def _columns(table: sa.Table, frame: pd.DataFrame) -> list[str]:
    """The table's columns present in the frame (in table order); unknown frame columns are an error."""
    names = [c.name for c in table.columns]
    unknown = sorted(set(frame.columns) - set(names))
    if unknown:
        raise ValueError(f"{table.fullname}: columns not in the table definition: {unknown}")
    return [c for c in names if c in frame.columns]


def copy_frame(conn: Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    """COPY the frame into the table on the connection's open transaction; return the rows written.

    A connection with a `schema_translate_map` (a `calcbridge reproduce` scratch copy) writes the mapped schema.
    """
    columns = _columns(table, frame)
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSONB)}
    names = ", ".join(f'"{c}"' for c in columns)
    schema = conn.get_execution_options().get("schema_translate_map", {}).get(table.schema, table.schema)
    raw = conn.connection.driver_connection
    assert raw is not None
    with gc_paused(), raw.cursor() as cur, cur.copy(f'COPY "{schema}"."{table.name}" ({names}) FROM STDIN') as cp:
        for text in encode_rows(frame, columns, json_columns):
            cp.write(text)
    return len(frame)


def replace_partitions(
    engine: Engine,
    frames: Frames,
    *,
    tenant_id: str | None,
    partition_key: str,
    also: Callable[[Connection], None] | None = None,
    scopes: Mapping[sa.Table, sa.ColumnElement[bool]] | None = None,
    events: Sequence[Event] = (),
    lineage: Lineage | None = None,
) -> dict[sa.Table, int]:
    """Replace (tenant, partition) in every table with its frame in one transaction; rows written per table.

    `also` runs further statements (a status row, an event) inside the same transaction. `scopes` narrows a
    table's delete further, for tables that several domains write under the same partition key (the three
    statement domains share the reconciliation tables). Tables are replaced in the order given. On any error
    the transaction rolls back and every table keeps its previous rows. `events` go into the outbox in the same
    transaction (`core/events.py`; a partition shared by every tenant announces nothing). The partition's
    `lineage` (`core/lineage.py`; by default the running step's) is recorded for every table in the same
    transaction.
    """
    items = list(frames.items()) if isinstance(frames, Mapping) else list(frames)
    with engine.begin() as conn:
        lock_partition(conn, [t for t, _ in items], tenant_id=tenant_id, partition_key=partition_key)
        written: dict[sa.Table, int] = {}
        for table, frame in items:
            scope = table.c.partition_key == partition_key
            if scopes and table in scopes:
                scope = sa.and_(scope, scopes[table])
            if tenant_id is not ALL_TENANTS:
                scope = sa.and_(scope, table.c.tenant_id == tenant_id)
                frame = frame.assign(tenant_id=tenant_id)
            conn.execute(table.delete().where(scope))
            written[table] = copy_frame(conn, table, frame.assign(partition_key=partition_key))
        record_lineage(
            conn,
            [t for t, _ in items],
            tenant_id=tenant_id,
            partition_key=partition_key,
            lineage=resolve_lineage(lineage),
        )
        if also is not None:
            also(conn)
        if events and tenant_id is not ALL_TENANTS:
            append_events(conn, tenant_id, events, partition_key=partition_key)
    return written


def replace_partition(
    engine: Engine, table: sa.Table, frame: pd.DataFrame, *, tenant_id: str | None, partition_key: str
) -> int:
    """`replace_partitions` for an asset that writes one table."""
    return replace_partitions(engine, [(table, frame)], tenant_id=tenant_id, partition_key=partition_key)[table]


def read_partition(engine: Engine, table: sa.Table, *, tenant_id: str, partition_key: str) -> pd.DataFrame:
    """Read back one partition's rows (ordered by the table's columns) for downstream assets and tests."""
    query = sa.select(table).where(table.c.tenant_id == tenant_id, table.c.partition_key == partition_key)
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(), columns=[c.name for c in table.columns])
