"""Rating scales and notch distances, so a rating variance can say how far apart two ratings are."""

from __future__ import annotations

import re
from functools import lru_cache

MOODYS_SCALE: tuple[str, ...] = (
    "Aaa", "Aa1", "Aa2", "Aa3", "A1", "A2", "A3", "Baa1", "Baa2", "Baa3", "Ba1", "Ba2", "Ba3",
    "B1", "B2", "B3", "Caa1", "Caa2", "Caa3", "Ca", "C",
)  # fmt: skip
"""Moody's long-term scale, best first; the position is the notch."""

SP_SCALE: tuple[str, ...] = (
    "AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-",
    "B+", "B", "B-", "CCC+", "CCC", "CCC-", "CC", "C", "D",
)  # fmt: skip
"""S&P and Fitch long-term scale, best first (D is one notch below C)."""

_MOODYS = {token.upper(): index for index, token in enumerate(MOODYS_SCALE)}
_SP = {token: index for index, token in enumerate(SP_SCALE)}
_SP.update({"SD": _SP["D"], "RD": _SP["D"]})
_NOISE = re.compile(r"\s*(\(SF\)|\(P\)|\*[+-]?|\bSF\b|\bU\b|\bWR\b)\s*", re.IGNORECASE)


def clean_rating(value: object) -> str | None:
    """Strip structured-finance and watch suffixes ("B2 *-", "B (sf)"); None for blanks and "NR"."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return _clean_text(str(value))


@lru_cache(maxsize=4096)
def _clean_text(value: str) -> str | None:
    text = _NOISE.sub("", value).strip()
    if not text or text.upper() in {"NR", "N/A", "NA", "NAN", "NONE", "WD", "-"}:
        return None
    return text


def notch(value: object) -> int | None:
    """The 0-based notch of a rating on its agency's scale (Aaa/AAA = 0), or None when not a rating."""
    text = clean_rating(value)
    return None if text is None else _notch_of(text)


@lru_cache(maxsize=4096)
def _notch_of(text: str) -> int | None:
    """Moody's tokens are recognised by their mixed case ("Baa1", "B2"); "C" is the same notch on both scales."""
    if text in _SP:
        return _SP[text]
    upper = text.upper()
    if upper in _MOODYS:
        return _MOODYS[upper]
    return _SP.get(upper)


def notch_difference(internal: object, external: object) -> int | None:
    """Internal notch minus external notch: positive when the internal rating is the worse one."""
    a, b = notch(internal), notch(external)
    return None if a is None or b is None else a - b
