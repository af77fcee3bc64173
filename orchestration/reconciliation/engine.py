"""Reconcile a workbook's holdings with an external statement: match, compare, judge tolerance, auto-resolve.

Both sides are pandas frames in the canonical CLO holding columns (orchestration.clo.mapping). Everything is
vectorised over the positions (one merge per matching field, one pass per compared field), so 100,000
positions reconcile in seconds; only the differing rows are formatted or looked at one by one.

Matching tries the identifiers in order (assets_config/reconciliation/matching.yaml, e.g. cusip, isin, figi,
loanx_id, asset_id); each pass pairs the rows still unmatched on both sides by equal values, so a statement row
and a holding pair on the first identifier both carry. An identifier both sides carry that differs on a matched
pair is an identity variance.

Conventions (seed 000): `difference = internal - external`; `difference_pct = difference / |external| × 100`
(null when the external value is 0); rating differences are in notches (positive: internal is worse).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from orchestration.core import ratings
from orchestration.reconciliation import ids
from orchestration.reconciliation.config import IDENTIFIERS, AutoRule, ToleranceProfile

DEFAULT_MATCHING: tuple[str, ...] = IDENTIFIERS
"""The shipped order (matching.yaml's); the pipeline passes the configured one."""
DEFAULT_COMPARISON: tuple[str, ...] = ("par_amount", "price", "rating", "market_value", "accrued_interest")
RATING_FIELDS: tuple[str, ...] = ("rating_moodys", "rating_sp", "rating_fitch")
IDENTIFIER_FIELDS: tuple[str, ...] = IDENTIFIERS
"""Every identifier: compared for identity variances and, in this order, the key of an unmatched position."""
FIELD_CATEGORY: dict[str, str] = {
    "par_amount": "par",
    "price": "price",
    "market_value": "price",
    "accrued_interest": "accrued",
    "rating_moodys": "rating",
    "rating_sp": "rating",
    "rating_fitch": "rating",
    "cusip": "identity",
    "isin": "identity",
    "figi": "identity",
    "loanx_id": "identity",
    "asset_id": "identity",
    "issuer_name": "identity",
}
CATEGORIES: tuple[str, ...] = ("par", "price", "rating", "identity", "accrued")
STATUSES: tuple[str, ...] = ("open", "explained", "resolved", "ignored")
RESOLUTION_TYPES: tuple[str, ...] = ("explained", "corrected", "auto_resolved")
MATCH_STATUSES: tuple[str, ...] = ("matched", "unmatched_internal", "unmatched_external")
CANONICAL_VALUE_COLUMNS: tuple[str, ...] = (
    *IDENTIFIERS,
    "issuer_name",
    "par_amount",
    "price",
    "market_value",
    "accrued_interest",
    *RATING_FIELDS,
)
LOAN_IDENTIFIERS: tuple[str, ...] = ("loanx_id", "figi", "asset_id")
"""The identifiers added for syndicated loans; a matched position carries the holding's, else the statement's."""
_EPS = 1e-9
_LEGAL_FORMS = re.compile(
    r"\b(INC|INCORPORATED|CORP|CORPORATION|CO|COMPANY|LLC|L L C|LTD|LIMITED|LP|L P|PLC|SA|SARL|AG|NV|BV|GMBH|THE)\b"
)
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
_BLANKS = frozenset({"", "NAN", "NONE", "NULL", "<NA>"})

VARIANCE_COLUMNS: tuple[str, ...] = (
    "variance_id",
    "position_key",
    "matched_on",
    "holding_id",
    "external_row",
    "cusip",
    "isin",
    "issuer_name",
    "category",
    "field",
    "internal_value",
    "external_value",
    "difference",
    "difference_pct",
    "within_tolerance",
    "status",
    "resolution_type",
    "auto_rule_id",
    "explanation",
    "action",
)
POSITION_COLUMNS: tuple[str, ...] = (
    "position_key",
    "match_status",
    "matched_on",
    "holding_id",
    "external_row",
    "cusip",
    "isin",
    "loanx_id",
    "figi",
    "asset_id",
    "issuer_name",
    "internal_par",
    "external_par",
    "variance_count",
    "review_status",
    "source_cells",
)


@dataclass(frozen=True)
class ReconcileOptions:
    """What a reconcile request sets (seed 000): fields to match and compare, tolerances, rules, trades."""

    tolerance: ToleranceProfile
    matching_fields: Sequence[str] = DEFAULT_MATCHING
    comparison_fields: Sequence[str] = DEFAULT_COMPARISON
    rules: Sequence[AutoRule] = ()
    report_date: dt.date | None = None
    pending_trades: pd.DataFrame | None = None
    check_identity: bool = True


@dataclass
class ReconciliationResult:
    """Positions (matched and unmatched), variances and the seed-000 summary of one reconciliation."""

    positions: pd.DataFrame
    variances: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _identifier(value: Any) -> str | None:
    if _missing(value):
        return None
    text = "".join(str(value).split()).upper()
    return None if text in _BLANKS else text


def normalize_identifier(values: pd.Series) -> pd.Series:
    """Upper-case, no whitespace; blanks become missing (so they never match). A plain loop: faster than .str."""
    return pd.Series([_identifier(v) for v in values], index=values.index, dtype=object)


@lru_cache(maxsize=65536)
def _issuer(value: str) -> str | None:
    text = " ".join(_LEGAL_FORMS.sub(" ", _NON_ALNUM.sub(" ", value.upper())).split())
    return text or None


def normalize_issuer(values: pd.Series) -> pd.Series:
    """Issuer names without punctuation, case or legal-form words ("ABC Corp." == "ABC Corporation")."""
    return pd.Series([None if _missing(v) else _issuer(str(v)) for v in values], index=values.index, dtype=object)


def issuer_similarity(a: str, b: str) -> float:
    """Difflib's ratio of the normalised names (1.0 = same)."""
    return difflib.SequenceMatcher(None, a, b).ratio()


def _prepare(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index(drop=True).copy()
    for column in (*CANONICAL_VALUE_COLUMNS, "holding_id", "row_index", "source_cells"):
        if column not in out.columns:
            out[column] = None
    for column in ("par_amount", "price", "market_value", "accrued_interest"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    for column in IDENTIFIER_FIELDS:
        out[f"_k_{column}"] = normalize_identifier(out[column])
    out["_k_issuer_name"] = normalize_issuer(out["issuer_name"])
    return out


def _keys(frame: pd.DataFrame, name: str) -> pd.Series:
    """Normalised keys of a column (precomputed by `_prepare` for the identifiers)."""
    cached = f"_k_{name}"
    return frame[cached] if cached in frame.columns else normalize_identifier(frame[name])


def _occurrence_keys(keys: pd.Series) -> pd.DataFrame:
    present = keys.dropna()
    frame = pd.DataFrame({"key": present.to_numpy(), "row": present.index.to_numpy()})
    frame["n"] = frame.groupby("key", sort=False).cumcount()
    return frame


def match_positions(
    internal: pd.DataFrame, external: pd.DataFrame, matching_fields: Sequence[str]
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Match on each field in order among the rows still unmatched; equal keys pair up in row order.

    Returns (pairs with columns i, e, matched_on, position_key), the unmatched internal rows and the
    unmatched external rows (positional indexes).
    """
    i_left = np.ones(len(internal), dtype=bool)
    e_left = np.ones(len(external), dtype=bool)
    pairs: list[pd.DataFrame] = []
    for name in matching_fields:
        if name not in internal.columns or name not in external.columns:
            continue
        i_keys = _keys(internal, name)[i_left]
        e_keys = _keys(external, name)[e_left]
        merged = _occurrence_keys(i_keys).merge(_occurrence_keys(e_keys), on=["key", "n"], suffixes=("_i", "_e"))
        if merged.empty:
            continue
        suffix = np.where(merged["n"].to_numpy() > 0, "#" + (merged["n"] + 1).astype(str), "")
        pairs.append(
            pd.DataFrame(
                {
                    "i": merged["row_i"].to_numpy(),
                    "e": merged["row_e"].to_numpy(),
                    "matched_on": name,
                    "position_key": (name + ":" + merged["key"].astype(str) + suffix).to_numpy(),
                }
            )
        )
        i_left[merged["row_i"].to_numpy()] = False
        e_left[merged["row_e"].to_numpy()] = False
    if pairs:
        matched = pd.concat(pairs, ignore_index=True)
    else:
        matched = pd.DataFrame({"i": [], "e": [], "matched_on": [], "position_key": []})
    matched = matched.astype({"i": "int64", "e": "int64"})
    return matched, np.flatnonzero(i_left), np.flatnonzero(e_left)


def _unmatched_keys(frame: pd.DataFrame, rows: np.ndarray, side: str, fallback: pd.Series) -> pd.Series:
    """A stable key for an unmatched row: its first identifier (with occurrence), else its row."""
    keys = pd.Series(pd.NA, index=rows, dtype="string")
    for name in IDENTIFIER_FIELDS:
        ident = _keys(frame, name).iloc[rows]
        ident.index = rows
        fill = keys.isna() & ident.notna()
        keys[fill] = name + ":" + ident[fill]
    missing = keys.isna()
    keys[missing] = "row:" + fallback.iloc[rows][missing.to_numpy()].astype(str).to_numpy()
    occurrence = keys.groupby(keys).cumcount()
    keys = keys.where(occurrence == 0, keys + "#" + (occurrence + 1).astype(str))
    return side + ":" + keys


def _format_number(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _numeric_variances(matched: pd.DataFrame, name: str, tolerance: ToleranceProfile) -> pd.DataFrame | None:
    a = matched[f"{name}_i"].to_numpy(dtype=float)
    b = matched[f"{name}_e"].to_numpy(dtype=float)
    both = ~np.isnan(a) & ~np.isnan(b)
    diff = a - b
    differs = both & (np.abs(diff) > _EPS * np.maximum(1.0, np.abs(b)))
    if not differs.any():
        return None
    rows = matched.loc[differs]
    d = diff[differs]
    ext = b[differs]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(ext != 0, d / np.abs(ext) * 100.0, np.nan)
    tol = tolerance.fields.get(name)
    within = np.zeros(len(d), dtype=bool)
    if tol is not None and tol.absolute is not None:
        within |= np.abs(d) <= tol.absolute + _EPS * max(1.0, tol.absolute)
    if tol is not None and tol.percent is not None:
        within |= ~np.isnan(pct) & (np.abs(pct) <= tol.percent + 1e-9)
    return pd.DataFrame(
        {
            "row": rows.index.to_numpy(),
            "field": name,
            "internal_value": [_format_number(v) for v in a[differs]],
            "external_value": [_format_number(v) for v in ext],
            "difference": d,
            "difference_pct": pct,
            "within_tolerance": within,
        }
    )


def _rating_variances(matched: pd.DataFrame, name: str, tolerance: ToleranceProfile) -> pd.DataFrame | None:
    a = matched[f"{name}_i"].map(ratings.clean_rating)
    b = matched[f"{name}_e"].map(ratings.clean_rating)
    both = a.notna() & b.notna()
    rows = matched.loc[both]
    if rows.empty:
        return None
    a, b = a[both], b[both]
    notches_a = a.map(ratings.notch)
    notches_b = b.map(ratings.notch)
    known = notches_a.notna() & notches_b.notna()
    diff = (notches_a - notches_b).where(known)
    differs = (diff.fillna(0) != 0) | (~known & (a.str.upper() != b.str.upper()))
    if not differs.any():
        return None
    diff = diff[differs]
    return pd.DataFrame(
        {
            "row": rows.index[differs.to_numpy()].to_numpy(),
            "field": name,
            "internal_value": a[differs].to_numpy(),
            "external_value": b[differs].to_numpy(),
            "difference": diff.astype(float).to_numpy(),
            "difference_pct": np.nan,
            "within_tolerance": (diff.abs() <= tolerance.rating_notches).fillna(False).astype(bool).to_numpy(),
        }
    )


def _identity_variances(matched: pd.DataFrame, tolerance: ToleranceProfile) -> list[pd.DataFrame]:
    out: list[pd.DataFrame] = []
    for name in IDENTIFIER_FIELDS:
        a = matched[f"_k_{name}_i"]
        b = matched[f"_k_{name}_e"]
        differs = (matched["matched_on"] != name) & a.notna() & b.notna() & (a != b)
        if differs.any():
            out.append(
                pd.DataFrame(
                    {
                        "row": matched.index[differs.to_numpy()].to_numpy(),
                        "field": name,
                        "internal_value": a[differs].to_numpy(),
                        "external_value": b[differs].to_numpy(),
                        "difference": np.nan,
                        "difference_pct": np.nan,
                        "within_tolerance": False,
                    }
                )
            )
    a = matched["_k_issuer_name_i"]
    b = matched["_k_issuer_name_e"]
    differs = (a.notna() & b.notna() & (a != b)).fillna(False).to_numpy(dtype=bool)
    if differs.any():
        similarity = [issuer_similarity(x, y) for x, y in zip(a[differs], b[differs], strict=True)]
        out.append(
            pd.DataFrame(
                {
                    "row": matched.index[differs].to_numpy(),
                    "field": "issuer_name",
                    "internal_value": matched["issuer_name_i"][differs].astype(str).to_numpy(),
                    "external_value": matched["issuer_name_e"][differs].astype(str).to_numpy(),
                    "difference": np.nan,
                    "difference_pct": np.nan,
                    "within_tolerance": np.array(similarity) >= tolerance.issuer_similarity - _EPS,
                }
            )
        )
    return out


def compared_fields(comparison_fields: Sequence[str], internal: pd.DataFrame, external: pd.DataFrame) -> list[str]:
    """The concrete fields to compare: `rating` stands for every agency column, kept only where both sides have one.

    Identifiers and issuer_name are never compared here: the identity check compares them (text, not numbers).
    """
    fields: list[str] = []
    for name in comparison_fields:
        for concrete in RATING_FIELDS if name == "rating" else (name,):
            if FIELD_CATEGORY.get(concrete, "identity") == "identity" or concrete in fields:
                continue
            if internal[concrete].notna().any() and external[concrete].notna().any():
                fields.append(concrete)
    return fields


def pending_trade_amounts(trades: pd.DataFrame | None, report_date: dt.date | None) -> dict[str, list[float]]:
    """Per normalised identifier, the signed par of trades settling after the report date (net last)."""
    if trades is None or trades.empty or report_date is None:
        return {}
    frame = trades.copy()
    settle = pd.to_datetime(frame["settle_date"], errors="coerce").dt.date
    frame = frame[settle.notna() & (settle > report_date)]
    amounts: dict[str, list[float]] = {}
    for name in IDENTIFIER_FIELDS:
        if name not in frame.columns:
            continue
        keys = normalize_identifier(frame[name])
        for key, amount in zip(keys, pd.to_numeric(frame["par_amount"], errors="coerce"), strict=True):
            if pd.notna(key) and pd.notna(amount):
                amounts.setdefault(str(key), []).append(float(amount))
    return {key: [*values, sum(values)] for key, values in amounts.items()}


def apply_auto_rules(variances: pd.DataFrame, rules: Sequence[AutoRule], trades: dict[str, list[float]]) -> pd.Series:
    """The id of the first rule that fires for each variance outside tolerance (missing where none does)."""
    fired = pd.Series(pd.NA, index=variances.index, dtype="string")
    candidates = ~variances["within_tolerance"].to_numpy(dtype=bool)
    for rule in rules:
        if not rule.enabled:
            continue
        open_rows = candidates & fired.isna().to_numpy() & variances["field"].isin(rule.fields).to_numpy()
        if not open_rows.any():
            continue
        if rule.kind == "difference_below" and rule.abs_below is not None:
            hits = open_rows & (np.abs(variances["difference"].to_numpy(dtype=float)) < rule.abs_below)
        elif rule.kind == "pending_trade":
            hits = np.zeros(len(variances), dtype=bool)
            for pos in np.flatnonzero(open_rows):
                row = variances.iloc[pos]
                diff = abs(float(row["difference"]))
                for name in IDENTIFIER_FIELDS:
                    key = row.get(name)
                    if isinstance(key, str) and any(abs(diff - abs(a)) <= rule.precision for a in trades.get(key, [])):
                        hits[pos] = True
                        break
        else:
            continue
        fired[hits] = rule.id
    return fired


def _positions(
    internal: pd.DataFrame,
    external: pd.DataFrame,
    matched: pd.DataFrame,
    unmatched_i: np.ndarray,
    unmatched_e: np.ndarray,
) -> pd.DataFrame:
    """Matched, internal-only and statement-only positions; source_cells are the statement row's (null internal)."""
    ext_row = external["row_index"].where(external["row_index"].notna(), pd.Series(external.index))
    int_fallback = internal["holding_id"].where(internal["holding_id"].notna(), pd.Series(internal.index))
    matched_part = pd.DataFrame(
        {
            "position_key": matched["position_key"].to_numpy(),
            "match_status": "matched",
            "matched_on": matched["matched_on"].to_numpy(),
            "holding_id": internal["holding_id"].iloc[matched["i"]].to_numpy(),
            "external_row": ext_row.iloc[matched["e"]].to_numpy(),
            "cusip": internal["cusip"].iloc[matched["i"]].to_numpy(),
            "isin": internal["isin"].iloc[matched["i"]].to_numpy(),
            **{
                name: _first_present(
                    internal[name].iloc[matched["i"]].to_numpy(), external[name].iloc[matched["e"]].to_numpy()
                )
                for name in LOAN_IDENTIFIERS
            },
            "issuer_name": internal["issuer_name"].iloc[matched["i"]].to_numpy(),
            "internal_par": internal["par_amount"].iloc[matched["i"]].to_numpy(),
            "external_par": external["par_amount"].iloc[matched["e"]].to_numpy(),
            "source_cells": external["source_cells"].iloc[matched["e"]].to_numpy(),
        }
    )
    internal_part = pd.DataFrame(
        {
            "position_key": _unmatched_keys(internal, unmatched_i, "internal", int_fallback).to_numpy(),
            "match_status": "unmatched_internal",
            "matched_on": None,
            "holding_id": internal["holding_id"].iloc[unmatched_i].to_numpy(),
            "external_row": None,
            "cusip": internal["cusip"].iloc[unmatched_i].to_numpy(),
            "isin": internal["isin"].iloc[unmatched_i].to_numpy(),
            **{name: internal[name].iloc[unmatched_i].to_numpy() for name in LOAN_IDENTIFIERS},
            "issuer_name": internal["issuer_name"].iloc[unmatched_i].to_numpy(),
            "internal_par": internal["par_amount"].iloc[unmatched_i].to_numpy(),
            "external_par": np.nan,
            "source_cells": None,
        }
    )
    external_part = pd.DataFrame(
        {
            "position_key": _unmatched_keys(external, unmatched_e, "external", ext_row).to_numpy(),
            "match_status": "unmatched_external",
            "matched_on": None,
            "holding_id": None,
            "external_row": ext_row.iloc[unmatched_e].to_numpy(),
            "cusip": external["cusip"].iloc[unmatched_e].to_numpy(),
            "isin": external["isin"].iloc[unmatched_e].to_numpy(),
            **{name: external[name].iloc[unmatched_e].to_numpy() for name in LOAN_IDENTIFIERS},
            "issuer_name": external["issuer_name"].iloc[unmatched_e].to_numpy(),
            "internal_par": np.nan,
            "external_par": external["par_amount"].iloc[unmatched_e].to_numpy(),
            "source_cells": external["source_cells"].iloc[unmatched_e].to_numpy(),
        }
    )
    parts = [p for p in (matched_part, internal_part, external_part) if not p.empty]
    frame = pd.concat(parts, ignore_index=True) if parts else matched_part
    frame["external_row"] = pd.to_numeric(frame["external_row"], errors="coerce").astype("Int64")
    for column in ("matched_on", "holding_id", *IDENTIFIER_FIELDS, "issuer_name", "source_cells"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def summarize(positions: pd.DataFrame, variances: pd.DataFrame) -> dict[str, Any]:
    """Seed 000's summary, counted in positions, plus variance counts by category and status.

    with_variances = within_tolerance + auto_resolved + requires_review: a matched position with variances is
    within tolerance when all are, auto-resolved when every one outside tolerance was resolved by a rule, and
    otherwise requires review.
    """
    status = positions["match_status"]
    review = positions["review_status"]
    return {
        "total_positions": len(positions),
        "matched": int((status == "matched").sum()),
        "unmatched_internal": int((status == "unmatched_internal").sum()),
        "unmatched_external": int((status == "unmatched_external").sum()),
        "with_variances": int(review.isin(["within_tolerance", "auto_resolved", "requires_review"]).sum()),
        "within_tolerance": int((review == "within_tolerance").sum()),
        "auto_resolved": int((review == "auto_resolved").sum()),
        "requires_review": int((review == "requires_review").sum()),
        "variances": len(variances),
        "variances_by_category": {c: int((variances["category"] == c).sum()) for c in CATEGORIES},
        "variances_by_status": {s: int((variances["status"] == s).sum()) for s in STATUSES},
    }


def current_summary(summary: dict[str, Any], variances: pd.DataFrame) -> dict[str, Any]:
    """The run's summary as of now: review counts and `variances_by_status` from the variances' current status.

    A position needs review when a variance outside tolerance has no auto rule; it still `requires_review`
    while one of those is `open`, and is `reviewed` once a resolution has closed all of them, so
    with_variances = within_tolerance + auto_resolved + requires_review + reviewed at every moment.
    """
    if variances.empty:
        return {**summary, "reviewed": 0, "variances_by_status": dict.fromkeys(STATUSES, 0)}
    needs = ~variances["within_tolerance"].astype(bool) & variances["auto_rule_id"].isna()
    still_open = needs & (variances["status"] == "open")
    per_position = pd.DataFrame({"key": variances["position_key"], "needs": needs, "open": still_open})
    flags = per_position.groupby("key")[["needs", "open"]].any()
    return {
        **summary,
        "requires_review": int(flags["open"].sum()),
        "reviewed": int((flags["needs"] & ~flags["open"]).sum()),
        "variances_by_status": {s: int((variances["status"] == s).sum()) for s in STATUSES},
    }


def _review_status(positions: pd.DataFrame, variances: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    if variances.empty:
        counts = pd.Series(0, index=positions.index)
        review = pd.Series("clean", index=positions.index).where(positions["match_status"] == "matched", "unmatched")
        return counts, review
    needs = ~variances["within_tolerance"] & variances["auto_rule_id"].isna()
    outside = ~variances["within_tolerance"]
    grouped = (
        pd.DataFrame({"key": variances["position_key"], "n": 1, "needs": needs, "outside": outside})
        .groupby("key")[["n", "needs", "outside"]]
        .sum()
    )
    joined = grouped.reindex(positions["position_key"]).fillna(0)
    counts = pd.Series(joined["n"].to_numpy(dtype=int), index=positions.index)
    review = np.select(
        [
            positions["match_status"].to_numpy() != "matched",
            joined["n"].to_numpy() == 0,
            joined["needs"].to_numpy() > 0,
            joined["outside"].to_numpy() > 0,
        ],
        ["unmatched", "clean", "requires_review", "auto_resolved"],
        default="within_tolerance",
    )
    return counts, pd.Series(review, index=positions.index)


def reconcile(
    internal: pd.DataFrame,
    external: pd.DataFrame,
    *,
    workbook_id: str,
    statement: str,
    options: ReconcileOptions,
) -> ReconciliationResult:
    """Match, compare, judge tolerance and auto-resolve; ids are stable for the same inputs."""
    internal = _prepare(internal)
    external = _prepare(external)
    matched, unmatched_i, unmatched_e = match_positions(internal, external, options.matching_fields)
    fields = compared_fields(options.comparison_fields, internal, external)
    keys = [f"_k_{c}" for c in (*IDENTIFIER_FIELDS, "issuer_name")]
    value_columns = sorted({*fields, *IDENTIFIER_FIELDS, "issuer_name", *keys})
    side_i = internal[value_columns].iloc[matched["i"]].reset_index(drop=True).add_suffix("_i")
    side_e = external[value_columns].iloc[matched["e"]].reset_index(drop=True).add_suffix("_e")
    pairs = pd.concat([matched.reset_index(drop=True), side_i, side_e], axis=1)

    parts: list[pd.DataFrame] = []
    for name in fields:
        part = (
            _rating_variances(pairs, name, options.tolerance)
            if name in RATING_FIELDS
            else _numeric_variances(pairs, name, options.tolerance)
        )
        if part is not None:
            parts.append(part)
    if options.check_identity:
        parts.extend(_identity_variances(pairs, options.tolerance))

    positions = _positions(internal, external, matched, unmatched_i, unmatched_e)
    variances = _assemble(parts, pairs, internal, external, workbook_id, statement)
    if not variances.empty and options.rules:
        trades = pending_trade_amounts(options.pending_trades, options.report_date)
        keyed = variances.assign(**{name: normalize_identifier(variances[name]) for name in IDENTIFIER_FIELDS})
        fired = apply_auto_rules(keyed, options.rules, trades)
        rules = {r.id: r for r in options.rules}
        hit = fired.notna()
        variances.loc[hit, "auto_rule_id"] = fired[hit]
        variances.loc[hit, "status"] = "resolved"
        variances.loc[hit, "resolution_type"] = "auto_resolved"
        variances.loc[hit, "explanation"] = [rules[r].explanation for r in fired[hit]]
        variances.loc[hit, "action"] = [rules[r].action for r in fired[hit]]
    counts, review = _review_status(positions, variances)
    positions["variance_count"] = counts.astype("int64")
    positions["review_status"] = review
    return ReconciliationResult(
        positions=positions[list(POSITION_COLUMNS)],
        variances=variances[list(VARIANCE_COLUMNS)],
        summary=summarize(positions, variances),
    )


def _assemble(
    parts: list[pd.DataFrame],
    pairs: pd.DataFrame,
    internal: pd.DataFrame,
    external: pd.DataFrame,
    workbook_id: str,
    statement: str,
) -> pd.DataFrame:
    if not parts:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in VARIANCE_COLUMNS})
        return empty.astype({"difference": float, "difference_pct": float, "within_tolerance": bool})
    found = pd.concat(parts, ignore_index=True)
    rows = found["row"].to_numpy()
    i_rows = pairs["i"].to_numpy()[rows]
    e_rows = pairs["e"].to_numpy()[rows]
    ext_row = external["row_index"].where(external["row_index"].notna(), pd.Series(external.index))
    frame = pd.DataFrame(
        {
            "position_key": pairs["position_key"].to_numpy()[rows],
            "matched_on": pairs["matched_on"].to_numpy()[rows],
            "holding_id": internal["holding_id"].to_numpy()[i_rows],
            "external_row": pd.to_numeric(ext_row.to_numpy()[e_rows], errors="coerce"),
            "cusip": _first_present(internal["cusip"].to_numpy()[i_rows], external["cusip"].to_numpy()[e_rows]),
            "isin": _first_present(internal["isin"].to_numpy()[i_rows], external["isin"].to_numpy()[e_rows]),
            **{
                name: _first_present(internal[name].to_numpy()[i_rows], external[name].to_numpy()[e_rows])
                for name in LOAN_IDENTIFIERS
            },
            "issuer_name": _first_present(
                internal["issuer_name"].to_numpy()[i_rows], external["issuer_name"].to_numpy()[e_rows]
            ),
            "category": found["field"].map(FIELD_CATEGORY).to_numpy(),
            "field": found["field"].to_numpy(),
            "internal_value": found["internal_value"].astype(str).to_numpy(),
            "external_value": found["external_value"].astype(str).to_numpy(),
            "difference": found["difference"].astype(float).to_numpy(),
            "difference_pct": found["difference_pct"].astype(float).to_numpy(),
            "within_tolerance": found["within_tolerance"].astype(bool).to_numpy(),
        }
    )
    frame["external_row"] = frame["external_row"].astype("Int64")
    frame["variance_id"] = [
        ids.variance_id(workbook_id, statement, key, category, name)
        for key, category, name in zip(frame["position_key"], frame["category"], frame["field"], strict=True)
    ]
    frame["status"] = "open"
    for column in ("resolution_type", "auto_rule_id", "explanation", "action"):
        frame[column] = pd.Series([None] * len(frame), dtype=object)
    order = {c: i for i, c in enumerate(CATEGORIES)}
    frame["_order"] = frame["category"].map(order)
    return (
        frame.sort_values(["position_key", "_order", "field"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def _first_present(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    present = pd.notna(a) & (pd.Series(a, dtype=object).astype(str).str.strip() != "").to_numpy()
    return np.where(present, a, b)
