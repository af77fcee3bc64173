"""Extraction: choose the mapping (profile, then auto-detect), normalise every row; schema drift; report date."""

import datetime as dt
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from orchestration.clo import normalize as nz
from orchestration.clo.check_digits import (
    cusip_flags,
    isin_flags,
)
from orchestration.clo.mapping.detect import _infer_type, _json_safe, _json_safe_column, auto_detect
from orchestration.clo.mapping.fields import (
    _DATE_LABEL,
    _TOTAL_ROW,
    _TOTAL_START,
    CANONICAL_FIELDS,
    FIELD_KIND,
    HOLDING_COLUMNS,
    NUMERIC_FIELDS,
    RATING_AGENCY,
    SAMPLE_ROWS,
    SAMPLE_SIZE,
    HoldingsExtraction,
    MappingDiagnostics,
    MappingProfile,
)
from orchestration.clo.mapping.headers import _column_names, _find_header, choose_sheet
from orchestration.clo.mapping.profiles import _alias_index, load_profiles
from orchestration.clo.mapping.transforms import (
    _IDENTIFIER_WIDTH,
    _PLAIN_TYPES,
    _apply,
    _columns,
    _failure,
    _holding_ids,
    _object_array,
    _rescale,
    _rule_failures,
    _text_column,
    _transform_for,
)
from orchestration.clo.reader import ParsedWorkbook, gc_paused
from orchestration.core import ratings
from orchestration.core.errors import InputError


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
