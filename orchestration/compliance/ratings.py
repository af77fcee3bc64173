"""Rating tokens, the S&P/Fitch → Moody's equivalence and Moody's rating factors (issue 4, conventions 2-4).

Everything here is vectorised over the *distinct* rating strings of a column: a 100,000-row portfolio has a
few dozen distinct tokens, so each is normalised once in Python and the result is broadcast with numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

MOODYS_SCALE: tuple[str, ...] = (
    "Aaa",
    "Aa1",
    "Aa2",
    "Aa3",
    "A1",
    "A2",
    "A3",
    "Baa1",
    "Baa2",
    "Baa3",
    "Ba1",
    "Ba2",
    "Ba3",
    "B1",
    "B2",
    "B3",
    "Caa1",
    "Caa2",
    "Caa3",
    "Ca",
    "C",
)
"""Moody's long-term scale, best first."""

RATING_FACTORS: dict[str, int] = {
    # Convention 4: Moody's rating factors.
    "Aaa": 1,
    "Aa1": 10,
    "Aa2": 20,
    "Aa3": 40,
    "A1": 70,
    "A2": 120,
    "A3": 180,
    "Baa1": 260,
    "Baa2": 360,
    "Baa3": 610,
    "Ba1": 940,
    "Ba2": 1350,
    "Ba3": 1766,
    "B1": 2220,
    "B2": 2720,
    "B3": 3490,
    "Caa1": 4770,
    "Caa2": 6500,
    "Caa3": 8070,
    "Ca": 10000,
    "C": 10000,
}

SP_FITCH_TO_MOODYS: dict[str, str] = {
    # Convention 3: one-to-one by notch, no notching down.
    "AAA": "Aaa",
    "AA+": "Aa1",
    "AA": "Aa2",
    "AA-": "Aa3",
    "A+": "A1",
    "A": "A2",
    "A-": "A3",
    "BBB+": "Baa1",
    "BBB": "Baa2",
    "BBB-": "Baa3",
    "BB+": "Ba1",
    "BB": "Ba2",
    "BB-": "Ba3",
    "B+": "B1",
    "B": "B2",
    "B-": "B3",
    "CCC+": "Caa1",
    "CCC": "Caa2",
    "CCC-": "Caa3",
    "CC": "Ca",
    "C": "C",
}
SP_DEFAULT_TOKENS = frozenset({"SD", "D"})
"""Convention 3: S&P `SD`/`D` → C."""
FITCH_DEFAULT_TOKENS = frozenset({"RD", "D"})
"""Convention 3: Fitch `RD`/`D` → C."""

NO_RATING_TOKENS = frozenset({"", "NR", "WR", "N/A", "NA"})
"""Convention 2: these (any case) and blank mean "no rating from this agency"."""

DEFAULT_RATING = "Caa3"
"""Convention 3: no rating from any agency → Caa3."""

CCC_OR_LOWER = frozenset({"Caa1", "Caa2", "Caa3", "Ca", "C"})
"""Convention 6: effective Moody's Caa1 or lower is in the CCC bucket."""

_MOODYS_BY_UPPER = {r.upper(): r for r in MOODYS_SCALE}


def _clean(token: object) -> str | None:
    """Trimmed upper-case token without outlook/watch decorations, or None when there is no rating (conv. 2)."""
    if token is None or (isinstance(token, float) and np.isnan(token)) or token is pd.NA:
        return None
    text = str(token).strip().upper()
    for suffix in ("(SF)", "(P)", "*-", "*+", "*"):
        if text.endswith(suffix):
            text = text[: -len(suffix)].strip()
    if text.startswith("(P)"):
        text = text[3:].strip()
    if text in NO_RATING_TOKENS:
        return None
    return text


def moodys_token(token: object) -> str | None:
    """Canonical Moody's rating for a Moody's token, or None when absent or unrecognised."""
    text = _clean(token)
    return None if text is None else _MOODYS_BY_UPPER.get(text)


def sp_to_moodys(token: object) -> str | None:
    """Moody's equivalent of an S&P rating (convention 3), or None when absent or unrecognised."""
    text = _clean(token)
    if text is None:
        return None
    if text in SP_DEFAULT_TOKENS:
        return "C"
    return SP_FITCH_TO_MOODYS.get(text)


def fitch_to_moodys(token: object) -> str | None:
    """Moody's equivalent of a Fitch rating (convention 3), or None when absent or unrecognised."""
    text = _clean(token)
    if text is None:
        return None
    if text in FITCH_DEFAULT_TOKENS:
        return "C"
    return SP_FITCH_TO_MOODYS.get(text)


def _map_distinct(values: Sequence[object] | pd.Series | np.ndarray, fn: Callable[[Any], Any]) -> np.ndarray:
    """Apply `fn` once per distinct value and broadcast (factorize keeps this O(n) in numpy)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[: len(uniques)] = [fn(u) for u in uniques]
    mapped[len(uniques)] = None  # missing values (bool-cast: False)
    return mapped[np.where(codes < 0, len(uniques), codes)]


def effective_ratings(
    moodys: Sequence[object] | pd.Series, sp: Sequence[object] | pd.Series, fitch: Sequence[object] | pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    """Effective Moody's rating and its source per holding (convention 3).

    Moody's if present (even when another agency is lower); else the equivalent of S&P; else of Fitch; else
    `Caa3` with source `default`. Returns (ratings, sources) as object arrays.
    """
    m = _map_distinct(moodys, moodys_token)
    s = _map_distinct(sp, sp_to_moodys)
    f = _map_distinct(fitch, fitch_to_moodys)
    has_m = m != None  # noqa: E711 - elementwise comparison on an object array
    has_s = s != None  # noqa: E711
    has_f = f != None  # noqa: E711
    rating = np.where(has_m, m, np.where(has_s, s, np.where(has_f, f, DEFAULT_RATING)))
    source = np.where(has_m, "moodys", np.where(has_s, "sp", np.where(has_f, "fitch", "default")))
    return rating.astype(object), source.astype(object)


def rating_factors(ratings: np.ndarray) -> np.ndarray:
    """Moody's rating factor per effective rating (convention 4) as float64."""
    return _map_distinct(ratings, RATING_FACTORS.get).astype(np.float64)


def in_ccc_bucket_of(rating: object) -> bool:
    """True for an effective Moody's rating of Caa1 or lower (convention 6)."""
    return rating in CCC_OR_LOWER


def in_ccc_bucket(ratings: np.ndarray) -> np.ndarray:
    """True where the effective Moody's rating is Caa1 or lower (convention 6)."""
    return _map_distinct(ratings, in_ccc_bucket_of).astype(bool)
