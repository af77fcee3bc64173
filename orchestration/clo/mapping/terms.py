"""The holding terms of issue 21 (C14): their vocabularies and the normalisers that read a cell into them.

Fields: `seniority`, `asset_type` and `moodys_watch` (keywords), the flags `is_cov_lite`, `is_dip`,
`is_current_pay`, `is_participation`, `is_pik` (TRUE/FALSE), and the numbers `purchase_price` (% of par) and
`unfunded_amount` (USD), which read like every other number (`normalize.to_number`).

Every normaliser takes one raw cell and returns the canonical value, or None for a blank cell and for a value it
does not recognise; the extraction records the second kind (a non-blank cell, see `is_blank`) as a `type`
validation failure in the mapping diagnostics, so nothing is lost silently and nothing crashes. Text is trimmed and
compared case-insensitively with punctuation read as spaces (`1st-Lien` = `1st lien`). What a blank means is the
engine's reading, not stored here: blank seniority = senior_secured, blank asset_type = loan, blank
unfunded_amount = 0; a blank flag is stored FALSE (a flag column is never null).
"""

import math
import re
from typing import Any

from orchestration.clo import normalize as nz

SENIORITIES: tuple[str, ...] = ("senior_secured", "second_lien", "senior_unsecured", "subordinated")
"""Rank of a holding in its obligor's capital structure."""
ASSET_TYPES: tuple[str, ...] = ("loan", "revolver", "delayed_draw", "bond")
"""The instrument: a funded term loan, a revolving facility, a delayed-draw term loan, a bond or note."""
WATCHES: tuple[str, ...] = ("negative", "positive")
"""Moody's review for downgrade (negative) or upgrade (positive); null when not on review."""
FLAG_FIELDS: tuple[str, ...] = ("is_cov_lite", "is_dip", "is_current_pay", "is_participation", "is_pik")
"""Boolean holding terms: cov-lite; debtor-in-possession; current-pay obligation; participation; PIK/deferrable."""
TERM_NUMBERS: tuple[str, ...] = ("purchase_price", "unfunded_amount")
"""Numeric holding terms: price paid (% of par) and undrawn commitment (USD)."""
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "seniority": SENIORITIES,
    "asset_type": ASSET_TYPES,
    "moodys_watch": WATCHES,
}
"""The keyword fields and the values each may hold after normalisation."""


def _key(text: str) -> str:
    """Lower-case words: anything but letters and digits becomes one space (`First-Lien  TL` → `first lien tl`)."""
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _text(value: Any) -> str | None:
    """The cell as trimmed text, None when blank (numbers are not text: no keyword field holds a number)."""
    if type(value) is not str or nz.is_blank(value):
        return None
    return value.strip()


_SENIORITY_LABELS: dict[str, str] = {
    **{_key(s): s for s in SENIORITIES},
    "secured": "senior_secured", "sr secured": "senior_secured", "snr secured": "senior_secured",
    "first lien": "senior_secured", "1st lien": "senior_secured", "1l": "senior_secured", "lien 1": "senior_secured",
    "first lien senior secured": "senior_secured", "senior secured first lien": "senior_secured",
    "2nd lien": "second_lien", "2l": "second_lien", "lien 2": "second_lien",
    "second lien senior secured": "second_lien",
    "unsecured": "senior_unsecured", "sr unsecured": "senior_unsecured", "snr unsecured": "senior_unsecured",
    "senior unsec": "senior_unsecured", "sr unsec": "senior_unsecured",
    "sub": "subordinated", "subordinate": "subordinated", "senior subordinated": "subordinated",
    "sr subordinated": "subordinated", "sr sub": "subordinated", "junior subordinated": "subordinated",
    "jr subordinated": "subordinated", "jr sub": "subordinated", "mezzanine": "subordinated", "mezz": "subordinated",
}  # fmt: skip
"""Exact labels (after `_key`); anything else goes through `_SENIORITY_WORDS`."""
_SENIORITY_WORDS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"second", "2nd", "2l"}), "second_lien"),
    (frozenset({"subordinated", "subordinate", "sub", "mezzanine", "mezz"}), "subordinated"),
    (frozenset({"unsecured", "unsec"}), "senior_unsecured"),
    (frozenset({"secured", "first", "1st", "1l"}), "senior_secured"),
)
"""Word rules in order, for labels carrying an instrument too (`Second Lien Term Loan`, `Senior Secured Notes`):
the first rule with a word in the label decides. `second` needs `lien` beside it (see `to_seniority`)."""


def to_seniority(value: Any) -> str | None:
    """The rank (`SENIORITIES`), or None for a blank or unrecognised cell.

    `Senior Secured`, `Secured`, `First Lien`, `1st Lien` → senior_secured; `Second Lien`, `2nd Lien` →
    second_lien; `Senior Unsecured`, `Unsecured` → senior_unsecured; `Subordinated`, `Sub`, `Senior Subordinated`,
    `Mezzanine` → subordinated; an instrument word beside the rank is ignored (`Second Lien Loan` → second_lien).
    `Senior` alone is not recognised: it says secured for a loan and unsecured for a bond; `Third Lien` neither.
    """
    text = _text(value)
    if text is None:
        return None
    key = _key(text)
    if key in _SENIORITY_LABELS:
        return _SENIORITY_LABELS[key]
    words = set(key.split())
    for rule_words, seniority in _SENIORITY_WORDS:
        found = words & rule_words
        if not found:
            continue
        if found <= {"second", "first"} and "lien" not in words:
            return None  # `Second Priority`, `First Out`: not a lien rank
        return seniority
    return None


_ASSET_TYPE_LABELS: dict[str, str] = {
    **{_key(a): a for a in ASSET_TYPES},
    "rcf": "revolver", "revolving credit facility": "revolver", "revolving loan": "revolver", "revolving": "revolver",
    "ddtl": "delayed_draw", "dd tl": "delayed_draw", "delayed draw": "delayed_draw",
    "delayed draw term loan": "delayed_draw", "delayed draw loan": "delayed_draw",
    "tl": "loan", "tla": "loan", "tlb": "loan", "tlc": "loan", "term loan": "loan", "bank loan": "loan",
    "note": "bond", "notes": "bond", "bonds": "bond", "high yield bond": "bond", "hy bond": "bond", "frn": "bond",
}  # fmt: skip
"""Exact labels (after `_key`); anything else goes through `_ASSET_TYPE_WORDS`."""
_ASSET_TYPE_WORDS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"revolver", "revolving", "rcf", "revolvers"}), "revolver"),
    (frozenset({"ddtl", "delayed"}), "delayed_draw"),
    (frozenset({"bond", "bonds", "note", "notes", "debenture", "debentures", "frn"}), "bond"),
    (frozenset({"loan", "loans", "tl", "tla", "tlb", "tlc", "term", "unitranche"}), "loan"),
)
"""Word rules in order: revolver, then delayed draw (`Delayed Draw Term Loan` is not a plain loan), then bond, then
loan (`Term Loan B`, `Senior Secured Loan`, `First Lien Term Loan`, `Second Lien Loan`)."""


def to_asset_type(value: Any) -> str | None:
    """The instrument (`ASSET_TYPES`), or None for a blank or unrecognised cell.

    `Term Loan`, `Term Loan B`, `TLB`, `Senior Secured Loan`, `First Lien Term Loan`, `Second Lien Loan` → loan;
    `Revolver`, `Revolving Credit Facility`, `RCF` → revolver; `Delayed Draw`, `DDTL`, `Delayed Draw Term Loan` →
    delayed_draw; `Bond`, `Note`, `High Yield Bond`, `Senior Secured Notes` → bond. The seniority words in a label
    say nothing about the instrument (seniority is its own column).
    """
    text = _text(value)
    if text is None:
        return None
    key = _key(text)
    if key in _ASSET_TYPE_LABELS:
        return _ASSET_TYPE_LABELS[key]
    words = set(key.split())
    for rule_words, asset_type in _ASSET_TYPE_WORDS:
        if words & rule_words:
            return asset_type
    return None


_WATCH_SYMBOLS: dict[str, str] = {"*-": "negative", "(-)": "negative", "-ve": "negative", "*+": "positive",
                                  "+": "positive", "(+)": "positive", "+ve": "positive"}  # fmt: skip
"""Symbol forms, compared on the trimmed text (Moody's `*-` / `*+` review markers). A lone `-` is a blank."""
_NO_WATCH: frozenset[str] = frozenset({"no", "none", "n", "stable", "no watch", "not on watch", "not on review"})
"""Labels saying the holding is not on review: stored as null, like a blank, and not a validation failure."""
_WATCH_WORDS: dict[str, str] = {
    "negative": "negative", "neg": "negative", "down": "negative", "downgrade": "negative", "dng": "negative",
    "positive": "positive", "pos": "positive", "up": "positive", "upgrade": "positive", "upg": "positive",
}  # fmt: skip
"""Direction words: `Negative`, `Neg`, `Watch Negative`, `On Watch Neg`, `Review for Downgrade`, `RUR-Down`,
`Possible Downgrade` → negative; the same with positive / up / upgrade → positive."""


def to_watch(value: Any) -> str | None:
    """The review direction (`WATCHES`), or None: blank, not on review (`is_blank`), or unrecognised.

    A label with words of both directions, or of none (`Developing`, `Uncertain`), is unrecognised.
    """
    text = _text(value)
    if text is None:
        return None
    if text in _WATCH_SYMBOLS:
        return _WATCH_SYMBOLS[text]
    directions = {_WATCH_WORDS[w] for w in _key(text).split() if w in _WATCH_WORDS}
    return directions.pop() if len(directions) == 1 else None


_TRUE: frozenset[str] = frozenset({"true", "t", "y", "yes", "1", "x"})
_FALSE: frozenset[str] = frozenset({"false", "f", "n", "no", "0"})


def to_flag(value: Any) -> bool | None:
    """True for TRUE/Y/Yes/1/X (and a TRUE cell), False for FALSE/N/No/0 and blank; None when unrecognised.

    Case-insensitive and trimmed; the numbers 1 and 0 count, any other number is unrecognised. The extraction
    stores an unrecognised flag as False after recording it as a validation failure.
    """
    if value is None or type(value) is bool:
        return bool(value)
    if isinstance(value, int | float):
        if math.isnan(value) or value == 0:
            return False
        return True if value == 1 else None
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE or nz.is_blank(text):
        return False
    return None


NORMALISERS = {
    "seniority": to_seniority,
    "asset_type": to_asset_type,
    "moodys_watch": to_watch,
    **dict.fromkeys(FLAG_FIELDS, to_flag),
}
"""The canonicaliser of each keyword and flag field (profile transforms are not applied to these fields)."""


def is_blank(field_name: str, value: Any) -> bool:
    """Whether a cell counts as blank for the field, so that its None is no validation failure.

    The usual blanks (`normalize.is_blank`), and for moodys_watch also the not-on-review labels (`No`, `Stable`, …).
    """
    if nz.is_blank(value):
        return True
    return field_name == "moodys_watch" and isinstance(value, str) and _key(value) in _NO_WATCH
