r"""Bulk writes of the large CLO tables (holdings, sheet rows) as pre-formatted COPY text.

Same contract as `orchestration.core.warehouse.replace_partition` — delete and COPY of one (table, tenant,
partition) in one transaction, under the same advisory lock, so the two serialise with each other — but each
column is formatted a column at a time into COPY's text format (tab-separated, `\N` for null, backslash, tab,
newline and carriage return escaped) and written in large chunks with `copy.write`, instead of adapting every
cell with `write_row`; JSON is serialised with orjson when it is installed. For a 60,000-row workbook this is
several times faster (see bench/clo_workbook.py); the same approach could move into the core helper.
"""

import datetime as dt
import decimal
import json
import math
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine

from orchestration.clo.reader import gc_paused

try:
    import orjson

    _ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS

    def _dumps(value: Any) -> str:
        return orjson.dumps(value, option=_ORJSON_OPTIONS).decode()

except ImportError:  # pragma: no cover - orjson comes with the locked dependencies

    def _dumps(value: Any) -> str:
        return json.dumps(value, default=str)


NULL = "\\N"
"""COPY text format's null marker."""
CHUNK_ROWS = 4096
"""Rows formatted and sent per `copy.write` (keeps memory flat while the server parses the previous chunk)."""
_SPECIAL = ("\\", "\t", "\n", "\r")
_TEXT_TYPES = frozenset({str, type(None)})


def _escape(text: str) -> str:
    """A field's text with COPY's special characters escaped."""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text:
        text = text.replace("\t", "\\t")
    if "\n" in text:
        text = text.replace("\n", "\\n")
    if "\r" in text:
        text = text.replace("\r", "\\r")
    return text


def _needs_escape(texts: list[str]) -> bool:
    """Whether any field holds a character COPY's text format escapes (one scan of the joined column)."""
    joined = "\x00".join(texts)
    return any(ch in joined for ch in _SPECIAL)


def _value_text(value: Any) -> str:
    """One non-null cell as psycopg would dump it in COPY text format (before escaping)."""
    kind = type(value)
    if kind is str:
        return value
    if kind is bool:
        return "t" if value else "f"
    if kind is int:
        return str(value)
    if kind is float:
        return repr(value)  # as psycopg dumps floats (inf, -inf; NaN never gets here)
    if isinstance(value, np.generic):
        return _value_text(value.item())
    if isinstance(value, pd.Timestamp):
        return str(value.to_pydatetime())
    if isinstance(value, dt.date | dt.time | decimal.Decimal):
        return str(value)
    if isinstance(value, dict | list):
        return _dumps(value)
    return str(value)


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    return type(value) is float and math.isnan(value)


def _json_texts(values: list[Any]) -> list[str]:
    out: list[str] = []
    append = out.append
    dumps = _dumps
    for value in values:
        if value is None or (type(value) is float and math.isnan(value)):
            append(NULL)
        elif isinstance(value, str):
            append(dumps(json.loads(value)))
        else:
            append(dumps(value))
    # orjson escapes control characters inside strings; only its backslashes need doubling for COPY.
    return [t.replace("\\", "\\\\") if "\\" in t else t for t in out]


def column_texts(series: pd.Series, is_json: bool) -> list[str]:
    r"""One column as COPY text fields (escaped, `\N` for every kind of missing)."""
    if is_json:
        return _json_texts(series.tolist())
    kind = series.dtype
    if kind == np.float64 or kind == np.float32:
        return [NULL if v != v else repr(v) for v in series.tolist()]
    if kind == np.int64 or kind == np.int32:
        return list(map(str, series.tolist()))
    if kind == np.bool_:
        return ["t" if v else "f" for v in series.tolist()]
    if isinstance(kind, pd.DatetimeTZDtype) or kind.kind == "M":
        return [NULL if v is pd.NaT else str(v.to_pydatetime()) for v in series.tolist()]
    values = series.tolist()
    if isinstance(kind, pd.api.extensions.ExtensionDtype):
        values = [None if v is pd.NA else v for v in values]
    if set(map(type, values)) <= _TEXT_TYPES:
        present = [v for v in values if v is not None]
        if _needs_escape(present):
            return [NULL if v is None else _escape(v) for v in values]
        return [NULL if v is None else v for v in values]
    texts = [None if _is_missing(v) else _value_text(v) for v in values]
    present = [t for t in texts if t is not None]
    if _needs_escape(present):
        return [NULL if t is None else _escape(t) for t in texts]
    return [NULL if t is None else t for t in texts]


def _copy_text(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame, columns: list[str]) -> int:
    """COPY the frame's columns on the connection's open transaction, formatting and sending a chunk at a time.

    The server parses one chunk while the next is formatted here, so the two overlap.
    """
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSONB)}
    cols = ", ".join(f'"{c}"' for c in columns)
    raw = conn.connection.driver_connection
    assert raw is not None
    count = len(frame)
    with raw.cursor() as cur, cur.copy(f'COPY "{table.schema}"."{table.name}" ({cols}) FROM STDIN') as copy:
        for start in range(0, count, CHUNK_ROWS):
            chunk = frame.iloc[start : start + CHUNK_ROWS]
            fields = [column_texts(chunk[c], c in json_columns) for c in columns]
            copy.write("".join(["\t".join(row) + "\n" for row in zip(*fields, strict=True)]))
    return count


def replace_partition_fast(
    engine: Engine, table: sa.Table, frame: pd.DataFrame, *, tenant_id: str, partition_key: str
) -> int:
    """Replace every row of (table, tenant, partition) with `frame` in one transaction; return rows written."""
    frame = frame.assign(tenant_id=tenant_id, partition_key=partition_key)
    table_columns = [c.name for c in table.columns]
    unknown = sorted(set(frame.columns) - set(table_columns))
    if unknown:
        raise ValueError(f"{table.fullname}: columns not in the table definition: {unknown}")
    columns = [c for c in table_columns if c in frame.columns]
    with engine.begin() as conn:
        conn.execute(
            sa.select(
                sa.func.pg_advisory_xact_lock(
                    sa.func.hashtextextended(f"{table.fullname}|{tenant_id}|{partition_key}", 0)
                )
            )
        )
        conn.execute(table.delete().where(table.c.tenant_id == tenant_id, table.c.partition_key == partition_key))
        with gc_paused():
            return _copy_text(conn, table, frame, columns)
