"""Map a parsed workbook's holdings sheet onto CalcBridge's canonical holding columns.

A mapping profile (assets_config/mappings/*.yaml, seed 000's shape) names the source column and transform of
each canonical field; without one, or for the fields a profile's columns do not cover, columns are
auto-detected from normalised headers (alias dictionaries in assets_config/mappings/aliases/) and value
patterns (CUSIP/ISIN check digits, each agency's rating tokens, dates, numbers), each with a confidence 0–1.
The holdings sheet and its header row are found by content, so headers need not be on row 1; merged header
cells are spread over their range; blank rows and total rows are skipped and counted.
"""

import datetime as dt
import hashlib
import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from orchestration.clo import normalize as nz
from orchestration.clo.check_digits import (
    CUSIP_PATTERN,
    ISIN_PATTERN,
    cusip_flags,
    is_valid_cusip,
    is_valid_isin,
    isin_flags,
)
from orchestration.clo.reader import ParsedSheet, ParsedWorkbook, gc_paused
from orchestration.core import ratings
from orchestration.core.errors import InputError
from orchestration.core.settings import PROJECT_ROOT

MAPPINGS_DIR = PROJECT_ROOT / "assets_config" / "mappings"
ALIASES_DIR = MAPPINGS_DIR / "aliases"

CANONICAL_FIELDS: tuple[str, ...] = (
    "cusip", "isin", "issuer_name", "par_amount", "market_value", "price", "spread", "coupon",
    "accrued_interest", "rating_moodys", "rating_sp", "rating_fitch", "maturity_date", "industry",
    "country", "currency", "is_defaulted", "asset_type",
)  # fmt: skip
"""Canonical holding fields, in table order (analytics.clo_holdings adds ids, sheet, row_index, raw_data)."""
NUMERIC_FIELDS = ("par_amount", "market_value", "price", "spread", "coupon", "accrued_interest")
TEXT_FIELDS = ("issuer_name", "industry", "country", "currency", "asset_type")
RATING_AGENCY = {"rating_moodys": "moodys", "rating_sp": "sp", "rating_fitch": "fitch"}
HOLDING_COLUMNS: tuple[str, ...] = (
    "workbook_id", "holding_id", "sheet", "row_index", *CANONICAL_FIELDS, "raw_data", "cusip_valid", "isin_valid",
)  # fmt: skip
"""Columns of `HoldingsExtraction.holdings` (the table's, less tenant_id and partition_key)."""

FIELD_KIND: dict[str, str] = {
    "cusip": "cusip", "isin": "isin", "issuer_name": "text", "par_amount": "number", "market_value": "number",
    "price": "number", "spread": "number", "coupon": "number", "accrued_interest": "number",
    "rating_moodys": "moodys", "rating_sp": "sp_fitch", "rating_fitch": "sp_fitch", "maturity_date": "date",
    "industry": "text", "country": "text", "currency": "text", "is_defaulted": "bool", "asset_type": "text",
}  # fmt: skip
"""The kind of values each field expects, compared with a column's sample values."""

HOLDINGS_SHEET_WORDS = ("holding", "position", "portfolio", "collateral", "asset", "loan", "security")
HEADER_SCAN_ROWS = 40
SAMPLE_SIZE = 200
SAMPLE_ROWS = 5000
MIN_CONFIDENCE = 0.5
SHAPE_ONLY_FIT = 0.75
"""Credit for an identifier of the right shape whose check digit fails (a typo, not another kind of column)."""
_TOTAL_START = frozenset("TtGgSs \t")
"""First characters a total row's label can start with (checked before the regex, which is slower)."""
_TOTAL_ROW = re.compile(r"^\s*(grand\s+)?(sub\s*-?\s*)?totals?\b|^\s*sum\b", re.IGNORECASE)
_DATE_LABEL = re.compile(r"\b(as\s*of|as-of|report(ing)?\s+date|determination\s+date|valuation\s+date)\b", re.I)


@dataclass(frozen=True)
class FieldMapping:
    """A canonical field's source column and transform in a profile."""

    source: str
    transform: str | None = None


@dataclass(frozen=True)
class MappingProfile:
    """A mapping profile (seed 000 Mapping Profile Response) loaded from YAML."""

    id: str
    name: str
    description: str
    version: int
    mappings: dict[str, FieldMapping]
    alias_profile: str | None
    validation_rules: tuple[dict[str, Any], ...]
    sheet: str | None = None
    created_at: str | None = None
    updated_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The profile as the API returns it."""
        out = asdict(self)
        out["validation_rules"] = list(self.validation_rules)
        return out


@dataclass(frozen=True)
class AliasProfile:
    """Header aliases per canonical field (compared after `normalize_header`)."""

    name: str
    description: str
    fields: dict[str, tuple[str, ...]]

    def to_dict(self) -> dict[str, Any]:
        """The alias profile as the API returns it."""
        return {
            "name": self.name,
            "description": self.description,
            "fields": {k: list(v) for k, v in self.fields.items()},
        }


@dataclass
class MappingDiagnostics:
    """What was mapped, how confidently, what was left over and which values failed validation."""

    sheet: str
    header_row: int
    profile_id: str | None
    mode: str
    detected_mappings: dict[str, dict[str, Any]]
    unmapped_columns: list[str]
    unmapped_target_fields: list[str]
    validation_failures: list[dict[str, Any]]
    column_types: dict[str, str]
    skipped_rows: dict[str, int]
    normalisations: list[str] = field(default_factory=list)
    sheets_found: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready diagnostics."""
        return asdict(self)


@dataclass
class HoldingsExtraction:
    """Canonical holdings (one row per source row) and the mapping diagnostics."""

    holdings: pd.DataFrame
    diagnostics: MappingDiagnostics


# ---------------------------------------------------------------------------------------------- configuration


@lru_cache(maxsize=4)
def _load_profiles(directory: Path) -> dict[str, MappingProfile]:
    profiles: dict[str, MappingProfile] = {}
    for path in sorted(directory.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text()) or {}
        mappings = {
            name: FieldMapping(source=str(spec["source"]), transform=spec.get("transform"))
            for name, spec in (doc.get("mappings") or {}).items()
        }
        unknown = sorted(set(mappings) - set(CANONICAL_FIELDS))
        if unknown:
            raise ValueError(f"{path.name}: unknown canonical fields {unknown}")
        bad = sorted({m.transform for m in mappings.values() if m.transform and m.transform not in nz.TRANSFORMS})
        if bad:
            raise ValueError(f"{path.name}: unknown transforms {bad}")
        profile = MappingProfile(
            id=str(doc.get("id") or path.stem),
            name=str(doc.get("name") or path.stem),
            description=str(doc.get("description") or ""),
            version=int(doc.get("version") or 1),
            mappings=mappings,
            alias_profile=doc.get("alias_profile"),
            validation_rules=tuple(doc.get("validation_rules") or ()),
            sheet=doc.get("sheet"),
            created_at=str(doc["created_at"]) if doc.get("created_at") else None,
            updated_at=str(doc["updated_at"]) if doc.get("updated_at") else None,
        )
        profiles[profile.id] = profile
    return profiles


def load_profiles(directory: Path | None = None) -> dict[str, MappingProfile]:
    """Every mapping profile in assets_config/mappings/*.yaml, by id."""
    return _load_profiles(directory or MAPPINGS_DIR)


@lru_cache(maxsize=4)
def _load_aliases(directory: Path) -> dict[str, AliasProfile]:
    aliases: dict[str, AliasProfile] = {}
    for path in sorted(directory.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text()) or {}
        fields = {name: tuple(str(a) for a in values or ()) for name, values in (doc.get("fields") or {}).items()}
        aliases[str(doc.get("name") or path.stem)] = AliasProfile(
            name=str(doc.get("name") or path.stem), description=str(doc.get("description") or ""), fields=fields
        )
    return aliases


def load_aliases(directory: Path | None = None) -> dict[str, AliasProfile]:
    """Every alias dictionary in assets_config/mappings/aliases/*.yaml, by name."""
    return _load_aliases(directory or ALIASES_DIR)


def _alias_index(alias_names: Sequence[str | None]) -> dict[str, str]:
    """Normalised alias → field; the named dictionaries first, then `default` and all others."""
    aliases = load_aliases()
    order = [n for n in alias_names if n and n in aliases]
    order += ["default"] + [n for n in aliases if n not in order and n != "default"]
    index: dict[str, str] = {f: f for f in CANONICAL_FIELDS}
    index.update({nz.normalize_header(f): f for f in CANONICAL_FIELDS})
    for name in order:
        profile = aliases.get(name)
        if profile is None:
            continue
        for field_name, values in profile.fields.items():
            for value in values:
                index.setdefault(nz.normalize_header(value), field_name)
    return index


# ---------------------------------------------------------------------------------------------- header finding


def _filled_rows(sheet: ParsedSheet, limit: int) -> list[list[Any]]:
    """The first `limit` rows with each merged range's value spread over the whole range."""
    rows = [list(r) for r in sheet.rows[:limit]]
    for r0, c0, r1, c1 in sheet.merged:
        if r0 >= limit:
            continue
        value = rows[r0][c0] if c0 < len(rows[r0]) else None
        if value is None:
            continue
        for r in range(r0, min(r1, limit - 1) + 1):
            row = rows[r]
            if len(row) <= c1:
                row.extend([None] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                if row[c] is None:
                    row[c] = value
    return rows


def _header_hits(cells: Sequence[Any], index: dict[str, str]) -> int:
    """How many distinct canonical fields a row's cells name exactly."""
    return len({index[n] for n in (nz.normalize_header(c) for c in cells if isinstance(c, str)) if n in index})


def _find_header(sheet: ParsedSheet, index: dict[str, str]) -> tuple[int, int, list[list[Any]]]:
    """(header row 0-based, number of fields it names, filled header-zone rows)."""
    rows = _filled_rows(sheet, HEADER_SCAN_ROWS)
    best_row, best_hits = 0, -1
    for r, cells in enumerate(rows):
        hits = _header_hits(cells, index)
        if hits > best_hits:
            best_row, best_hits = r, hits
    return best_row, max(best_hits, 0), rows


def _column_names(rows: list[list[Any]], header_row: int, width: int, index: dict[str, str]) -> list[str]:
    """Unique column names from the header row; an empty cell takes the label above it (a group header)."""
    from openpyxl.utils.cell import get_column_letter

    header = rows[header_row] if header_row < len(rows) else []
    parent = rows[header_row - 1] if header_row > 0 else []
    names: list[str] = []
    seen: dict[str, int] = {}
    for c in range(width):
        child = nz.to_text(header[c]) if c < len(header) else None
        above = nz.to_text(parent[c]) if c < len(parent) else None
        if child and above and above != child and nz.normalize_header(child) not in index:
            combined = f"{above} {child}"
            name = combined if nz.normalize_header(combined) in index else child
        else:
            name = child or above or f"Column {get_column_letter(c + 1)}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        names.append(name)
    return names


def choose_sheet(parsed: ParsedWorkbook, index: dict[str, str], preferred: str | None = None) -> ParsedSheet:
    """The holdings sheet: the preferred name if present, else the sheet whose header names most fields."""
    if preferred:
        sheet = parsed.sheet(preferred)
        if sheet is not None and sheet.rows:
            return sheet
    scored: list[tuple[float, int, ParsedSheet]] = []
    for order, sheet in enumerate(parsed.sheets):
        if not sheet.rows:
            continue
        _, hits, _ = _find_header(sheet, index)
        name_bonus = 1.5 if any(w in sheet.name.lower() for w in HOLDINGS_SHEET_WORDS) else 0.0
        hidden_penalty = 1.0 if sheet.hidden else 0.0
        if hits >= 2:
            scored.append((hits + name_bonus - hidden_penalty, -order, sheet))
    if not scored:
        found = ", ".join(f"{s.name!r} ({s.n_rows} rows)" for s in parsed.sheets) or "none"
        raise InputError(
            "NO_HOLDINGS_SHEET",
            f"no sheet has a header naming at least two holding fields; sheets found: {found}",
            parsed.file_name,
            {"sheets_found": parsed.sheet_names},
        )
    return max(scored, key=lambda t: (t[0], t[1]))[2]


# ---------------------------------------------------------------------------------------------- auto-detect


def _kind_fit(kind: str, values: Sequence[Any]) -> float:
    """Share of sample values that look like the kind (identifier with valid check digit, rating token, …)."""
    if kind in ("moodys", "sp_fitch"):
        values = [v for v in values if not (isinstance(v, str) and v.strip().upper() in ratings.NOT_RATED)]
    if not values:
        return 0.5
    hits: float
    if kind == "cusip":
        # A well-formed identifier with a bad check digit still counts (3/4): it is flagged, never dropped.
        cusips = [nz.to_identifier(v, 9) for v in values]
        hits = sum(1.0 if is_valid_cusip(c) else SHAPE_ONLY_FIT * bool(c and CUSIP_PATTERN.match(c)) for c in cusips)
    elif kind == "isin":
        isins = [nz.to_upper(v) for v in values]
        hits = sum(1.0 if is_valid_isin(i) else SHAPE_ONLY_FIT * bool(i and ISIN_PATTERN.match(i)) for i in isins)
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
    else:
        hits = sum(isinstance(v, str) and nz.to_number(v) is None for v in values)
    return float(hits) / len(values)


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
            elif kind in ("cusip", "isin") and fit >= 0.8:
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


# ---------------------------------------------------------------------------------------------- transforms


def _transform_for(field_name: str, transform: str | None) -> Callable[[Any], Any]:
    """The profile's transform followed by the field's canonicaliser (identifiers, ratings, country, flags)."""
    if field_name == "cusip":
        return lambda v: nz.to_identifier(v, 9)
    if field_name == "isin":
        return lambda v: nz.to_identifier(v, 12)
    if field_name in RATING_AGENCY:
        agency = RATING_AGENCY[field_name]
        return lambda v: ratings.normalize_rating(v, agency)
    if field_name == "country":
        return nz.to_country
    if field_name == "is_defaulted":
        return nz.to_bool
    if field_name == "maturity_date":
        return nz.to_date
    if field_name in NUMERIC_FIELDS:
        return nz.TRANSFORMS[transform] if transform in ("to_number", "to_decimal", "to_integer") else nz.to_number
    if field_name == "currency":
        return nz.to_upper
    return nz.TRANSFORMS[transform] if transform in ("trim", "upper") else nz.to_text


_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})
"""Cell types stored in raw_data as they are (the readers never produce NaN or infinities)."""


_MISSING = object()
_IDENTIFIER_WIDTH = {"cusip": 9, "isin": 12}
"""Identifier fields normalised a column at a time (`nz.to_identifiers`), with their full width."""


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
    from orchestration.clo.ids import NAMESPACE

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


def _rescale(columns: dict[str, list[Any]], notes: list[str]) -> None:
    """Unit fixes: prices quoted as a fraction of par → percent; spreads in percent → bps; coupons as fractions."""
    rules = (("price", 2.0, 100.0, "price looked like a fraction of par; multiplied by 100"),
             ("spread", 20.0, 100.0, "spread looked like percent; converted to bps (x100)"),
             ("coupon", 1.0, 100.0, "coupon looked like a fraction; converted to percent (x100)"))  # fmt: skip
    for field_name, ceiling, factor, note in rules:
        values = columns.get(field_name)
        if not values:
            continue
        median = _median([v for v in values if v is not None and v != 0])
        if median is not None and 0 < abs(median) <= ceiling:
            columns[field_name] = [v * factor if v is not None else None for v in values]
            notes.append(note)


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


# ---------------------------------------------------------------------------------------------- extraction


def extract_holdings(
    parsed: ParsedWorkbook,
    profile_id: str | None = None,
    *,
    required: Sequence[str] = ("issuer_name", "par_amount"),
    identifier_any: Sequence[str] = ("cusip", "isin"),
    workbook_id: str | None = None,
    sheet_name: str | None = None,
    profiles: dict[str, MappingProfile] | None = None,
) -> HoldingsExtraction:
    """Find the holdings sheet and header, map columns (profile, then auto-detect) and normalise every row.

    Raises MAPPING_INCOMPLETE naming required fields no column maps to (or none of `identifier_any`),
    NO_HOLDINGS_SHEET naming the sheets found, and MAPPING_PROFILE_UNKNOWN for an unknown profile id.
    """
    with gc_paused():
        return _extract_holdings(
            parsed,
            profile_id,
            required=required,
            identifier_any=identifier_any,
            workbook_id=workbook_id,
            sheet_name=sheet_name,
            profiles=profiles,
        )


def _extract_holdings(
    parsed: ParsedWorkbook,
    profile_id: str | None,
    *,
    required: Sequence[str],
    identifier_any: Sequence[str],
    workbook_id: str | None,
    sheet_name: str | None,
    profiles: dict[str, MappingProfile] | None,
) -> HoldingsExtraction:
    catalogue = profiles if profiles is not None else load_profiles()
    profile: MappingProfile | None = None
    if profile_id:
        profile = catalogue.get(profile_id)
        if profile is None:
            raise InputError(
                "MAPPING_PROFILE_UNKNOWN",
                f"mapping profile {profile_id!r} does not exist; known: {sorted(catalogue)}",
                parsed.file_name,
            )
    index = _alias_index([profile.alias_profile if profile else None])
    if profile:
        for field_name, mapping in profile.mappings.items():
            index[nz.normalize_header(mapping.source)] = field_name
    sheet = choose_sheet(parsed, index, sheet_name or (profile.sheet if profile else None))
    header_row, _, filled = _find_header(sheet, index)
    data_rows = sheet.rows[header_row + 1 :]
    width = max([len(filled[header_row]) if header_row < len(filled) else 0, *map(len, data_rows)])
    names = _column_names(filled, header_row, width, index)
    samples: list[list[Any]] = [[] for _ in range(width)]
    for number, row in enumerate(data_rows[:SAMPLE_ROWS]):
        if any(type(v) is str and _TOTAL_ROW.match(v) for v in row[:6]):
            continue
        for c, v in enumerate(row):
            if v is not None and len(samples[c]) < SAMPLE_SIZE and not (isinstance(v, str) and not v.strip()):
                samples[c].append(v)
        if number % 50 == 49 and all(len(s) >= SAMPLE_SIZE for s in samples):
            break

    detected: dict[str, dict[str, Any]] = {}
    transforms: dict[str, str | None] = {}
    if profile:
        by_norm = {nz.normalize_header(n): c for c, n in reversed(list(enumerate(names)))}
        for field_name, mapping in profile.mappings.items():
            found = by_norm.get(nz.normalize_header(mapping.source))
            if found is None:
                continue
            c = found
            transforms[field_name] = mapping.transform
            detected[field_name] = {
                "column": c,
                "source_column": names[c],
                "confidence": 1.0,
                "sample_values": [_json_safe(v) for v in samples[c][:3]],
                "method": "profile",
            }
    remaining = [f for f in CANONICAL_FIELDS if f not in detected]
    detected.update(auto_detect(names, samples, index, remaining, {d["column"] for d in detected.values()}))

    missing = [f for f in required if f not in detected]
    if identifier_any and not any(f in detected for f in identifier_any):
        missing.append(" or ".join(identifier_any))
    if missing:
        raise InputError(
            "MAPPING_INCOMPLETE",
            f"required field(s) not mapped: {', '.join(missing)} (sheet {sheet.name!r}, header row {header_row + 1})",
            f"{parsed.file_name}!{sheet.name}",
            {"missing_fields": missing, "columns": names, "sheet": sheet.name},
        )

    mapped_cols = sorted({d["column"] for d in detected.values()})
    key_cols = [detected[f]["column"] for f in ("cusip", "isin", "issuer_name") if f in detected]
    par_col = detected["par_amount"]["column"] if "par_amount" in detected else None
    kept: list[tuple[int, list[Any]]] = []
    skipped = {"blank": 0, "total": 0}
    is_total = _TOTAL_ROW.match
    first_row = header_row + 2
    for offset, row in enumerate(data_rows):
        size = len(row)
        has_key = False
        for c in key_cols:
            value = row[c] if c < size else None
            if value is not None and not (type(value) is str and len(value) < 8 and nz.is_blank(value)):
                has_key = True
                break
        if not has_key and not any(row[c] is not None for c in mapped_cols if c < size):
            skipped["blank"] += 1
            continue
        total_row = False
        for v in row[:6]:
            if type(v) is str and v[:1] in _TOTAL_START and is_total(v):
                total_row = True
                break
        if total_row or not has_key:
            if has_key or par_col is None or (par_col < size and row[par_col] is not None):
                skipped["total"] += 1
            else:
                skipped["blank"] += 1
            continue
        kept.append((first_row + offset, row))

    row_index = [r for r, _ in kept]
    by_column = _columns([row for _, row in kept], width)
    columns: dict[str, list[Any]] = {}
    raw_columns: dict[str, list[Any]] = {}
    failures: list[dict[str, Any]] = []
    for field_name in CANONICAL_FIELDS:
        info = detected.get(field_name)
        if info is None:
            columns[field_name] = [False if field_name == "is_defaulted" else None] * len(kept)
            continue
        c = info["column"]
        function = _transform_for(field_name, transforms.get(field_name))
        raw = by_column[c]
        transform = transforms.get(field_name)
        if field_name in _IDENTIFIER_WIDTH:
            values: list[Any] = nz.to_identifiers(raw, _IDENTIFIER_WIDTH[field_name])
        else:
            values = _apply(function, raw, fast_float=field_name in NUMERIC_FIELDS and transform != "to_integer")
        bad = (
            [(r, v) for r, v, out in zip(row_index, raw, values, strict=True) if out is None and not nz.is_blank(v)]
            if None in values
            else []
        )
        if field_name in RATING_AGENCY:
            bad = [(r, v) for r, v in bad if str(v).strip().upper() not in ratings.NOT_RATED]
        if bad:
            failures.append(
                _failure(field_name, "type", [r for r, _ in bad], [v for _, v in bad], kind=FIELD_KIND[field_name])
            )
        if field_name == "is_defaulted":
            values = [bool(v) for v in values]
        columns[field_name] = values
        raw_columns[field_name] = raw

    notes: list[str] = []
    _rescale(columns, notes)
    cusip_valid = cusip_flags(columns["cusip"])
    isin_valid = isin_flags(columns["isin"])
    for field_name, flags, rule_name in (
        ("cusip", cusip_valid, "cusip_check_digit"),
        ("isin", isin_valid, "isin_check_digit"),
    ):
        bad_rows = [(r, v) for r, v, ok in zip(row_index, columns[field_name], flags, strict=True) if ok is False]
        if bad_rows:
            failures.append(_failure(field_name, rule_name, [r for r, _ in bad_rows], [v for _, v in bad_rows]))
    for rule in profile.validation_rules if profile else ():
        field_name = str(rule.get("field"))
        if field_name not in columns:
            continue
        rows = _rule_failures(rule, columns[field_name], row_index)
        if rows:
            lookup = dict(zip(row_index, columns[field_name], strict=True))
            extra = {k: v for k, v in rule.items() if k not in ("field", "rule")}
            failures.append(_failure(field_name, str(rule["rule"]), rows, [lookup[r] for r in rows], **extra))

    safe_columns = [col if set(map(type, col)) <= _PLAIN_TYPES else _json_safe_column(col) for col in by_column]
    raw_data = list(map(dict, map(zip, itertools.repeat(names), zip(*safe_columns, strict=True)))) if kept else []
    wid = workbook_id or ""
    frame = pd.DataFrame(
        {
            "workbook_id": wid,
            "holding_id": _object_array(_holding_ids(wid, sheet.name, row_index)),
            "sheet": sheet.name,
            "row_index": pd.Series(row_index, dtype="int64"),
            **{
                f: np.array(columns[f], dtype=float) if f in NUMERIC_FIELDS else _text_column(columns[f])
                for f in CANONICAL_FIELDS
            },
            "raw_data": _object_array(raw_data),
            "cusip_valid": pd.Series(cusip_valid, dtype="boolean"),
            "isin_valid": pd.Series(isin_valid, dtype="boolean"),
        },
        columns=list(HOLDING_COLUMNS),
    )
    for f in NUMERIC_FIELDS:
        frame[f] = pd.to_numeric(frame[f], errors="coerce").astype("float64")
    frame["is_defaulted"] = frame["is_defaulted"].astype(bool)

    unmapped_columns = [n for c, n in enumerate(names) if c not in mapped_cols and samples[c]]
    diagnostics = MappingDiagnostics(
        sheet=sheet.name,
        header_row=header_row + 1,
        profile_id=profile.id if profile else None,
        mode="profile" if profile else "auto_detect",
        detected_mappings={
            f: {k: v for k, v in info.items() if k != "column"} | {"transform": transforms.get(f)}
            for f, info in sorted(detected.items(), key=lambda kv: CANONICAL_FIELDS.index(kv[0]))
        },
        unmapped_columns=unmapped_columns,
        unmapped_target_fields=[f for f in CANONICAL_FIELDS if f not in detected],
        validation_failures=failures,
        column_types={n: _infer_type(samples[c]) for c, n in enumerate(names)},
        skipped_rows=skipped,
        normalisations=notes,
        sheets_found=parsed.sheet_names,
    )
    return HoldingsExtraction(holdings=frame, diagnostics=diagnostics)


def schema_drift(previous: dict[str, str] | None, current: dict[str, str]) -> dict[str, Any]:
    """New columns, missing columns and type changes against the previous workbook's column types."""
    if previous is None:
        return {"compared_to": None, "new_columns": [], "missing_columns": [], "type_changes": []}
    return {
        "new_columns": [c for c in current if c not in previous],
        "missing_columns": [c for c in previous if c not in current],
        "type_changes": [
            {"column": c, "previous": previous[c], "current": current[c]}
            for c in current
            if c in previous and previous[c] != current[c] and "empty" not in (previous[c], current[c])
        ],
    }


def find_report_date(parsed: ParsedWorkbook) -> dt.date | None:
    """A date next to (right of or below) a cell labelled "As of" / "Report Date", or inside that cell's text."""
    for sheet in parsed.sheets:
        for r, row in enumerate(sheet.rows[:20]):
            for c, value in enumerate(row[:12]):
                if not isinstance(value, str) or not _DATE_LABEL.search(value):
                    continue
                tail = _DATE_LABEL.split(value)[-1].strip(" :-")
                if tail and (found := nz.to_date(tail)):
                    return found
                neighbours = [row[c + 1] if c + 1 < len(row) else None]
                if r + 1 < len(sheet.rows) and c < len(sheet.rows[r + 1]):
                    neighbours.append(sheet.rows[r + 1][c])
                for neighbour in neighbours:
                    if neighbour is not None and not isinstance(neighbour, bool):
                        found = nz.to_date(neighbour)
                        if found and found.year > 1990:
                            return found
    return None
