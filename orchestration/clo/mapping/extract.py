"""Extraction: choose the mapping (profile, then auto-detect) and normalise every row."""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from orchestration.clo import normalize as nz
from orchestration.clo.mapping import identifiers, source_cells
from orchestration.clo.mapping.detect import _infer_type, _json_safe, _json_safe_column, auto_detect
from orchestration.clo.mapping.fields import (
    _TOTAL_ROW,
    _TOTAL_START,
    BOOL_FIELDS,
    CANONICAL_FIELDS,
    HOLDING_COLUMNS,
    IDENTIFIER_FIELDS,
    NUMERIC_FIELDS,
    SAMPLE_ROWS,
    SAMPLE_SIZE,
    HoldingsExtraction,
    MappingDiagnostics,
    MappingProfile,
)
from orchestration.clo.mapping.headers import _column_names, _find_header, choose_sheet
from orchestration.clo.mapping.profiles import header_index, resolve_profile
from orchestration.clo.mapping.transforms import (
    _IDENTIFIER_WIDTH,
    _PLAIN_TYPES,
    _apply,
    _columns,
    _holding_ids,
    _object_array,
    _profile_rule_failures,
    _rescale,
    _text_column,
    _transform_for,
    _type_failure,
)
from orchestration.clo.reader import ParsedSheet, ParsedWorkbook, gc_paused
from orchestration.core.errors import InputError


def extract_holdings(
    parsed: ParsedWorkbook,
    profile_id: str | None = None,
    *,
    required: Sequence[str] = ("issuer_name", "par_amount"),
    identifier_any: Sequence[str] = IDENTIFIER_FIELDS,
    workbook_id: str | None = None,
    sheet_name: str | None = None,
    profiles: dict[str, MappingProfile] | None = None,
) -> HoldingsExtraction:
    """Find the holdings sheet and header, map columns (profile, then auto-detect) and normalise every row.

    Raises MAPPING_INCOMPLETE naming required fields no column maps to (or none of `identifier_any`),
    HOLDING_IDENTIFIER_MISSING naming the rows that have none of the identifiers (`mapping.identifiers`),
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


@dataclass(frozen=True)
class _Table:
    """The holdings sheet, its header row (0-based), the rows below it, their width and the column names."""

    sheet: ParsedSheet
    header_row: int
    data_rows: list[list[Any]]
    width: int
    names: list[str]


@dataclass(frozen=True)
class _Mapping:
    """Field → mapped column (`column`, `source_column`, `confidence`, …) and each field's profile transform."""

    detected: dict[str, dict[str, Any]]
    transforms: dict[str, str | None]

    @property
    def mapped_columns(self) -> list[int]:
        """The mapped column numbers, sorted."""
        return sorted({d["column"] for d in self.detected.values()})


@dataclass(frozen=True)
class _Rows:
    """The kept data rows as columns, their 1-based sheet row numbers, and how many rows were skipped and why."""

    row_index: list[int]
    by_column: list[list[Any]]
    skipped: dict[str, int]


@dataclass(frozen=True)
class _Normalised:
    """Canonical values, validation failures, unit-fix notes, check flags, fields rescaled and LoanX IDs moved."""

    columns: dict[str, list[Any]]
    failures: list[dict[str, Any]]
    notes: list[str]
    flags: dict[str, list[bool | None]]
    rescaled: set[str]
    moved: list[int]


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
    """`extract_holdings`'s steps in order: profile, sheet and header, mapping, required fields, rows, values."""
    profile = resolve_profile(parsed.file_name, profile_id, profiles)
    index = header_index(profile)
    table = _locate_table(parsed, index, sheet_name or (profile.sheet if profile else None))
    samples = _sample_columns(table.data_rows, table.width)
    mapping = _choose_mapping(profile, table.names, samples, index)
    _check_required(parsed, table, mapping.detected, required, identifier_any)
    rows = _kept_rows(table, mapping)
    normalised = _normalise(profile, mapping, rows)
    identifier_sources = {
        f: (mapping.detected[f]["source_column"], mapping.detected[f]["column"])
        for f in IDENTIFIER_FIELDS
        if f in mapping.detected
    }
    identifiers.require_identifier(
        parsed.file_name, table.sheet.name, identifier_sources, normalised.columns, rows.row_index
    )
    frame = _holdings_frame(workbook_id or "", table, mapping, rows, normalised)
    diagnostics = _diagnostics(parsed, profile, table, samples, mapping, rows, normalised)
    return HoldingsExtraction(holdings=frame, diagnostics=diagnostics)


def _locate_table(parsed: ParsedWorkbook, index: dict[str, str], preferred: str | None) -> _Table:
    """The holdings sheet and its header row, found by content, with unique names for the widest row's columns."""
    sheet = choose_sheet(parsed, index, preferred)
    header_row, _, filled = _find_header(sheet, index)
    data_rows = sheet.rows[header_row + 1 :]
    width = max([len(filled[header_row]) if header_row < len(filled) else 0, *map(len, data_rows)])
    names = _column_names(filled, header_row, width, index)
    return _Table(sheet=sheet, header_row=header_row, data_rows=data_rows, width=width, names=names)


def _sample_columns(data_rows: list[list[Any]], width: int) -> list[list[Any]]:
    """Up to SAMPLE_SIZE non-blank values per column from the first SAMPLE_ROWS rows, total rows left out."""
    samples: list[list[Any]] = [[] for _ in range(width)]
    for number, row in enumerate(data_rows[:SAMPLE_ROWS]):
        if any(type(v) is str and _TOTAL_ROW.match(v) for v in row[:6]):
            continue
        for c, v in enumerate(row):
            if v is not None and len(samples[c]) < SAMPLE_SIZE and not (isinstance(v, str) and not v.strip()):
                samples[c].append(v)
        if number % 50 == 49 and all(len(s) >= SAMPLE_SIZE for s in samples):
            break
    return samples


def _choose_mapping(
    profile: MappingProfile | None, names: list[str], samples: list[list[Any]], index: dict[str, str]
) -> _Mapping:
    """The profile's columns first; the fields it leaves unmapped are auto-detected among the columns left over."""
    detected, transforms = _profile_mapping(profile, names, samples) if profile else ({}, {})
    remaining = [f for f in CANONICAL_FIELDS if f not in detected]
    detected.update(auto_detect(names, samples, index, remaining, {d["column"] for d in detected.values()}))
    return _Mapping(detected=detected, transforms=transforms)


def _profile_mapping(
    profile: MappingProfile, names: list[str], samples: list[list[Any]]
) -> tuple[dict[str, dict[str, Any]], dict[str, str | None]]:
    """(detected, transforms) of the profile's fields whose source column is present (first by normalised name)."""
    by_norm = {nz.normalize_header(n): c for c, n in reversed(list(enumerate(names)))}
    detected: dict[str, dict[str, Any]] = {}
    transforms: dict[str, str | None] = {}
    for field_name, mapping in profile.mappings.items():
        c = by_norm.get(nz.normalize_header(mapping.source))
        if c is None:
            continue
        transforms[field_name] = mapping.transform
        detected[field_name] = {
            "column": c,
            "source_column": names[c],
            "confidence": 1.0,
            "sample_values": [_json_safe(v) for v in samples[c][:3]],
            "method": "profile",
        }
    return detected, transforms


def _check_required(
    parsed: ParsedWorkbook,
    table: _Table,
    detected: dict[str, dict[str, Any]],
    required: Sequence[str],
    identifier_any: Sequence[str],
) -> None:
    """Raise MAPPING_INCOMPLETE naming the required fields (and missing identifier choice) no column maps to."""
    missing = [f for f in required if f not in detected]
    if identifier_any and not any(f in detected for f in identifier_any):
        missing.append(" or ".join(identifier_any))
    if missing:
        sheet = table.sheet.name
        raise InputError(
            "MAPPING_INCOMPLETE",
            f"required field(s) not mapped: {', '.join(missing)} (sheet {sheet!r}, header row {table.header_row + 1})",
            f"{parsed.file_name}!{sheet}",
            {"missing_fields": missing, "columns": table.names, "sheet": sheet},
        )


def _kept_rows(table: _Table, mapping: _Mapping) -> _Rows:
    """The data rows that hold a holding, transposed to columns; blank and total rows are counted, not kept."""
    detected = mapping.detected
    key_cols = [detected[f]["column"] for f in (*IDENTIFIER_FIELDS, "issuer_name") if f in detected]
    par_col = detected["par_amount"]["column"] if "par_amount" in detected else None
    first_row = table.header_row + 2
    kept, skipped = _filter_rows(table.data_rows, first_row, key_cols, mapping.mapped_columns, par_col)
    row_index = [r for r, _ in kept]
    return _Rows(row_index=row_index, by_column=_columns([row for _, row in kept], table.width), skipped=skipped)


def _filter_rows(
    data_rows: list[list[Any]], first_row: int, key_cols: list[int], mapped_cols: list[int], par_col: int | None
) -> tuple[list[tuple[int, list[Any]]], dict[str, int]]:
    """(sheet row number, row) of rows with a key (identifier or issuer) and no total label; skips by reason."""
    kept: list[tuple[int, list[Any]]] = []
    skipped = {"blank": 0, "total": 0}
    is_total = _TOTAL_ROW.match
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
    return kept, skipped


def _normalise(profile: MappingProfile | None, mapping: _Mapping, rows: _Rows) -> _Normalised:
    """Canonical values with unit fixes, and the failures: types, then check digits, then the profile's rules."""
    columns, failures = _normalise_fields(mapping, rows)
    notes: list[str] = []
    rescaled = _rescale(columns, notes)
    moved = identifiers.split_combined_column(columns, notes)
    flags, digit_failures = identifiers.check_flags(columns, rows.row_index)
    failures += digit_failures
    failures += _profile_rule_failures(profile, columns, rows.row_index)
    return _Normalised(columns, failures, notes, flags, rescaled, moved)


def _normalise_fields(mapping: _Mapping, rows: _Rows) -> tuple[dict[str, list[Any]], list[dict[str, Any]]]:
    """Each field's canonical values a column at a time (unmapped: None, False for a flag); type failures."""
    columns: dict[str, list[Any]] = {}
    failures: list[dict[str, Any]] = []
    for field_name in CANONICAL_FIELDS:
        info = mapping.detected.get(field_name)
        if info is None:
            columns[field_name] = [False if field_name in BOOL_FIELDS else None] * len(rows.row_index)
            continue
        raw = rows.by_column[info["column"]]
        values = _field_values(field_name, mapping.transforms.get(field_name), raw)
        failure = _type_failure(field_name, raw, values, rows.row_index)
        if failure is not None:
            failures.append(failure)
        if field_name in BOOL_FIELDS:
            values = [bool(v) for v in values]
        columns[field_name] = values
    return columns, failures


def _field_values(field_name: str, transform: str | None, raw: list[Any]) -> list[Any]:
    """One field's canonical values: identifiers normalised a column at a time, others memoised per distinct value."""
    if field_name in _IDENTIFIER_WIDTH:
        return nz.to_identifiers(raw, _IDENTIFIER_WIDTH[field_name])
    function = _transform_for(field_name, transform)
    return _apply(function, raw, fast_float=field_name in NUMERIC_FIELDS and transform != "to_integer")


def _raw_data(names: list[str], rows: _Rows) -> list[dict[str, Any]]:
    """Each kept row's source cells by column name; columns with non-plain cells (dates, …) made JSON-safe."""
    safe_columns = [col if set(map(type, col)) <= _PLAIN_TYPES else _json_safe_column(col) for col in rows.by_column]
    if not rows.row_index:
        return []
    return list(map(dict, map(zip, itertools.repeat(names), zip(*safe_columns, strict=True))))


def _holdings_frame(
    workbook_id: str, table: _Table, mapping: _Mapping, rows: _Rows, normalised: _Normalised
) -> pd.DataFrame:
    """The holdings frame in HOLDING_COLUMNS order: ids, canonical fields (floats), raw data, flags, source cells."""
    sheet, row_index, columns = table.sheet.name, rows.row_index, normalised.columns
    cells = source_cells.holding_documents(
        sheet, mapping.detected, mapping.transforms, rows.by_column, row_index, normalised.rescaled, normalised.moved
    )
    frame = pd.DataFrame(
        {
            "workbook_id": workbook_id,
            "holding_id": _object_array(_holding_ids(workbook_id, sheet, row_index)),
            "sheet": sheet,
            "row_index": pd.Series(row_index, dtype="int64"),
            **{
                f: np.array(columns[f], dtype=float) if f in NUMERIC_FIELDS else _text_column(columns[f])
                for f in CANONICAL_FIELDS
            },
            "raw_data": _object_array(_raw_data(table.names, rows)),
            **{name: pd.Series(flags, dtype="boolean") for name, flags in normalised.flags.items()},
            "source_cells": _object_array(cells),
        },
        columns=list(HOLDING_COLUMNS),
    )
    for f in NUMERIC_FIELDS:
        frame[f] = pd.to_numeric(frame[f], errors="coerce").astype("float64")
    for f in BOOL_FIELDS:
        frame[f] = frame[f].astype(bool)
    return frame


def _diagnostics(
    parsed: ParsedWorkbook,
    profile: MappingProfile | None,
    table: _Table,
    samples: list[list[Any]],
    mapping: _Mapping,
    rows: _Rows,
    normalised: _Normalised,
) -> MappingDiagnostics:
    """What was mapped (in canonical order, with transforms), what was left over, failures, types and skips."""
    names, detected, mapped_cols = table.names, mapping.detected, mapping.mapped_columns
    return MappingDiagnostics(
        sheet=table.sheet.name,
        header_row=table.header_row + 1,
        profile_id=profile.id if profile else None,
        mode="profile" if profile else "auto_detect",
        detected_mappings={
            f: {k: v for k, v in info.items() if k != "column"} | {"transform": mapping.transforms.get(f)}
            for f, info in sorted(detected.items(), key=lambda kv: CANONICAL_FIELDS.index(kv[0]))
        },
        unmapped_columns=[n for c, n in enumerate(names) if c not in mapped_cols and samples[c]],
        unmapped_target_fields=[f for f in CANONICAL_FIELDS if f not in detected],
        validation_failures=normalised.failures,
        column_types={n: _infer_type(samples[c]) for c, n in enumerate(names)},
        skipped_rows=rows.skipped,
        normalisations=normalised.notes,
        sheets_found=parsed.sheet_names,
        profile_version=profile.version_sha256 if profile else None,
    )
