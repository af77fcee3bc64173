"""Cell normalisation for CLO holdings: numbers, dates, ratings, booleans, countries and header names.

Each function takes one raw cell (whatever the reader produced: float, int, str, date, bool or None) and
returns the canonical value or None when the cell is blank or cannot be read; callers count the Nones that
came from non-blank cells as validation failures, so nothing is silently lost. Ratings come from the one
rating vocabulary, `orchestration.core.ratings`.

Numbers must be finite and at most `MAX_MAGNITUDE`: `unfit_numbers` finds the holdings' cells that are not
(inf, 1e999, a 400-digit integer, a NaN cell, 1e308), which the pipeline refuses as a VALIDATION_ERROR.
The text tokens `nan`, `n/a`, `-` … stay what they always were: blanks.
"""

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from orchestration.core.errors import InputError
from orchestration.core.ratings import normalize_rating

EXCEL_EPOCH = dt.date(1899, 12, 30)
"""Excel's serial day 0 (serial 1 = 1900-01-01, with the 1900 leap-year bug folded into the offset)."""

_NUMBER_NOISE = re.compile(r"[\s,$€£¥_']|USD|EUR|GBP|bps|bp", re.IGNORECASE)
_NULL_TOKENS = {"", "-", "--", "n/a", "na", "#n/a", "null", "none", "nan"}

COUNTRIES: dict[str, str] = {
    "UNITED STATES": "US", "UNITED STATES OF AMERICA": "US", "USA": "US", "U.S.": "US", "U.S.A.": "US",
    "UNITED KINGDOM": "GB", "UK": "GB", "GREAT BRITAIN": "GB", "ENGLAND": "GB", "GBR": "GB",
    "CANADA": "CA", "CAN": "CA", "GERMANY": "DE", "DEU": "DE", "FRANCE": "FR", "FRA": "FR",
    "NETHERLANDS": "NL", "THE NETHERLANDS": "NL", "NLD": "NL", "LUXEMBOURG": "LU", "LUX": "LU",
    "IRELAND": "IE", "IRL": "IE", "CAYMAN ISLANDS": "KY", "CYM": "KY", "BERMUDA": "BM", "BMU": "BM",
    "JERSEY": "JE", "SPAIN": "ES", "ESP": "ES", "ITALY": "IT", "ITA": "IT", "SWEDEN": "SE", "SWE": "SE",
    "SWITZERLAND": "CH", "CHE": "CH", "BELGIUM": "BE", "BEL": "BE", "DENMARK": "DK", "DNK": "DK",
    "NORWAY": "NO", "NOR": "NO", "FINLAND": "FI", "FIN": "FI", "AUSTRIA": "AT", "AUT": "AT",
    "JAPAN": "JP", "JPN": "JP", "AUSTRALIA": "AU", "AUS": "AU", "MEXICO": "MX", "MEX": "MX",
    "BRAZIL": "BR", "BRA": "BR", "SINGAPORE": "SG", "SGP": "SG", "HONG KONG": "HK", "HKG": "HK",
    "CHINA": "CN", "CHN": "CN", "INDIA": "IN", "IND": "IN", "ISRAEL": "IL", "ISR": "IL",
    "PORTUGAL": "PT", "PRT": "PT", "POLAND": "PL", "POL": "PL", "GUERNSEY": "GG",
}  # fmt: skip
ISO2 = set(COUNTRIES.values()) | {"GG", "IM", "NZ", "ZA", "KR", "GR", "CZ", "HU"}

_TRUE = {"y", "yes", "true", "t", "1", "x", "defaulted", "default", "d"}
_FALSE = {"n", "no", "false", "f", "0", "performing", ""}

MAX_MAGNITUDE = float(2**53)
"""The largest magnitude a holding's number may have (9,007,199,254,740,992). float64 holds every whole number up
to 2^53 exactly, and sums and products of such numbers (par × price, a standard deviation's squares) stay far
below float64's overflow at 1.8e308, so nothing derived from them can become an infinity or a NaN."""

_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%d-%b-%Y", "%d %b %Y", "%b %d, %Y", "%Y%m%d", "%d.%m.%Y")


def is_blank(value: Any) -> bool:
    """None, NaN, empty or whitespace-only strings, and the usual null tokens."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return value.strip().lower() in _NULL_TOKENS
    return False


def to_number(value: Any) -> float | None:
    """Amounts as floats: thousands separators, (parentheses) and trailing-minus negatives, %, currency marks.

    None for a blank, unreadable or non-finite cell (`number_problem` says why a non-finite one is refused).
    """
    number = _parse_number(value)
    return number if number is not None and math.isfinite(number) else None


def number_problem(value: Any) -> str | None:
    """Why a cell that reads as a number cannot be one of ours (not finite, overflows, beyond MAX_MAGNITUDE).

    None when it is fine, blank or no number at all (an unreadable cell is a `type` failure, not this).
    """
    number = _parse_number(value)
    if number is None or abs(number) <= MAX_MAGNITUDE:
        return None
    if math.isnan(number):
        return "is NaN, not a number"
    if math.isinf(number):
        return "is not finite (infinite, or beyond float64's ±1.8e308)"
    return f"is beyond ±{MAX_MAGNITUDE:,.0f} (2^53), the largest magnitude accepted"


def _parse_number(value: Any) -> float | None:
    """`to_number` before the finiteness test: infinities and NaN as they are, an overflowing integer as ±inf."""
    kind = type(value)
    if kind is float:
        return value
    if kind is int:
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if kind is bool or value is None:
        return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.lower() in _NULL_TOKENS:
        return None
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    elif text.endswith("-") and len(text) > 1:
        negative, text = True, text[:-1]
    text = _NUMBER_NOISE.sub("", text).rstrip("%")
    try:
        number = float(text)  # "1e999", "inf" and a 400-digit integer give ±inf
    except ValueError:
        return None
    return -number if negative else number


def to_integer(value: Any) -> float | None:
    """A number rounded half away from zero to a whole number (kept as float for the numeric column)."""
    number = to_number(value)
    if number is None:
        return None
    return float(math.floor(abs(number) + 0.5)) * (1 if number >= 0 else -1)


def to_date(value: Any) -> dt.date | None:
    """Dates from date/datetime cells, Excel serial numbers and the common text formats (US month first)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float):
        if math.isnan(value) or not 1 <= value < 2958466:
            return None
        return EXCEL_EPOCH + dt.timedelta(days=int(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.lower() in _NULL_TOKENS:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", text) and len(text) != 8:
        return to_date(float(text))
    if "T" in text or re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?", text):
        try:
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        except ValueError:
            pass
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    try:
        return dt.datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        return None


def to_bool(value: Any) -> bool | None:
    """Booleans from Y/N, yes/no, true/false, 1/0 and `Defaulted`; blank → None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return None if isinstance(value, float) and math.isnan(value) else value != 0
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return None if text == "" else False
    return None


def to_country(value: Any) -> str | None:
    """ISO 3166 alpha-2 when recognisable (names, alpha-3, alpha-2), otherwise the trimmed text as given."""
    if is_blank(value):
        return None
    text = str(value).strip()
    upper = text.upper()
    if upper in ISO2:
        return upper
    return COUNTRIES.get(upper, text)


def to_text(value: Any) -> str | None:
    """Trimmed text; numbers that are whole become integers' text (CUSIPs read as numbers keep no `.0`)."""
    if type(value) is str:
        text = value.strip()
        return text if len(text) > 4 or (text and text.lower() not in _NULL_TOKENS) else None
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def to_upper(value: Any) -> str | None:
    """Trimmed upper-case text (identifiers, currencies)."""
    text = to_text(value)
    return text.upper() if text is not None else None


def to_identifier(value: Any, width: int) -> str | None:
    """Upper-case identifier; an all-digit CUSIP that lost its leading zeros as a number is zero-padded."""
    if type(value) is str:
        text = value.strip()
        if len(text) <= 4 and (not text or text.lower() in _NULL_TOKENS):
            return None
        text = text.upper().replace(" ", "")
    else:
        upper = to_upper(value)
        if upper is None:
            return None
        text = upper.replace(" ", "")
    if text.isdigit() and len(text) < width:
        text = text.zfill(width)
    return text


def to_identifiers(values: list[Any], width: int) -> list[str | None]:
    """`[to_identifier(v, width) for v in values]`, a column at a time when every cell is text."""
    if not values or set(map(type, values)) != {str}:
        return [to_identifier(v, width) for v in values]
    texts = [v.strip() for v in values]
    # Upper-casing and removing spaces commute with joining on NUL (neither creates nor removes a NUL).
    out: list[str | None] = list("\x00".join(texts).upper().replace(" ", "").split("\x00"))
    for i, (text, ident) in enumerate(zip(texts, out, strict=True)):
        if len(text) <= 4 and (not text or text.lower() in _NULL_TOKENS):
            out[i] = None
        elif ident is not None and len(ident) < width and ident.isdigit():
            out[i] = ident.zfill(width)
    return out


def normalize_header(value: Any) -> str:
    """A header as lowercase words (`Moody's Rating` → `moodys rating`, `Par_Amount` → `par amount`)."""
    if value is None:
        return ""
    text = str(value).strip().lower().replace("'", "").replace("’", "")
    text = text.replace("&", " and ").replace("%", " pct ").replace("#", " number ")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def column_letter(index: int) -> str:
    """Excel's letters for a 0-based column number (0 → A, 25 → Z, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def unfit_numbers(
    holdings: pd.DataFrame, sources: Mapping[str, tuple[str, int]], limit: int = 20
) -> tuple[int, list[dict[str, Any]]]:
    """The numeric cells of the holdings that are not finite or beyond MAX_MAGNITUDE: (how many, the first `limit`).

    `sources` maps each mapped numeric field to its source column (header, 0-based index); a cell is found from the
    holding's value (NaN where the cell was refused or blank, inf or too large where it got through) and its
    `raw_data` cell, so a blank stays a blank. Each finding names the sheet row, column letter, header and field.
    """
    raw = holdings["raw_data"].tolist()
    rows = holdings["row_index"].tolist()
    found: list[dict[str, Any]] = []
    for field_name, (header, column) in sources.items():
        values = holdings[field_name].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            suspects = np.flatnonzero(~(np.abs(values) <= MAX_MAGNITUDE))
        for position in suspects.tolist():
            cell = raw[position].get(header) if isinstance(raw[position], dict) else None
            why = number_problem(cell)
            if why is None and not math.isnan(values[position]):
                cell = float(values[position])  # e.g. a price rescaled (× 100) beyond the limit
                why = number_problem(cell)
            if why is not None:
                text = str(cell)
                found.append(
                    {
                        "row": rows[position],
                        "column": column_letter(column),
                        "header": header,
                        "field": field_name,
                        "value": text if len(text) <= 40 else f"{text[:20]}…({len(text)} characters)",
                        "reason": why,
                    }
                )
    found.sort(key=lambda f: (f["row"], len(f["column"]), f["column"]))
    return len(found), found[:limit]


def non_finite_cells(rows: list[list[Any]], limit: int = 20) -> tuple[int, list[dict[str, Any]]]:
    """A sheet's NaN and infinite float cells (an .xlsx `<v>1e999</v>`): (how many, the first `limit` by row)."""
    found = [
        {"row": r + 1, "column": column_letter(c), "value": repr(v), "reason": "is not a finite number"}
        for r, row in enumerate(rows)
        for c, v in enumerate(row)
        if type(v) is float and not math.isfinite(v)
    ]
    return len(found), found[:limit]


def unfit_error(file_name: str, sheet: str, cells: list[dict[str, Any]], count: int) -> InputError:
    """VALIDATION_ERROR for numbers that are not finite or do not fit, naming file, sheet, row and column of each."""
    listed = "; ".join(
        f"row {c['row']} column {c['column']}"
        + (f" ({c['header']} → {c['field']})" if c.get("field") else "")
        + f" = {c['value']!r} {c['reason']}"
        for c in cells[:5]
    )
    first = cells[0]
    return InputError(
        "VALIDATION_ERROR",
        f"{count} number(s) in {file_name}, sheet {sheet!r}, are not finite or do not fit: {listed}"
        + (f"; and {count - 5} more" if count > 5 else ""),
        f"{file_name}!{sheet}!{first['column']}{first['row']}",
        {"file": file_name, "sheet": sheet, "count": count, "cells": cells},
    )


TRANSFORMS: dict[str, Callable[[Any], Any]] = {
    "trim": to_text,
    "upper": to_upper,
    "to_number": to_number,
    "to_decimal": to_number,
    "to_integer": to_integer,
    "to_date": to_date,
    "to_bool": to_bool,
    "normalize_rating": normalize_rating,
    "to_country": to_country,
}
"""The transforms a mapping profile may name (seed 000) plus `to_bool` and `to_country`."""
