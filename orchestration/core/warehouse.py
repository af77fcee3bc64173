"""The one way Python writes to the warehouse: replace a partition's rows atomically, loading with COPY."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from psycopg.types.json import Jsonb
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine


def _cell(value: Any, is_json: bool) -> Any:
    """Turn one pandas/numpy cell into what psycopg's COPY adapts (None for every kind of missing)."""
    if is_json:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        return Jsonb(json.loads(value) if isinstance(value, str) else value)
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float | np.floating) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, dt.datetime | dt.date | decimal.Decimal | str | int | float | bool):
        return value
    if isinstance(value, Mapping | list):
        return Jsonb(value)
    return value


def _rows(frame: pd.DataFrame, columns: Sequence[str], json_columns: set[str]) -> Iterator[list[Any]]:
    flags = [c in json_columns for c in columns]
    for record in frame[list(columns)].itertuples(index=False, name=None):
        yield [_cell(v, f) for v, f in zip(record, flags, strict=True)]


def copy_rows(conn: Connection, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Bulk-load rows with COPY FROM STDIN on the connection's open transaction."""
    cols = ", ".join(f'"{c}"' for c in columns)
    count = 0
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f'COPY "{table.schema}"."{table.name}" ({cols}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def replace_partition(
    engine: Engine,
    table: sa.Table,
    frame: pd.DataFrame,
    *,
    tenant_id: str,
    partition_key: str,
) -> int:
    """Replace every row of (table, tenant, partition) with `frame` in one transaction; return rows written.

    Concurrent writers of the same partition are serialised by an advisory lock; on any error the
    transaction rolls back and the previous rows stay as they were.
    """
    frame = frame.assign(tenant_id=tenant_id, partition_key=partition_key)
    table_columns = [c.name for c in table.columns]
    unknown = sorted(set(frame.columns) - set(table_columns))
    if unknown:
        raise ValueError(f"{table.fullname}: columns not in the table definition: {unknown}")
    columns = [c for c in table_columns if c in frame.columns]
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSONB)}
    with engine.begin() as conn:
        conn.execute(
            sa.select(
                sa.func.pg_advisory_xact_lock(
                    sa.func.hashtextextended(f"{table.fullname}|{tenant_id}|{partition_key}", 0)
                )
            )
        )
        conn.execute(table.delete().where(table.c.tenant_id == tenant_id, table.c.partition_key == partition_key))
        return copy_rows(conn, table, columns, _rows(frame, columns, json_columns))


def read_partition(engine: Engine, table: sa.Table, *, tenant_id: str, partition_key: str) -> pd.DataFrame:
    """Read back one partition's rows (ordered by the table's columns) for downstream assets and tests."""
    query = sa.select(table).where(table.c.tenant_id == tenant_id, table.c.partition_key == partition_key)
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(), columns=[c.name for c in table.columns])
