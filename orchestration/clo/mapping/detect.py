"""Auto-detect: score each column against each canonical field by header aliases and value patterns."""

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

from orchestration.clo import normalize as nz
from orchestration.clo.check_digits import (
    CUSIP_PATTERN,
    FIGI_PATTERN,
    ISIN_PATTERN,
    is_loanx_id,
    is_valid_cusip,
    is_valid_figi,
    is_valid_isin,
)
from orchestration.clo.mapping import terms
from orchestration.clo.mapping.fields import CANONICAL_FIELDS, FIELD_KIND, MIN_CONFIDENCE, SHAPE_ONLY_FIT
from orchestration.core import ratings


def _kind_fit(kind: str, values: Sequence[Any]) -> float:
    """Share of sample values that look like the kind (identifier with valid check digit, rating token, …)."""
    if kind in ("moodys", "sp_fitch"):
        values = [v for v in values if not (isinstance(v, str) and v.strip().upper() in ratings.NOT_RATED)]
    elif kind in _TERM_KINDS:
        values = [v for v in values if not terms.is_blank(kind, v)]
    if not values:
        return 0.5
    hits: float
    if kind == "cusip":
        # A well-formed identifier with a bad check digit still counts (3/4): it is flagged, never dropped.
        cusips = [nz.to_identifier(v, 9) for v in values]
        hits = sum(1.0 if is_valid_cusip(c) else SHAPE_ONLY_FIT * bool(c and CUSIP_PATTERN.match(c)) for c in cusips)
    elif kind == "isin":
        # A FIGI has the ISIN shape too (BBG… could be Barbados): one of the FIGI shape gets no ISIN shape credit.
        isins = [nz.to_upper(v) for v in values]
        hits = sum(
            1.0
            if is_valid_isin(i)
            else SHAPE_ONLY_FIT * bool(i and ISIN_PATTERN.match(i) and not FIGI_PATTERN.match(i))
            for i in isins
        )
    elif kind == "figi":
        figis = [nz.to_identifier(v, 0) for v in values]
        hits = sum(1.0 if is_valid_figi(f) else SHAPE_ONLY_FIT * bool(f and FIGI_PATTERN.match(f)) for f in figis)
    elif kind == "loanx":
        hits = sum(is_loanx_id(nz.to_identifier(v, 0)) for v in values)
    elif kind == "asset_id":
        hits = sum(_is_asset_id(v) for v in values)
    elif kind == "moodys":
        hits = sum(ratings.rating_agency_of(v) == "moodys" for v in values)
    elif kind == "sp_fitch":
        hits = sum(ratings.rating_agency_of(v) == "sp_fitch" for v in values)
    elif kind == "date":
        hits = (
            sum(isinstance(v, dt.date) or (isinstance(v, str) and nz.to_date(v) is not None) for v in values)
            + sum(isinstance(v, int | float) and 20000 < v < 80000 for v in values) * 0.5
        )
    elif kind == "number":
        hits = sum(nz.to_number(v) is not None for v in values)
    elif kind == "bool":
        hits = sum(nz.to_bool(v) is not None for v in values)
    elif kind in _TERM_KINDS:
        normalise = _TERM_KINDS[kind]
        hits = sum(normalise(v) is not None for v in values)
    else:
        hits = sum(isinstance(v, str) and nz.to_number(v) is None for v in values)
    return float(hits) / len(values)


_TERM_KINDS = {"seniority": terms.to_seniority, "asset_type": terms.to_asset_type,
               "moodys_watch": terms.to_watch, "flag": terms.to_flag}  # fmt: skip
"""The holding-term kinds: a sample value fits when its normaliser recognises it."""


def _is_asset_id(value: Any) -> bool:
    """An administrator's asset id: any text, or a whole number (ids typed into Excel become numbers)."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _infer_type(values: Sequence[Any]) -> str:
    """A column's value type for schema drift: number, date, boolean, text or empty."""
    if not values:
        return "empty"
    counts = {"number": 0, "date": 0, "boolean": 0, "text": 0}
    for v in values:
        if isinstance(v, bool):
            counts["boolean"] += 1
        elif isinstance(v, int | float):
            counts["number"] += 1
        elif isinstance(v, dt.date):
            counts["date"] += 1
        elif nz.to_number(v) is not None:
            counts["number"] += 1
        else:
            counts["text"] += 1
    return max(counts.items(), key=lambda kv: kv[1])[0]


def _header_score(name: str, field_name: str, index: dict[str, str], aliases_of: dict[str, set[str]]) -> float:
    """0.95 for an exact alias, 0.75 when the header contains an alias as whole words (or the reverse), else 0."""
    norm = nz.normalize_header(name)
    if not norm:
        return 0.0
    if index.get(norm) == field_name:
        return 0.95
    padded = f" {norm} "
    for alias in aliases_of.get(field_name, ()):
        if len(alias) >= 4 and (f" {alias} " in padded or (len(norm) >= 4 and f" {norm} " in f" {alias} ")):
            return 0.75
    return 0.0


def _json_safe(value: Any) -> Any:
    """A cell as JSON: dates and times in ISO format, durations in seconds, NaN/inf as null."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def _json_safe_column(values: list[Any]) -> list[Any]:
    """`[_json_safe(v) for v in values]`, formatting each distinct date or datetime once."""
    cache: dict[tuple[type, Any], Any] = {}
    out: list[Any] = []
    append = out.append
    for value in values:
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            append(value)
        elif kind is dt.date or kind is dt.datetime:
            key = (kind, value)
            text = cache.get(key)
            if text is None:
                text = cache[key] = value.isoformat()
            append(text)
        else:
            append(_json_safe(value))
    return out


def auto_detect(
    names: list[str],
    samples: list[list[Any]],
    index: dict[str, str],
    fields: Sequence[str] = CANONICAL_FIELDS,
    taken_columns: set[int] | None = None,
) -> dict[str, dict[str, Any]]:
    """Detected field → {column, source_column, confidence, sample_values, method} for unmapped columns."""
    aliases_of: dict[str, set[str]] = {}
    for alias, field_name in index.items():
        aliases_of.setdefault(field_name, set()).add(alias)
    taken = set(taken_columns or ())
    candidates: list[tuple[float, int, str, str]] = []
    for c, name in enumerate(names):
        if c in taken:
            continue
        values = samples[c]
        for field_name in fields:
            kind = FIELD_KIND[field_name]
            fit = _kind_fit(kind, values)
            header = _header_score(name, field_name, index, aliases_of)
            if header > 0:
                confidence = header * (0.5 + 0.5 * fit) + (0.04 if fit > 0.9 else 0.0)
                method = "header_alias" if header >= 0.95 else "header_partial"
            elif kind in ("cusip", "isin", "figi", "loanx") and fit >= 0.8:
                confidence, method = 0.9 * fit, "value_pattern"
            elif kind == "moodys" and fit >= 0.8:
                confidence, method = 0.8 * fit, "value_pattern"
            elif kind == "sp_fitch" and fit >= 0.8:
                confidence, method = (0.6 if field_name == "rating_sp" else 0.55) * fit, "value_pattern"
            elif field_name == "maturity_date" and fit >= 0.8 and any(isinstance(v, dt.date) for v in values):
                confidence, method = 0.6 * fit, "value_pattern"
            else:
                continue
            candidates.append((round(min(confidence, 0.99), 3), c, field_name, method))
    detected: dict[str, dict[str, Any]] = {}
    for confidence, c, field_name, method in sorted(candidates, key=lambda t: (-t[0], t[1])):
        if confidence < MIN_CONFIDENCE or field_name in detected or c in taken:
            continue
        taken.add(c)
        detected[field_name] = {
            "column": c,
            "source_column": names[c],
            "confidence": confidence,
            "sample_values": [_json_safe(v) for v in samples[c][:3]],
            "method": method,
        }
    return detected
