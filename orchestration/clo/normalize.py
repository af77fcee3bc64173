"""Cell normalisation for CLO holdings: numbers, dates, ratings, booleans, countries and header names.

Each function takes one raw cell (whatever the reader produced: float, int, str, date, bool or None) and
returns the canonical value or None when the cell is blank or cannot be read; callers count the Nones that
came from non-blank cells as validation failures, so nothing is silently lost. Ratings come from the one
rating vocabulary, `orchestration.core.ratings`.
"""

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

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
    """Amounts as floats: thousands separators, (parentheses) and trailing-minus negatives, %, currency marks."""
    kind = type(value)
    if kind is float:
        return None if math.isnan(value) else value
    if kind is int:
        return float(value)
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
        number = float(text)
    except ValueError:
        return None
    if math.isnan(number) or math.isinf(number):
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
