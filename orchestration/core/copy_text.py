r"""COPY's text format, a column at a time: the encoder every warehouse write uses (no database here).

Each column is formatted at once into COPY text fields (`\N` for every kind of null; backslash, tab, newline
and carriage return escaped) instead of adapting every cell with psycopg's `write_row`; JSON is serialised with
orjson (NaN and infinities become JSON null, which Postgres' jsonb accepts). For a 60,000-row workbook this is
several times faster than per-cell adaptation (bench/clo_workbook.py).
"""

import datetime as dt
import decimal
import gc
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

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
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()  # bytea hex input; the backslash is escaped with the rest
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
    return [t.replace("\\", "\\\\") if "\\" in t and t != NULL else t for t in out]


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


def encode_rows(frame: pd.DataFrame, columns: list[str], json_columns: set[str]) -> Iterator[str]:
    """The frame's rows as COPY text, `CHUNK_ROWS` lines per string, so memory stays flat for large frames."""
    for start in range(0, len(frame), CHUNK_ROWS):
        chunk = frame.iloc[start : start + CHUNK_ROWS]
        fields = [column_texts(chunk[c], c in json_columns) for c in columns]
        yield "".join(["\t".join(row) + "\n" for row in zip(*fields, strict=True)])


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many containers (rows, cells, dicts).

    Nothing built here forms reference cycles, but each generation-0 threshold crossed would otherwise scan the
    ever-growing young objects again; for a 60,000-row sheet that is a good part of the time. Restored on exit.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
