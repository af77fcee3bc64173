r"""COPY's text format, a column at a time: the encoder every warehouse write uses (no database here).

Each column is formatted at once into COPY text fields (`\N` for every kind of null; backslash, tab, newline
and carriage return escaped) instead of adapting every cell with psycopg's `write_row`; JSON is serialised with
orjson. For a 60,000-row workbook this is several times faster than per-cell adaptation (bench/clo_workbook.py).

Only finite numbers are written: a top-level float NaN is pandas' missing value and becomes NULL, but an infinity
in any column, a NaN or infinite Decimal, and a NaN or infinity anywhere inside a JSON document (which orjson
would silently turn into null) raise a typed VALIDATION_ERROR naming the column and row.
"""

import datetime as dt
import decimal
import gc
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import repeat
from operator import countOf
from typing import Any

import numpy as np
import pandas as pd

from orchestration.core.errors import InputError

try:
    import orjson

    _ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS

    def _dumps(value: Any) -> str:
        return orjson.dumps(value, option=_ORJSON_OPTIONS).decode()

except ImportError:  # pragma: no cover - orjson comes with the locked dependencies

    def _dumps(value: Any) -> str:
        return json.dumps(value, default=str, allow_nan=False)


NULL = "\\N"
"""COPY text format's null marker."""
CHUNK_ROWS = 4096
"""Rows formatted and sent per `copy.write` (keeps memory flat while the server parses the previous chunk)."""
_SPECIAL = ("\\", "\t", "\n", "\r")
_TEXT_TYPES = frozenset({str, type(None)})
_CONTAINERS = frozenset({dict, list, tuple})
_JSON_INT = (-(2**63), 2**64 - 1)
"""The integers orjson serialises (it refuses larger ones; jsonb would take them, but never from us)."""


class _UnfitError(ValueError):
    """A value no column may receive (NaN, an infinity, an integer orjson cannot hold), with the reason."""


def unfit(value: Any) -> str | None:
    """Why the encoder refuses a cell (a JSON document is searched through); None when it writes it.

    A top-level float NaN is pandas' missing value (NULL); a NaN inside a document or a NaN Decimal is refused.
    """
    if type(value) is float and value != value:
        return None
    return _unfit(value)


def _unfit(value: Any) -> str | None:
    kind = type(value)
    if kind is float or isinstance(value, float | np.floating):
        return None if math.isfinite(value) else f"{float(value)!r} is not a finite number"
    if kind is int or (isinstance(value, int | np.integer) and kind is not bool):
        return (
            None
            if _JSON_INT[0] <= value <= _JSON_INT[1]
            else f"an integer of {len(str(abs(int(value))))} digits is beyond 64 bits"
        )
    if isinstance(value, decimal.Decimal):
        return None if value.is_finite() else f"Decimal {value} is not a finite number"
    if kind is dict:
        return next(filter(None, map(_unfit, [*value.keys(), *value.values()])), None)
    if kind is list or kind is tuple:
        return next(filter(None, map(_unfit, value)), None)
    return None


def _refused(series: pd.Series, position: int, why: str) -> InputError:
    """The typed error for the value at `position` of the column (row = the frame's index label)."""
    column, row = str(series.name), series.index[position]
    return InputError(
        "VALIDATION_ERROR",
        f"column {column!r}, row {row}: {why} (only finite numbers are written)",
        f"column {column}, row {row}",
        {"column": column, "row": row.item() if isinstance(row, np.generic) else row, "reason": why},
    )


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
        if not math.isfinite(value):  # NaN never gets here (it is missing)
            raise _UnfitError(f"{value!r} is not a finite number")
        return repr(value)
    if isinstance(value, np.generic):
        return _value_text(value.item())
    if isinstance(value, pd.Timestamp):
        return str(value.to_pydatetime())
    if isinstance(value, decimal.Decimal) and not value.is_finite():
        raise _UnfitError(f"Decimal {value} is not a finite number")
    if isinstance(value, dt.date | dt.time | decimal.Decimal):
        return str(value)
    if isinstance(value, dict | list):
        return _json_text(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()  # bytea hex input; the backslash is escaped with the rest
    return str(value)


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    return type(value) is float and math.isnan(value)


def _refuse_constant(name: str) -> Any:
    raise _UnfitError(f"JSON text holds {name}")


def _document(value: Any) -> Any:
    """A JSON column's cell as a document: JSON text is parsed (refusing NaN and Infinity), anything else kept."""
    return json.loads(value, parse_constant=_refuse_constant) if isinstance(value, str) else value


def _json_text(value: Any) -> str:
    """One document (in a column that is not jsonb) as JSON text; `_UnfitError` when it holds what does not fit."""
    if (why := _unfit(value)) is not None:
        raise _UnfitError(why)
    return _dumps(value)


def _nulls_accounted(values: list[Any], texts: list[str]) -> bool:
    """Whether every `null` written is a top-level None of its document, counted in C over the whole column.

    orjson writes NaN and infinities as null; when the nulls written equal the Nones at the documents' top level,
    none of them hid a NaN or an infinity (a "null" inside a string only makes the counts differ: then search).
    """
    written = sum(map(str.count, texts, repeat("null")))
    if not written:
        return True
    tops = [v.values() if type(v) is dict else v for v in values if type(v) in _CONTAINERS]
    return written == sum(map(countOf, tops, repeat(None)))


def _refuse_unfit_document(series: pd.Series, values: list[Any]) -> None:
    """Raise the typed error for the first document holding a NaN, an infinity or an integer beyond 64 bits."""
    for position, value in enumerate(values):
        if value is None or (type(value) is float and value != value):
            continue
        try:
            why = _unfit(_document(value))
        except _UnfitError as error:
            why = str(error)
        if why is not None:
            raise _refused(series, position, why)


def _json_texts(series: pd.Series) -> list[str]:
    values = series.tolist()
    dumps = _dumps
    try:
        out = [
            NULL if v is None or (type(v) is float and v != v) else dumps(_document(v) if type(v) is str else v)
            for v in values
        ]
    except (TypeError, ValueError):  # orjson refuses integers beyond 64 bits; JSON text may hold NaN
        _refuse_unfit_document(series, values)
        raise
    if not _nulls_accounted(values, out):
        _refuse_unfit_document(series, values)
    # orjson escapes control characters inside strings; only its backslashes need doubling for COPY.
    return [t.replace("\\", "\\\\") if "\\" in t and t != NULL else t for t in out]


def _value_texts(series: pd.Series, values: list[Any]) -> list[str | None]:
    """Every cell of an object column through `_value_text` (None for missing), refusing what does not fit."""
    texts: list[str | None] = []
    append = texts.append
    for position, value in enumerate(values):
        try:
            append(None if _is_missing(value) else _value_text(value))
        except _UnfitError as error:
            raise _refused(series, position, str(error)) from None
    return texts


def column_texts(series: pd.Series, is_json: bool) -> list[str]:
    r"""One column as COPY text fields (escaped, `\N` for every kind of missing)."""
    if is_json:
        return _json_texts(series)
    kind = series.dtype
    if kind == np.float64 or kind == np.float32:
        infinite = np.isinf(series.to_numpy())
        if infinite.any():
            position = int(np.flatnonzero(infinite)[0])
            raise _refused(series, position, f"{float(series.iloc[position])!r} is not a finite number")
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
    texts = _value_texts(series, values)
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
