"""A holding's identifiers after normalisation: combined columns split, check flags, and at least one per holding.

CUSIP, ISIN, LoanX ID, FIGI and an administrator's asset id are all identifiers; a holding with none of them
cannot be told apart from the next one (nor reconciled), so it is bad input (HOLDING_IDENTIFIER_MISSING) naming
the sheet, the rows and their blank identifier cells. Check digits only flag: a holding is never dropped.
"""

from typing import Any

from orchestration.clo import normalize as nz
from orchestration.clo.check_digits import cusip_flags, figi_flags, is_loanx_id, isin_flags
from orchestration.clo.mapping.fields import IDENTIFIER_FIELDS
from orchestration.clo.mapping.transforms import _failure
from orchestration.core.errors import InputError

HOLDING_IDENTIFIER_MISSING = "HOLDING_IDENTIFIER_MISSING"
LABELS: dict[str, str] = {
    "cusip": "CUSIP",
    "isin": "ISIN",
    "loanx_id": "LoanX ID",
    "figi": "FIGI",
    "asset_id": "asset id",
}
"""How messages and insights name each identifier."""
MAX_ROWS_LISTED = 20


def split_combined_column(columns: dict[str, list[Any]], notes: list[str]) -> list[int]:
    """Move LoanX IDs out of the CUSIP column (trustee reports' "CUSIP/LoanX ID") into rows without a LoanX ID.

    A value of the LoanX shape (`LX` + six digits) is never a CUSIP (eight characters, no check digit); the move
    is listed in `normalisations`. A row that has a LoanX ID of its own keeps both values where they are.
    Returns the positions of the rows moved.
    """
    cusips, loanx = columns["cusip"], columns["loanx_id"]
    moved: list[int] = []
    for i, value in enumerate(cusips):
        if value is not None and loanx[i] is None and len(value) == 8 and is_loanx_id(value):
            loanx[i], cusips[i] = value, None
            moved.append(i)
    if moved:
        notes.append(f"{len(moved)} LoanX ID(s) in the CUSIP column moved to loanx_id")
    return moved


def check_flags(
    columns: dict[str, list[Any]], row_index: list[int]
) -> tuple[dict[str, list[bool | None]], list[dict[str, Any]]]:
    """({cusip_valid, isin_valid, figi_valid}: None where blank), failures: bad check digits, malformed LoanX IDs."""
    flags = {
        "cusip_valid": cusip_flags(columns["cusip"]),
        "isin_valid": isin_flags(columns["isin"]),
        "figi_valid": figi_flags(columns["figi"]),
    }
    loanx_ok = [None if v is None else is_loanx_id(v) for v in columns["loanx_id"]]
    failures: list[dict[str, Any]] = []
    for field_name, ok_flags, rule_name in (
        ("cusip", flags["cusip_valid"], "cusip_check_digit"),
        ("isin", flags["isin_valid"], "isin_check_digit"),
        ("figi", flags["figi_valid"], "figi_check_digit"),
        ("loanx_id", loanx_ok, "loanx_id_format"),
    ):
        bad_rows = [(r, v) for r, v, ok in zip(row_index, columns[field_name], ok_flags, strict=True) if ok is False]
        if bad_rows:
            failures.append(_failure(field_name, rule_name, [r for r, _ in bad_rows], [v for _, v in bad_rows]))
    return flags, failures


def require_identifier(
    file_name: str,
    sheet: str,
    sources: dict[str, tuple[str, int]],
    columns: dict[str, list[Any]],
    row_index: list[int],
) -> None:
    """Raise HOLDING_IDENTIFIER_MISSING when a kept row has none of the identifiers, naming rows and blank cells.

    `sources` maps each mapped identifier field to its (header, 0-based column); `where` is the first such row's
    cell in the first mapped identifier column.
    """
    first, *others = IDENTIFIER_FIELDS
    missing = [position for position, value in enumerate(columns[first]) if value is None]
    for field_name in others:  # narrowed one identifier at a time: usually empty after the first
        values = columns[field_name]
        missing = [position for position in missing if values[position] is None]
    if not missing:
        return
    mapped = [(f, *sources[f]) for f in IDENTIFIER_FIELDS if f in sources]
    rows = [
        {
            "row": row_index[p],
            "cells": [f"{nz.column_letter(c)}{row_index[p]}" for _, _, c in mapped],
            "issuer_name": columns["issuer_name"][p],
        }
        for p in missing[:MAX_ROWS_LISTED]
    ]
    blank = ", ".join(f"{header} ({LABELS[f]}, column {nz.column_letter(c)})" for f, header, c in mapped)
    listed = "; ".join(f"row {r['row']}" + (f" ({r['issuer_name']})" if r["issuer_name"] else "") for r in rows[:5])
    more = f"; and {len(missing) - 5} more" if len(missing) > 5 else ""
    raise InputError(
        HOLDING_IDENTIFIER_MISSING,
        f"{len(missing)} holding(s) in {file_name}, sheet {sheet!r}, have no identifier (a CUSIP, ISIN, LoanX ID, "
        f"FIGI or asset id is needed): {listed}{more}; blank in {blank}",
        f"{file_name}!{sheet}!{rows[0]['cells'][0]}",
        {
            "file": file_name,
            "sheet": sheet,
            "count": len(missing),
            "rows": rows,
            "identifier_columns": {f: header for f, header, _ in mapped},
        },
    )
