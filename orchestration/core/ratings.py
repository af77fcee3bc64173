"""The one rating vocabulary: the agencies' scales, notches, Moody's equivalents, rating factors, the CCC rule.

CLO normalisation, data quality and insights, compliance, reconciliation and reports all read it, and dbt
reads the same table as the seed `rating_scale` (`seed_csv()` writes it; a test keeps the two equal).
Vectorised helpers work over the *distinct* tokens of a column: a 100,000-row portfolio has a few dozen,
so each is resolved once in Python and broadcast with numpy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

MOODYS_SCALE: tuple[str, ...] = (
    "Aaa", "Aa1", "Aa2", "Aa3", "A1", "A2", "A3", "Baa1", "Baa2", "Baa3", "Ba1", "Ba2", "Ba3",
    "B1", "B2", "B3", "Caa1", "Caa2", "Caa3", "Ca", "C",
)  # fmt: skip
"""Moody's long-term scale, best first; the position is the notch."""

SP_FITCH_SCALE: tuple[str, ...] = (
    "AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-",
    "B+", "B", "B-", "CCC+", "CCC", "CCC-", "CC", "C",
)  # fmt: skip
"""The S&P and Fitch long-term scale shared by both agencies, best first (notch = position)."""

SP_DEFAULT_TOKENS: tuple[str, ...] = ("SD", "D")
FITCH_DEFAULT_TOKENS: tuple[str, ...] = ("RD", "D")
SP_SCALE: tuple[str, ...] = SP_FITCH_SCALE + SP_DEFAULT_TOKENS
"""Every canonical S&P token: the scale, then selective default and default (one notch below C)."""
FITCH_SCALE: tuple[str, ...] = SP_FITCH_SCALE + FITCH_DEFAULT_TOKENS
"""Every canonical Fitch token: the scale, then restricted default and default (one notch below C)."""
SCALES: dict[str, tuple[str, ...]] = {"moodys": MOODYS_SCALE, "sp": SP_SCALE, "fitch": FITCH_SCALE}

RATING_FACTORS: dict[str, int] = dict(
    zip(
        MOODYS_SCALE,
        (1, 10, 20, 40, 70, 120, 180, 260, 360, 610, 940, 1350, 1766, 2220, 2720, 3490, 4770, 6500, 8070, 10000, 10000),
        strict=True,
    )
)
"""Moody's rating factors (compliance convention 4)."""

SP_FITCH_TO_MOODYS: dict[str, str] = dict(zip(SP_FITCH_SCALE, MOODYS_SCALE, strict=True))
"""S&P/Fitch → Moody's one-to-one by notch, no notching down (convention 3); defaults map to C."""

DEFAULT_RATING = "Caa3"
"""No rating from any agency → Caa3 (convention 3)."""

CCC_OR_LOWER = frozenset(MOODYS_SCALE[MOODYS_SCALE.index("Caa1") :])
"""The CCC rule: an effective Moody's rating of Caa1 or lower (convention 6), for a performing holding."""

NOT_RATED = frozenset({"", "-", "--", "NR", "WR", "WD", "N/A", "NA", "N.R.", "NOT RATED", "P-NR", "NAN", "NONE"})
"""Tokens (any case) that mean "no rating from this agency" (convention 2)."""

_NOISE = re.compile(r"\s*(\(sf\)|\(p\)|\(exp\)|\(cwp\)|\(cwn\)|\*[+-]?|sf$|\bsf\b|\bu\b)\s*", re.IGNORECASE)
"""Structured-finance, provisional, expected and watch decorations: `B2 *-`, `B (sf)`, `(P)Baa3`."""

_MOODYS_UPPER = {t.upper(): t for t in MOODYS_SCALE}
_SP_NOTCH = {t: i for i, t in enumerate(SP_FITCH_SCALE)} | {t: len(SP_FITCH_SCALE) for t in ("SD", "RD", "D")}
_MOODYS_NOTCH = {t.upper(): i for i, t in enumerate(MOODYS_SCALE)}
CANONICAL_NOTCH: dict[str, int] = {t: i for i, t in enumerate(MOODYS_SCALE)} | _SP_NOTCH
"""Notch of every canonical token of the three agencies (Moody's tokens are mixed case; `C` is 20 on both)."""


@lru_cache(maxsize=4096)
def clean_token(text: str) -> str | None:
    """A rating token without decorations, or None when it says "not rated"."""
    cleaned = _NOISE.sub("", text.strip()).strip()
    return None if cleaned.upper() in NOT_RATED else cleaned


def clean_rating(value: object) -> str | None:
    """A cell's rating token without decorations ("B2 *-" → "B2", "B (sf)" → "B"); None for blanks and NR."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return clean_token(str(value))


def normalize_rating(value: Any, agency: str | None = None) -> str | None:
    """A raw cell as the agency's canonical token (Moody's `Baa3`, S&P/Fitch `BBB-`); not rated → None.

    Without an agency, Moody's-style tokens are recognised first, then S&P/Fitch. An unrecognised token
    gives None (the caller records the failure).
    """
    if not isinstance(value, str):
        return None
    text = clean_token(value)
    if text is None:
        return None
    upper = text.upper()
    if agency in ("moodys", None):
        token = _MOODYS_UPPER.get(upper)
        if token and (agency == "moodys" or text == token or upper not in SP_SCALE):
            return token
        if agency == "moodys":
            return None
    tokens = FITCH_SCALE if agency == "fitch" else SP_SCALE
    if upper in tokens or (agency is None and upper in FITCH_SCALE):
        return upper
    return None


def rating_agency_of(value: Any) -> str | None:
    """Which scale a raw token belongs to unambiguously: `moodys` (Baa3, Caa1) or `sp_fitch` (BBB-)."""
    if not isinstance(value, str):
        return None
    text = clean_token(value)
    if text is None:
        return None
    if text in MOODYS_SCALE and text not in SP_SCALE:
        return "moodys"
    if text.upper() in SP_SCALE or text.upper() in FITCH_SCALE:
        return "sp_fitch"
    return None


def moodys_token(token: object) -> str | None:
    """Canonical Moody's rating for a Moody's token, or None when absent or unrecognised."""
    text = clean_rating(token)
    return None if text is None else _MOODYS_UPPER.get(text.upper())


def _to_moodys(token: object, default_tokens: tuple[str, ...]) -> str | None:
    text = clean_rating(token)
    if text is None:
        return None
    upper = text.upper()
    return "C" if upper in default_tokens else SP_FITCH_TO_MOODYS.get(upper)


def sp_to_moodys(token: object) -> str | None:
    """Moody's equivalent of an S&P rating (convention 3: `SD`/`D` → C), or None when absent or unrecognised."""
    return _to_moodys(token, SP_DEFAULT_TOKENS)


def fitch_to_moodys(token: object) -> str | None:
    """Moody's equivalent of a Fitch rating (convention 3: `RD`/`D` → C), or None when absent or unrecognised."""
    return _to_moodys(token, FITCH_DEFAULT_TOKENS)


def notch(value: object) -> int | None:
    """The 0-based notch of a rating on its agency's scale (Aaa/AAA = 0; D one below C), or None."""
    text = clean_rating(value)
    if text is None:
        return None
    if text in _SP_NOTCH:
        return _SP_NOTCH[text]
    upper = text.upper()
    if upper in _MOODYS_NOTCH:
        return _MOODYS_NOTCH[upper]
    return _SP_NOTCH.get(upper)


def notch_difference(internal: object, external: object) -> int | None:
    """Internal notch minus external notch: positive when the internal rating is the worse one."""
    a, b = notch(internal), notch(external)
    return None if a is None or b is None else a - b


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


def notch_down(rating: str) -> str:
    """One notch down Moody's scale (issue 21 C15): Aaa → Aa1 … Ca → C; C stays C."""
    i = MOODYS_SCALE.index(rating)
    return MOODYS_SCALE[min(i + 1, len(MOODYS_SCALE) - 1)]


MOODYS_TO_SP: dict[str, str] = dict(zip(MOODYS_SCALE, SP_FITCH_SCALE, strict=True))
"""Moody's → S&P by notch, the convention 3 table read backwards (Caa1 → CCC+, Ca → CC, C → C; issue 21 C16)."""

SP_CCC: frozenset[str] = frozenset({"CCC+", "CCC", "CCC-", "CC", "C", "SD", "D"})
"""S&P's CCC category (issue 21 C16, `conc_sp_ccc`)."""

DERIVED_CAA: frozenset[str] = frozenset({"Caa1", "Caa2", "Caa3", "Ca", "C"})
"""Moody's Caa and below (issue 21 C23, `conc_moodys_caa` on the C15 rating)."""


def _watch_negative(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower() == "negative"


def derived_moodys_ratings(
    moodys: Sequence[object] | pd.Series,
    sp: Sequence[object] | pd.Series,
    fitch: Sequence[object] | pd.Series,
    watch: Sequence[object] | pd.Series,
) -> tuple[np.ndarray, np.ndarray]:
    """Moody's Derived Rating and its source per holding (issue 21 C15).

    Moody's, one notch lower on watch negative (source `moodys`); else the S&P equivalent one notch lower
    (`sp`); else the Fitch equivalent one notch lower (`fitch`); else Caa3 with no notch (`unrated_default`).
    """
    m = _map_distinct(moodys, moodys_token)
    s = _map_distinct(sp, sp_to_moodys)
    f = _map_distinct(fitch, fitch_to_moodys)
    negative = _map_distinct(watch, _watch_negative).astype(bool)
    has_m = m != None  # noqa: E711 - elementwise comparison on an object array
    has_s = s != None  # noqa: E711
    has_f = f != None  # noqa: E711
    m_down = _map_distinct(m, lambda r: notch_down(r) if r else None)
    s_down = _map_distinct(s, lambda r: notch_down(r) if r else None)
    f_down = _map_distinct(f, lambda r: notch_down(r) if r else None)
    rating = np.where(
        has_m,
        np.where(negative, m_down, m),
        np.where(has_s, s_down, np.where(has_f, f_down, DEFAULT_RATING)),
    )
    source = np.where(has_m, "moodys", np.where(has_s, "sp", np.where(has_f, "fitch", "unrated_default")))
    return rating.astype(object), source.astype(object)


def _sp_token(token: object) -> str | None:
    text = clean_rating(token)
    if text is None:
        return None
    upper = text.upper()
    return upper if upper in SP_SCALE else None


def sp_basis_ratings(sp: Sequence[object] | pd.Series, effective_moodys: np.ndarray) -> np.ndarray:
    """S&P-basis rating per holding (issue 21 C16): the S&P rating, else the S&P equivalent of the C2 rating."""
    s = _map_distinct(sp, _sp_token)
    equivalent = _map_distinct(effective_moodys, MOODYS_TO_SP.get)
    return np.where(s != None, s, equivalent).astype(object)  # noqa: E711


def rating_factors(ratings: np.ndarray) -> np.ndarray:
    """Moody's rating factor per effective rating (convention 4) as float64."""
    return _map_distinct(ratings, RATING_FACTORS.get).astype(np.float64)


def in_ccc_bucket_of(rating: object) -> bool:
    """True for an effective Moody's rating of Caa1 or lower (convention 6)."""
    return rating in CCC_OR_LOWER


def in_ccc_bucket(ratings: np.ndarray) -> np.ndarray:
    """True where the effective Moody's rating is Caa1 or lower (convention 6)."""
    return _map_distinct(ratings, in_ccc_bucket_of).astype(bool)


def ccc_holdings(holdings: pd.DataFrame) -> np.ndarray:
    """The CCC rule on a holdings frame: effective rating Caa1 or lower and not defaulted (one rule everywhere).

    A frame without an agency's column has no rating from that agency.
    """
    absent = pd.Series([None] * len(holdings), index=holdings.index, dtype=object)
    moodys, sp, fitch = (holdings.get(f"rating_{a}", absent) for a in ("moodys", "sp", "fitch"))
    rating, _ = effective_ratings(moodys, sp, fitch)
    defaulted = holdings["is_defaulted"].fillna(False).astype(bool).to_numpy()
    return in_ccc_bucket(rating) & ~defaulted


SEED_COLUMNS: tuple[str, ...] = ("agency", "token", "notch", "moodys_equivalent", "rating_factor", "is_ccc")


def scale_rows() -> list[dict[str, Any]]:
    """The vocabulary as rows, dbt's `rating_scale` seed: one per agency and canonical token, and `none` (unrated)."""
    rows: list[dict[str, Any]] = []
    for agency, scale in SCALES.items():
        to_moodys = {"moodys": moodys_token, "sp": sp_to_moodys, "fitch": fitch_to_moodys}[agency]
        for token in scale:
            equivalent = to_moodys(token)
            rows.append(
                {
                    "agency": agency,
                    "token": token,
                    "notch": notch(token),
                    "moodys_equivalent": equivalent,
                    "rating_factor": RATING_FACTORS[equivalent] if equivalent else None,
                    "is_ccc": in_ccc_bucket_of(equivalent),
                }
            )
    rows.append(
        {
            "agency": "none",
            "token": "",
            "notch": None,
            "moodys_equivalent": DEFAULT_RATING,
            "rating_factor": RATING_FACTORS[DEFAULT_RATING],
            "is_ccc": in_ccc_bucket_of(DEFAULT_RATING),
        }
    )
    return rows


def seed_csv() -> str:
    """`scale_rows()` as the CSV of dbt's `rating_scale` seed (blank for none, lower-case booleans)."""

    def cell(value: object) -> str:
        if value is None:
            return ""
        return str(value).lower() if isinstance(value, bool) else str(value)

    lines = [",".join(SEED_COLUMNS)]
    lines += [",".join(cell(row[c]) for c in SEED_COLUMNS) for row in scale_rows()]
    return "\n".join(lines) + "\n"
