"""Rating scales and value readers of the issue-21 reference implementation (tests only; see reference_indenture).

Typed in from the conventions (C2, C3, C15, C16), deliberately sharing nothing with orchestration.core.ratings.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

# C2/C3: Moody's scale, best first, and its rating factors; S&P and Fitch share one scale, notch for notch.
MOODYS = ("Aaa", "Aa1", "Aa2", "Aa3", "A1", "A2", "A3", "Baa1", "Baa2", "Baa3", "Ba1", "Ba2", "Ba3",
          "B1", "B2", "B3", "Caa1", "Caa2", "Caa3", "Ca", "C")  # fmt: skip
FACTORS = (1, 10, 20, 40, 70, 120, 180, 260, 360, 610, 940, 1350, 1766,
           2220, 2720, 3490, 4770, 6500, 8070, 10000, 10000)  # fmt: skip
SP_FITCH = ("AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-",
            "B+", "B", "B-", "CCC+", "CCC", "CCC-", "CC", "C")  # fmt: skip
SP_DEFAULT_TOKENS = ("SD", "D")  # C2: S&P SD / D → C
FITCH_DEFAULT_TOKENS = ("RD", "D")  # C2: Fitch RD / D → C
NO_RATING = ("", "NR", "WR", "N/A", "NA")
SP_CCC = ("CCC+", "CCC", "CCC-", "CC", "C", "SD", "D")  # C16
CAA1 = 16  # position of Caa1 in MOODYS: Caa1 or lower is CCC (C5) / Caa (C23)
EQUAL = 1e-9  # C24


def blank(value: Any) -> bool:
    """None, NaN or an empty / whitespace string."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def number(value: Any) -> float | None:
    return None if blank(value) else float(value)


def flag(value: Any) -> bool:
    """C14: TRUE/FALSE case-insensitive, blank = FALSE."""
    if blank(value):
        return False
    if isinstance(value, str):
        return value.strip().upper() == "TRUE"
    return bool(value)


def day(value: Any) -> dt.date | None:
    if blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def rating_token(value: Any) -> str | None:
    """A rating token, or None for the C2 no-rating tokens."""
    if blank(value) or str(value).strip().upper() in NO_RATING:
        return None
    return str(value).strip()


def moodys_position(value: Any) -> int | None:
    token = rating_token(value)
    upper = [m.upper() for m in MOODYS]
    return upper.index(token.upper()) if token and token.upper() in upper else None


def agency_position(value: Any, default_tokens: tuple[str, ...]) -> int | None:
    """S&P / Fitch token → position on the Moody's scale (C2: one-to-one by notch; default tokens → C)."""
    token = rating_token(value)
    if token is None:
        return None
    token = token.upper()
    if token in default_tokens:
        return len(MOODYS) - 1
    return SP_FITCH.index(token) if token in SP_FITCH else None


def c2_rating(h: Mapping[str, Any]) -> tuple[int, str]:
    """C2 effective rating (position, source): Moody's, else S&P, else Fitch, else Caa3 ('default')."""
    for source, position in (
        ("moodys", moodys_position(h.get("rating_moodys"))),
        ("sp", agency_position(h.get("rating_sp"), SP_DEFAULT_TOKENS)),
        ("fitch", agency_position(h.get("rating_fitch"), FITCH_DEFAULT_TOKENS)),
    ):
        if position is not None:
            return position, source
    return MOODYS.index("Caa3"), "default"


def derived_rating(h: Mapping[str, Any]) -> tuple[int, str]:
    """C15 Moody's Derived Rating: watch-negative Moody's one notch down; S&P / Fitch always one notch down."""
    down = len(MOODYS) - 1  # C stays C
    moodys = moodys_position(h.get("rating_moodys"))
    if moodys is not None:
        negative = not blank(h.get("moodys_watch")) and str(h["moodys_watch"]).strip().lower() == "negative"
        return (min(moodys + 1, down) if negative else moodys), "moodys"
    sp = agency_position(h.get("rating_sp"), SP_DEFAULT_TOKENS)
    if sp is not None:
        return min(sp + 1, down), "sp"
    fitch = agency_position(h.get("rating_fitch"), FITCH_DEFAULT_TOKENS)
    if fitch is not None:
        return min(fitch + 1, down), "fitch"
    return MOODYS.index("Caa3"), "unrated_default"


def sp_basis_rating(h: Mapping[str, Any], c2_position: int) -> str:
    """C16: the S&P token when present, else the C2 rating read back onto the S&P scale."""
    token = rating_token(h.get("rating_sp"))
    if token and (token.upper() in SP_FITCH or token.upper() in SP_DEFAULT_TOKENS):
        return token.upper()
    return SP_FITCH[c2_position]


def status(value: float | None, direction: str, trigger: float, target: float) -> str:
    """C12 with C24's tolerance: a value within 1e-9 of a level counts as at it; undefined fails."""
    if value is None or math.isnan(value):
        return "failed"
    sign = 1.0 if direction == "min" else -1.0
    if sign * (value - target) >= -EQUAL:
        return "passed"
    if sign * (value - trigger) >= -EQUAL:
        return "warning"
    return "failed"
