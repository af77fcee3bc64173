"""Write several tables of one partition in a single transaction (delete + COPY), so a file's results never mix."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from psycopg.types.json import Jsonb
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine

from orchestration.core.warehouse import copy_rows


def _cell(value: Any, is_json: bool) -> Any:
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if is_json:
        return Jsonb(value)
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, Decimal | dt.date | str | int | bool):
        return value
    return value


def _rows(frame: pd.DataFrame, columns: Sequence[str], json_columns: set[str]) -> Iterator[list[Any]]:
    flags = [c in json_columns for c in columns]
    for record in frame[list(columns)].itertuples(index=False, name=None):
        yield [_cell(v, f) for v, f in zip(record, flags, strict=True)]


def replace_partitions(
    engine: Engine, frames: Sequence[tuple[sa.Table, pd.DataFrame]], *, tenant_id: str, partition_key: str
) -> dict[str, int]:
    """Replace (tenant, partition) in every table with its frame in one transaction; rows written per table."""
    written: dict[str, int] = {}
    with engine.begin() as conn:
        for table, _ in frames:
            lock = sa.func.hashtextextended(f"{table.fullname}|{tenant_id}|{partition_key}", 0)
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(lock)))
        for table, frame in frames:
            data = frame.assign(tenant_id=tenant_id, partition_key=partition_key)
            names = [c.name for c in table.columns]
            unknown = sorted(set(data.columns) - set(names))
            if unknown:
                raise ValueError(f"{table.fullname}: columns not in the table definition: {unknown}")
            columns = [c for c in names if c in data.columns]
            json_columns = {c.name for c in table.columns if isinstance(c.type, JSONB)}
            conn.execute(table.delete().where(table.c.tenant_id == tenant_id, table.c.partition_key == partition_key))
            written[table.name] = copy_rows(conn, table, columns, _rows(data, columns, json_columns))
    return written
