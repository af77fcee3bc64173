"""Data quality of a workbook's holdings: five dimensions (seed 000) and an overall 0–100 score.

Definitions (also in docs/clo.md), n = number of holdings:
- completeness: present cells / (n × 10) over ten checks per holding: an identifier (any of IDENTIFIER_FIELDS),
  issuer_name, par_amount, market_value, price, spread, maturity_date, a rating (any agency), industry, country.
- accuracy: holdings with no accuracy finding / n. Findings: an identifier failing its check digit, par_amount
  ≤ 0, price outside [0, 200], spread outside [0, 3000] bps, a maturity before 1990 or after 2100, or a
  non-blank source cell the mapping could not read (a `type` validation failure).
- consistency: consistent checks / applicable checks, where each holding has up to two checks:
  market_value within 1% of par_amount × price / 100 (when all three are present), and the Moody's and S&P
  ratings at most 3 notches apart (when both are present). No applicable check → 100.
- timeliness: from the report date's age at landing, age = landed date - report date in days:
  100 when age ≤ 7, 0 when age ≥ 97, linear in between (100 × (97 - age) / 90).
- uniqueness: 1 - duplicates / n, where a duplicate is a holding whose key (its first identifier in the order
  CUSIP, ISIN, FIGI, LoanX ID, asset id, else issuer and maturity) already appeared on an earlier row.
- overall: 0.25 completeness + 0.25 accuracy + 0.20 consistency + 0.10 timeliness + 0.20 uniqueness.
Scores are percentages rounded to 2 decimals; `issues` counts the (dimension, check) pairs with a finding.
"""

import datetime as dt
from typing import Any

import pandas as pd

from orchestration.clo.mapping.fields import IDENTIFIER_FIELDS
from orchestration.core.ratings import CANONICAL_NOTCH

WEIGHTS: dict[str, float] = {
    "completeness": 0.25,
    "accuracy": 0.25,
    "consistency": 0.20,
    "timeliness": 0.10,
    "uniqueness": 0.20,
}
DIMENSIONS: tuple[str, ...] = ("overall_score", *WEIGHTS)
"""The data-quality score and its five dimensions, each 0-100."""
COMPLETENESS_CHECKS: tuple[str, ...] = (
    "identifier", "issuer_name", "par_amount", "market_value", "price", "spread", "maturity_date", "rating",
    "industry", "country",
)  # fmt: skip
MV_TOLERANCE = 0.01
MAX_NOTCH_GAP = 3
FRESH_DAYS = 7
STALE_DAYS = 97


def _present(series: pd.Series) -> pd.Series:
    return series.notna() & (series.astype(str).str.strip() != "")


KEY_ORDER: tuple[str, ...] = ("cusip", "isin", "figi", "loanx_id", "asset_id")
"""The identifier that keys a holding for uniqueness: the first present, most specific first."""


def holding_keys(holdings: pd.DataFrame) -> pd.Series:
    """The uniqueness key of each holding: its first identifier in KEY_ORDER, else issuer|maturity."""
    issuer = holdings["issuer_name"].fillna("").astype(str).str.upper().str.strip()
    maturity = holdings["maturity_date"].astype(str)
    keys = pd.Series(None, index=holdings.index, dtype=object)
    for name in KEY_ORDER:
        if name in holdings:
            keys = keys.fillna(holdings[name])
    return keys.fillna(issuer + "|" + maturity)


def _flag_false(holdings: pd.DataFrame, column: str) -> pd.Series:
    """Where a check flag is False (a frame without the column: nowhere)."""
    if column not in holdings:
        return pd.Series(False, index=holdings.index)
    return holdings[column].astype("boolean").eq(False).fillna(False).astype(bool)


def _round(value: float) -> float:
    return round(float(value), 2)


def score(
    holdings: pd.DataFrame,
    *,
    report_date: dt.date | None,
    landed_at: dt.datetime | dt.date,
    type_failures: int = 0,
    type_failure_rows: set[int] | None = None,
) -> dict[str, Any]:
    """The five dimensions, overall score, issue count and per-check details for one workbook's holdings."""
    n = len(holdings)
    details: dict[str, Any] = {}
    if n == 0:
        empty = dict.fromkeys(WEIGHTS, 0.0)
        return {**empty, "overall_score": 0.0, "issues": 0, "details": {"holdings": 0}}

    present = {
        "identifier": pd.concat([_present(holdings[f]) for f in IDENTIFIER_FIELDS if f in holdings], axis=1).any(
            axis=1
        ),
        "issuer_name": _present(holdings["issuer_name"]),
        "par_amount": holdings["par_amount"].notna(),
        "market_value": holdings["market_value"].notna(),
        "price": holdings["price"].notna(),
        "spread": holdings["spread"].notna(),
        "maturity_date": holdings["maturity_date"].notna(),
        "rating": _present(holdings["rating_moodys"])
        | _present(holdings["rating_sp"])
        | _present(holdings["rating_fitch"]),
        "industry": _present(holdings["industry"]),
        "country": _present(holdings["country"]),
    }
    filled = sum(int(p.sum()) for p in present.values())
    completeness = 100.0 * filled / (n * len(COMPLETENESS_CHECKS))
    details["completeness"] = {
        "present_cells": filled,
        "expected_cells": n * len(COMPLETENESS_CHECKS),
        "missing_by_check": {k: int(n - p.sum()) for k, p in present.items() if n - p.sum()},
    }

    par = holdings["par_amount"]
    price = holdings["price"]
    spread = holdings["spread"]
    maturity = pd.to_datetime(holdings["maturity_date"], errors="coerce")
    findings = {
        "cusip_check_digit": holdings["cusip_valid"].astype("boolean").eq(False).fillna(False).astype(bool),
        "isin_check_digit": holdings["isin_valid"].astype("boolean").eq(False).fillna(False).astype(bool),
        "figi_check_digit": _flag_false(holdings, "figi_valid"),
        "par_not_positive": par.notna() & (par <= 0),
        "price_out_of_range": price.notna() & ((price < 0) | (price > 200)),
        "spread_out_of_range": spread.notna() & ((spread < 0) | (spread > 3000)),
        "maturity_out_of_range": maturity.notna()
        & ((maturity < pd.Timestamp("1990-01-01")) | (maturity > pd.Timestamp("2100-12-31"))),
        "unreadable_value": holdings["row_index"].isin(type_failure_rows or set()),
    }
    any_finding = pd.concat(findings.values(), axis=1).any(axis=1)
    accuracy = 100.0 * (n - int(any_finding.sum())) / n
    details["accuracy"] = {
        "holdings_with_findings": int(any_finding.sum()),
        "findings": {k: int(v.sum()) for k, v in findings.items() if v.any()},
        "type_failures": type_failures,
    }

    mv = holdings["market_value"]
    mv_applicable = par.notna() & price.notna() & mv.notna() & (par != 0)
    expected_mv = par * price / 100.0
    mv_ok = ((mv - expected_mv).abs() <= MV_TOLERANCE * expected_mv.abs()) & mv_applicable
    moodys = holdings["rating_moodys"].map(CANONICAL_NOTCH)
    sp = holdings["rating_sp"].map(CANONICAL_NOTCH)
    rating_applicable = moodys.notna() & sp.notna()
    rating_ok = ((moodys - sp).abs() <= MAX_NOTCH_GAP) & rating_applicable
    applicable = int(mv_applicable.sum() + rating_applicable.sum())
    consistent = int(mv_ok.sum() + rating_ok.sum())
    consistency = 100.0 if applicable == 0 else 100.0 * consistent / applicable
    details["consistency"] = {
        "applicable_checks": applicable,
        "consistent_checks": consistent,
        "findings": {
            k: v
            for k, v in {
                "market_value_mismatch": int(mv_applicable.sum() - mv_ok.sum()),
                "rating_split": int(rating_applicable.sum() - rating_ok.sum()),
            }.items()
            if v
        },
    }

    landed_date = landed_at.date() if isinstance(landed_at, dt.datetime) else landed_at
    if report_date is None:
        age = None
        timeliness = 0.0
    else:
        age = (landed_date - report_date).days
        timeliness = 100.0 if age <= FRESH_DAYS else max(0.0, 100.0 * (STALE_DAYS - age) / (STALE_DAYS - FRESH_DAYS))
    details["timeliness"] = {"report_date": str(report_date) if report_date else None, "age_days": age}

    keys = holding_keys(holdings)
    duplicated = keys.duplicated(keep="first")
    uniqueness = 100.0 * (n - int(duplicated.sum())) / n
    dup_keys = sorted(set(keys[duplicated].astype(str)))
    details["uniqueness"] = {"duplicate_rows": int(duplicated.sum()), "duplicate_keys": dup_keys[:50]}

    dims = {
        "completeness": completeness,
        "accuracy": accuracy,
        "consistency": consistency,
        "timeliness": timeliness,
        "uniqueness": uniqueness,
    }
    overall = sum(WEIGHTS[k] * v for k, v in dims.items())
    issues = (
        len(details["completeness"]["missing_by_check"])
        + len(details["accuracy"]["findings"])
        + len(details["consistency"]["findings"])
        + (1 if timeliness < 100 else 0)
        + (1 if duplicated.any() else 0)
    )
    details["holdings"] = n
    details["weights"] = WEIGHTS
    return {
        **{k: _round(v) for k, v in dims.items()},
        "overall_score": _round(overall),
        "issues": issues,
        "details": details,
    }
