"""Per-field transforms and validation rules (type failures, profile rules), applied column-wise to mapped values."""

import hashlib
import itertools
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from orchestration.clo import normalize as nz
from orchestration.clo.mapping import terms
from orchestration.clo.mapping.detect import _json_safe
from orchestration.clo.mapping.fields import FIELD_KIND, NUMERIC_FIELDS, RATING_AGENCY, SAMPLE_SIZE, MappingProfile
from orchestration.core import ratings


def _transform_for(field_name: str, transform: str | None) -> Callable[[Any], Any]:
    """The profile's transform followed by the field's canonicaliser (identifiers, ratings, country, flags, terms)."""
    if field_name == "cusip":
        return lambda v: nz.to_identifier(v, 9)
    if field_name == "isin":
        return lambda v: nz.to_identifier(v, 12)
    if field_name in ("loanx_id", "figi"):
        return lambda v: nz.to_identifier(v, 0)
    if field_name == "asset_id":
        return nz.to_upper
    if field_name in RATING_AGENCY:
        agency = RATING_AGENCY[field_name]
        return lambda v: ratings.normalize_rating(v, agency)
    if field_name == "country":
        return nz.to_country
    if field_name == "is_defaulted":
        return nz.to_bool
    if field_name in terms.NORMALISERS:
        return terms.NORMALISERS[field_name]
    if field_name == "maturity_date":
        return nz.to_date
    if field_name in NUMERIC_FIELDS:
        return nz.TRANSFORMS[transform] if transform in ("to_number", "to_decimal", "to_integer") else nz.to_number
    if field_name == "currency":
        return nz.to_upper
    return nz.TRANSFORMS[transform] if transform in ("trim", "upper") else nz.to_text


_UNIT_FIXES = {"spread": "percent_to_bps", "price": "fraction_to_percent", "purchase_price": "fraction_to_percent",
               "coupon": "fraction_to_percent"}  # fmt: skip
"""The name of `_rescale`'s unit fix of each field (a whole column multiplied by 100)."""


def transform_name(field_name: str, transform: str | None, rescaled: bool = False) -> str:
    """The short stable name of what `_transform_for` (then `_rescale`) does to a field's cell (docs/clo.md).

    identifier[:cusip|:isin] (trimmed, upper case, spaces removed; an all-digit CUSIP/ISIN zero-padded), upper,
    text, rating:<agency>, country, bool, flag, seniority, asset_type, watch, date, number, integer, and for a
    column rescaled by 100 percent_to_bps / fraction_to_percent (`integer+…` when rounded first).
    """
    if field_name in _IDENTIFIER_WIDTH:
        return {"cusip": "identifier:cusip", "isin": "identifier:isin"}.get(field_name, "identifier")
    if field_name in RATING_AGENCY:
        return f"rating:{RATING_AGENCY[field_name]}"
    if field_name in terms.NORMALISERS:
        return "flag" if field_name in terms.FLAG_FIELDS else {"moodys_watch": "watch"}.get(field_name, field_name)
    if field_name in NUMERIC_FIELDS:
        base = "integer" if transform == "to_integer" else "number"
        if not rescaled:
            return base
        return _UNIT_FIXES[field_name] if base == "number" else f"{base}+{_UNIT_FIXES[field_name]}"
    return _NAMED.get(field_name, "upper" if transform == "upper" else "text")


_NAMED = {"asset_id": "upper", "currency": "upper", "country": "country", "is_defaulted": "bool",
          "maturity_date": "date"}  # fmt: skip
"""The transform names of the fields with a fixed canonicaliser not named by their kind."""


_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})
"""Cell types stored in raw_data as they are (the readers never produce NaN or infinities)."""


_MISSING = object()
_IDENTIFIER_WIDTH = {"cusip": 9, "isin": 12, "loanx_id": 0, "figi": 0}
"""Identifier fields normalised a column at a time (`nz.to_identifiers`: trimmed, upper case, spaces removed),
with the width an all-digit value is zero-padded to (0: never; only a CUSIP read as a number lost its zeros)."""


def _object_array(values: list[Any]) -> np.ndarray:
    """A list of scalars or dicts as a 1-D object array (pandas keeps it as is, without inferring a dtype)."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _text_column(values: list[Any]) -> Any:
    """Text-or-None columns as object arrays (what pandas makes of them anyway); other lists as they are."""
    return _object_array(values) if set(map(type, values)) <= _TEXT_OR_NONE else values


_TEXT_OR_NONE = frozenset({str, type(None)})


def _holding_ids(workbook_id: str, sheet: str, row_index: list[int]) -> list[str]:
    """`[holding_id(workbook_id, sheet, r) for r in row_index]`: uuid5 digests with the version bits set in numpy."""
    from orchestration.core.ids import NAMESPACE

    prefix = hashlib.sha1(NAMESPACE.bytes + f"{workbook_id}:{sheet}:".encode(), usedforsecurity=False)
    digests = bytearray()
    for r in row_index:
        one = prefix.copy()
        one.update(str(r).encode())
        digests += one.digest()[:16]
    raw = np.frombuffer(bytes(digests), dtype=np.uint8).reshape(len(row_index), 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x50
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    h = raw.tobytes().hex()
    return [
        f"{h[i : i + 8]}-{h[i + 8 : i + 12]}-{h[i + 12 : i + 16]}-{h[i + 16 : i + 20]}-{h[i + 20 : i + 32]}"
        for i in range(0, len(h), 32)
    ]


def _columns(rows: list[list[Any]], width: int) -> list[list[Any]]:
    """Rows transposed to `width` columns (short rows padded with None, cells beyond `width` dropped)."""
    if not rows:
        return [[] for _ in range(width)]
    if all(len(row) == width for row in rows):
        columns = list(map(list, zip(*rows, strict=True)))
    else:
        columns = list(map(list, itertools.zip_longest(*rows)))[:width]
    return columns + [[None] * len(rows) for _ in range(width - len(columns))]


def _apply(function: Callable[[Any], Any], raw: list[Any], *, fast_float: bool) -> list[Any]:
    """`[function(v) for v in raw]`, memoised per distinct value, floats passed straight through for numbers."""
    none_value = function(None)
    kinds = set(map(type, raw))
    if fast_float and kinds <= {float, type(None)}:
        return [none_value if v is None or v != v else v for v in raw]
    sample = raw[:SAMPLE_SIZE]
    if len(set(map(repr, sample))) > 0.5 * len(sample):
        return [none_value if v is None else function(v) for v in raw]
    if bool not in kinds:
        # One call per distinct value; like the cache below, the first of equal values (1 and 1.0) stands for all.
        table = {value: function(value) for value in set(raw) if value is not None}
        table[None] = none_value
        return list(map(table.__getitem__, raw))
    cache: dict[Any, Any] = {}
    get = cache.get
    out: list[Any] = []
    append = out.append
    for value in raw:
        if value is None:
            append(none_value)
        elif type(value) is bool:
            append(function(value))
        else:
            result = get(value, _MISSING)
            if result is _MISSING:
                result = cache[value] = function(value)
            append(result)
    return out


def _median(values: list[float]) -> float | None:
    """The upper median (the middle element of the sorted values)."""
    numbers = np.array(values, dtype=float)
    if numbers.size == 0:
        return None
    middle = numbers.size // 2
    return float(np.partition(numbers, middle)[middle])


def _rescale(columns: dict[str, list[Any]], notes: list[str]) -> set[str]:
    """Unit fixes: (purchase) prices as a fraction of par → percent; spreads in percent → bps; coupons as fractions.

    Returns the fields rescaled.
    """
    rules = (("price", 2.0, 100.0, "price looked like a fraction of par; multiplied by 100"),
             ("purchase_price", 2.0, 100.0, "purchase price looked like a fraction of par; multiplied by 100"),
             ("spread", 20.0, 100.0, "spread looked like percent; converted to bps (x100)"),
             ("coupon", 1.0, 100.0, "coupon looked like a fraction; converted to percent (x100)"))  # fmt: skip
    rescaled: set[str] = set()
    for field_name, ceiling, factor, note in rules:
        values = columns.get(field_name)
        if not values:
            continue
        median = _median([v for v in values if v is not None and v != 0])
        if median is not None and 0 < abs(median) <= ceiling:
            columns[field_name] = [v * factor if v is not None else None for v in values]
            notes.append(note)
            rescaled.add(field_name)
    return rescaled


def _rule_failures(rule: dict[str, Any], values: list[Any], row_index: list[int]) -> list[int]:
    """Row numbers whose value breaks one profile validation rule (blank values only break `required`)."""
    kind = rule.get("rule")
    if kind in ("positive", "range") and all(v is None or type(v) is float for v in values):
        numbers = np.array(values, dtype=float)
        with np.errstate(invalid="ignore"):
            if kind == "positive":
                failed = ~np.isnan(numbers) & ~(numbers > 0)
            else:
                low, high = rule.get("min", -math.inf), rule.get("max", math.inf)
                failed = ~np.isnan(numbers) & ((numbers < low) | (numbers > high))
        return [row_index[i] for i in np.flatnonzero(failed)]
    bad: list[int] = []
    pattern = re.compile(str(rule.get("pattern", ".*")))
    seen: dict[str, bool] = {}
    for value, row in zip(values, row_index, strict=True):
        if kind == "required":
            broken = value is None or value == ""
        elif value is None:
            continue
        elif kind == "positive":
            broken = not (isinstance(value, int | float) and value > 0)
        elif kind == "range":
            low, high = rule.get("min", -math.inf), rule.get("max", math.inf)
            broken = not (isinstance(value, int | float) and low <= value <= high)
        elif kind == "regex":
            matched = seen.get(value) if type(value) is str else None
            if matched is None:
                matched = bool(pattern.fullmatch(str(value)))
                if type(value) is str:
                    seen[value] = matched
            broken = not matched
        else:
            continue
        if broken:
            bad.append(row)
    return bad


def _failure(field_name: str, rule: str, rows: list[int], samples: list[Any], **extra: Any) -> dict[str, Any]:
    return {
        "field": field_name,
        "rule": rule,
        "failed_count": len(rows),
        "rows": rows[:20],
        "sample_values": [_json_safe(v) for v in samples[:5]],
        **extra,
    }


def _type_failure(field_name: str, raw: list[Any], values: list[Any], row_index: list[int]) -> dict[str, Any] | None:
    """The `type` failure of the non-blank cells a field could not read, or None.

    Not-rated tokens pass for ratings, not-on-review labels for moodys_watch; a keyword field's failure also lists
    the values it allows (`terms.VOCABULARIES`).
    """
    if None not in values:
        return None
    bad = [(r, v) for r, v, out in zip(row_index, raw, values, strict=True) if out is None and not nz.is_blank(v)]
    if field_name in RATING_AGENCY:
        bad = [(r, v) for r, v in bad if str(v).strip().upper() not in ratings.NOT_RATED]
    elif field_name in terms.NORMALISERS:
        bad = [(r, v) for r, v in bad if not terms.is_blank(field_name, v)]
    if not bad:
        return None
    allowed = {"allowed": list(terms.VOCABULARIES[field_name])} if field_name in terms.VOCABULARIES else {}
    return _failure(
        field_name, "type", [r for r, _ in bad], [v for _, v in bad], kind=FIELD_KIND[field_name], **allowed
    )


def _profile_rule_failures(
    profile: MappingProfile | None, columns: dict[str, list[Any]], row_index: list[int]
) -> list[dict[str, Any]]:
    """One failure per profile validation rule that some rows break (rules on unknown fields are ignored)."""
    failures: list[dict[str, Any]] = []
    for rule in profile.validation_rules if profile else ():
        field_name = str(rule.get("field"))
        if field_name not in columns:
            continue
        rows = _rule_failures(rule, columns[field_name], row_index)
        if rows:
            lookup = dict(zip(row_index, columns[field_name], strict=True))
            extra = {k: v for k, v in rule.items() if k not in ("field", "rule")}
            failures.append(_failure(field_name, str(rule["rule"]), rows, [lookup[r] for r in rows], **extra))
    return failures
