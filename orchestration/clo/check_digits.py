"""CUSIP, ISIN and FIGI check digits, the LoanX ID shape: invalid identifiers are flagged, never dropped."""

import re
from collections.abc import Sequence

import numpy as np

CUSIP_PATTERN = re.compile(r"^[0-9A-Z*@#]{8}[0-9]$")
ISIN_PATTERN = re.compile(r"^[A-Z]{2}[0-9A-Z]{9}[0-9]$")
FIGI_PATTERN = re.compile(r"^(?!BS|BM|GG|GB|GH|KY|VG)[B-DF-HJ-NP-TV-Z]{2}G[B-DF-HJ-NP-TV-Z0-9]{8}[0-9]$")
"""OpenFIGI (OMG FIGI 1.0, 6.1.2): two consonants (not BS, BM, GG, GB, GH, KY or VG, which could start an ISIN),
`G`, eight consonants or digits, a check digit. Every FIGI issued so far starts `BBG`."""
LOANX_PATTERN = re.compile(r"^LX[0-9]{6}$")
"""Markit LoanX ID: `LX` and six digits (no check digit)."""


_CUSIP_VALUES = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*@#")}
"""CUSIP character values: digits as is, letters A=10…Z=35, then * = 36, @ = 37, # = 38."""
_CUSIP_ODD = {c: v // 10 + v % 10 for c, v in _CUSIP_VALUES.items()}
"""Positions 1, 3, 5, 7: the digit sum of the value."""
_CUSIP_EVEN = {c: (2 * v) // 10 + (2 * v) % 10 for c, v in _CUSIP_VALUES.items()}
"""Positions 2, 4, 6, 8: the digit sum of twice the value."""
_ISIN_TABLE = str.maketrans({c: str(int(c, 36)) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
_LUHN_KEEP = {str(d): d for d in range(10)}
_LUHN_DOUBLE = {str(d): 2 * d - 9 if 2 * d > 9 else 2 * d for d in range(10)}


def cusip_check_digit(base: str) -> int:
    """The check digit of an 8-character CUSIP base (modulus 10, double-add-double).

    Every second character's value (positions 2, 4, 6, 8) is doubled; the digits of all values are summed;
    the check digit is (10 - sum mod 10) mod 10.
    """
    upper = base.upper()
    total = sum(map(_CUSIP_ODD.__getitem__, upper[0::2])) + sum(map(_CUSIP_EVEN.__getitem__, upper[1::2]))
    return (10 - total % 10) % 10


def figi_check_digit(base: str) -> int:
    """The check digit of an 11-character FIGI base: CUSIP's modulus 10 double-add-double over eleven characters.

    Letters are A=10…Z=35; working from the right of the base, every second value (the 10th, 8th, …, 2nd
    character) is doubled; the digits of all values are summed; the check digit is (10 - sum mod 10) mod 10.
    """
    upper = base.upper()
    total = sum(map(_CUSIP_ODD.__getitem__, upper[0::2])) + sum(map(_CUSIP_EVEN.__getitem__, upper[1::2]))
    return (10 - total % 10) % 10


def is_valid_figi(value: str | None) -> bool:
    """Twelve characters of the FIGI shape whose last digit matches the check digit of the first eleven."""
    if not value:
        return False
    text = value.strip().upper()
    return bool(FIGI_PATTERN.match(text)) and figi_check_digit(text[:11]) == int(text[11])


def is_loanx_id(value: str | None) -> bool:
    """`LX` and six digits (a LoanX ID has no check digit: its shape is all there is to check)."""
    return bool(value) and bool(LOANX_PATTERN.match(str(value).strip().upper()))


def is_valid_cusip(value: str | None) -> bool:
    """Nine characters whose last digit matches the check digit of the first eight."""
    if not value:
        return False
    text = value.strip().upper()
    return bool(CUSIP_PATTERN.match(text)) and cusip_check_digit(text[:8]) == int(text[8])


def isin_check_digit(base: str) -> int:
    """The check digit of an 11-character ISIN base: letters to numbers (A=10…Z=35), then Luhn.

    Luhn from the right of the payload: the rightmost payload digit is doubled (the check digit goes after it),
    doubled digits above 9 lose 9, and the check digit is (10 - sum mod 10) mod 10.
    """
    digits = base.upper().translate(_ISIN_TABLE)
    total = sum(map(_LUHN_DOUBLE.__getitem__, digits[-1::-2])) + sum(map(_LUHN_KEEP.__getitem__, digits[-2::-2]))
    return (10 - total % 10) % 10


def is_valid_isin(value: str | None) -> bool:
    """Twelve characters (country code, nine alphanumerics, check digit) passing the Luhn check."""
    if not value:
        return False
    text = value.strip().upper()
    return bool(ISIN_PATTERN.match(text)) and isin_check_digit(text[:11]) == int(text[11])


def cusip_to_isin(cusip: str, country: str = "US") -> str:
    """The ISIN wrapping a CUSIP (country + CUSIP + Luhn check digit), used by the demo generator."""
    base = f"{country}{cusip}"
    return f"{base}{isin_check_digit(base)}"


def _lookup(mapping: dict[str, int]) -> np.ndarray:
    table = np.full(256, -1, dtype=np.int64)
    for char, value in mapping.items():
        table[ord(char)] = value
    return table


_CUSIP_VALUE_TABLE = _lookup(_CUSIP_VALUES)
_CUSIP_ODD_TABLE = _lookup(_CUSIP_ODD)
_CUSIP_EVEN_TABLE = _lookup(_CUSIP_EVEN)
_ISIN_VALUE_TABLE = _lookup({c: int(c, 36) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
_LUHN_DOUBLE_TABLE = np.array([_LUHN_DOUBLE[str(d)] for d in range(10)], dtype=np.int64)


def _fixed_width(values: Sequence[str | None], width: int) -> tuple[list[bool | None], list[int], np.ndarray]:
    """Flags (None for None, False otherwise), indices of the ASCII `width`-character texts, and their bytes."""
    flags: list[bool | None] = [None if v is None else False for v in values]
    texts = [v.strip().upper() if v is not None else "" for v in values]
    index = [i for i, t in enumerate(texts) if len(t) == width and t.isascii()]
    codes = np.frombuffer("".join([texts[i] for i in index]).encode("ascii"), dtype=np.uint8)
    return flags, index, codes.reshape(len(index), width).astype(np.int64)


def cusip_flags(values: Sequence[str | None]) -> list[bool | None]:
    """`[None if v is None else is_valid_cusip(v) for v in values]`, with the check digits computed in numpy."""
    flags, index, codes = _fixed_width(values, 9)
    if not index:
        return flags
    check = codes[:, 8] - ord("0")
    ok = (_CUSIP_VALUE_TABLE[codes[:, :8]] >= 0).all(axis=1) & (check >= 0) & (check <= 9)
    total = _CUSIP_ODD_TABLE[codes[:, 0:8:2]].sum(axis=1) + _CUSIP_EVEN_TABLE[codes[:, 1:8:2]].sum(axis=1)
    ok &= (10 - total % 10) % 10 == check
    for i, valid in zip(index, ok.tolist(), strict=True):
        flags[i] = valid
    return flags


def isin_flags(values: Sequence[str | None]) -> list[bool | None]:
    """`[None if v is None else is_valid_isin(v) for v in values]`, with the Luhn checks computed in numpy."""
    flags, index, codes = _fixed_width(values, 12)
    if not index:
        return flags
    numbers = _ISIN_VALUE_TABLE[codes[:, :11]]
    check = codes[:, 11] - ord("0")
    ok = ((numbers[:, :2] >= 10).all(axis=1) & (numbers[:, 2:] >= 0).all(axis=1)) & (check >= 0) & (check <= 9)
    numbers = np.where(numbers < 0, 0, numbers)
    total = np.zeros(len(index), dtype=np.int64)
    position = np.zeros(len(index), dtype=np.int64)  # payload digits already taken, counted from the right
    for column in range(10, -1, -1):
        value = numbers[:, column]
        letter = value >= 10
        low = np.where(letter, value % 10, value)
        doubled = position % 2 == 0
        total += np.where(doubled, _LUHN_DOUBLE_TABLE[low], low)
        high = value // 10
        total += np.where(letter, np.where(doubled, high, _LUHN_DOUBLE_TABLE[high]), 0)
        position += np.where(letter, 2, 1)
    ok &= (10 - total % 10) % 10 == check
    for i, valid in zip(index, ok.tolist(), strict=True):
        flags[i] = valid
    return flags


def figi_flags(values: Sequence[str | None]) -> list[bool | None]:
    """`[None if v is None else is_valid_figi(v) for v in values]` (FIGI columns are rare: a plain loop)."""
    return [None if v is None else is_valid_figi(v) for v in values]
