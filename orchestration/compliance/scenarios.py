"""What-if scenarios: validation with field paths and codes, applying trades to holdings, comparing results.

A scenario document (seed 000 "Create Scenario Request", landed as YAML/JSON) names a workbook and lists
`changes`; each is applied in order to a copy of the workbook's holdings, then the engine reruns every test.
Validation collects every problem as `{field, message, code}` (seed's VALIDATION_ERROR details).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from orchestration.compliance.deal_terms import ASSET_TYPES, SENIORITIES
from orchestration.compliance.engine import ComplianceRun
from orchestration.compliance.indenture import FLAGS
from orchestration.core.ratings import fitch_to_moodys, moodys_token, sp_to_moodys

CHANGE_TYPES = ("add_position", "remove_position", "modify_position", "price_change", "rating_change")
RATING_FIELDS = {"rating_moodys": moodys_token, "rating_sp": sp_to_moodys, "rating_fitch": fitch_to_moodys}
NO_RATING = frozenset({"", "NR", "WR", "N/A", "NA"})
TEXT_FIELDS = ("issuer_name", "industry", "country", "currency", "asset_type", "isin", "seniority", "moodys_watch")
TERM_NUMBERS = ("coupon", "purchase_price", "unfunded_amount")
"""Issue 21's numeric holding terms a scenario may set (non-negative)."""
TERM_VOCABULARY = {
    "seniority": SENIORITIES,
    "asset_type": ASSET_TYPES,
    "moodys_watch": ("negative", "positive"),
}
"""C14's canonical values: a scenario writes them as the warehouse holds them (null clears a term)."""
MODIFIABLE = (
    "par_amount", "price", "market_value", "spread", "maturity_date", "is_defaulted", *TEXT_FIELDS, *TERM_NUMBERS,
    *FLAGS,
)  # fmt: skip
MAX_PRICE = 200.0


@dataclass(frozen=True)
class ValidationIssue:
    """One problem in a scenario document (seed: field path, message, code)."""

    field: str
    message: str
    code: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "code": self.code}


class ScenarioInvalidError(Exception):
    """A scenario document with one or more validation issues."""

    def __init__(self, issues: Sequence[ValidationIssue]) -> None:
        self.issues = list(issues)
        super().__init__("; ".join(f"{i.field}: {i.message} ({i.code})" for i in self.issues))


@dataclass(frozen=True)
class Change:
    """One validated change, with its data normalised (issuer → issuer_name, dates parsed)."""

    type: str
    data: dict[str, Any]
    index: int


@dataclass(frozen=True)
class Scenario:
    """A validated scenario document."""

    name: str
    description: str
    workbook_id: str | None
    workbook: str | None
    changes: tuple[Change, ...]
    raw: Mapping[str, Any] = field(default_factory=dict)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(float(value))


def _check_positive(data: Mapping[str, Any], key: str, where: str, issues: list[ValidationIssue]) -> None:
    if key in data and data[key] is not None and (not _is_number(data[key]) or float(data[key]) <= 0):
        label = key.replace("_", " ").capitalize()
        issues.append(ValidationIssue(f"{where}.{key}", f"{label} must be positive", "POSITIVE_NUMBER_REQUIRED"))


def _check_common(data: Mapping[str, Any], where: str, issues: list[ValidationIssue]) -> None:
    """Checks shared by every change that carries position fields."""
    _check_positive(data, "par_amount", where, issues)
    _check_positive(data, "market_value", where, issues)
    if "price" in data and data["price"] is not None:
        price = data["price"]
        if not _is_number(price) or not 0 < float(price) <= MAX_PRICE:
            issues.append(
                ValidationIssue(f"{where}.price", "Price must be above 0 and at most 200", "PRICE_OUT_OF_RANGE")
            )
    if data.get("spread") is not None and (not _is_number(data["spread"]) or float(data["spread"]) < 0):
        issues.append(
            ValidationIssue(f"{where}.spread", "Spread must be a non-negative number of bps", "INVALID_NUMBER")
        )
    if data.get("maturity_date") is not None:
        try:
            dt.date.fromisoformat(str(data["maturity_date"])[:10])
        except ValueError:
            issues.append(ValidationIssue(f"{where}.maturity_date", "Maturity date must be YYYY-MM-DD", "INVALID_DATE"))
    for key, fn in RATING_FIELDS.items():
        value = data.get(key)
        if value is not None and str(value).strip().upper() not in NO_RATING and fn(value) is None:
            issues.append(ValidationIssue(f"{where}.{key}", f"Unknown rating {value!r}", "INVALID_RATING"))
    for key in ("is_defaulted", *FLAGS):
        if key in data and not isinstance(data[key], bool):
            issues.append(ValidationIssue(f"{where}.{key}", "Must be true or false", "BOOLEAN_REQUIRED"))
    for key in TERM_NUMBERS:
        value = data.get(key)
        if value is not None and (not _is_number(value) or float(value) < 0):
            issues.append(ValidationIssue(f"{where}.{key}", "Must be a non-negative number", "INVALID_NUMBER"))
    for key, allowed in TERM_VOCABULARY.items():
        value = data.get(key)
        if value is not None and value not in allowed:
            issues.append(ValidationIssue(f"{where}.{key}", f"Must be one of {', '.join(allowed)}", "INVALID_VALUE"))


def _require_cusip(data: Mapping[str, Any], where: str, issues: list[ValidationIssue]) -> None:
    if not str(data.get("cusip") or "").strip():
        issues.append(ValidationIssue(f"{where}.cusip", "CUSIP is required", "REQUIRED_FIELD"))


def validate(document: Any) -> Scenario:
    """Validate a scenario document; raise ScenarioInvalidError listing every issue with its field path."""
    issues: list[ValidationIssue] = []
    if not isinstance(document, Mapping):
        raise ScenarioInvalidError([ValidationIssue("$", "A scenario must be an object", "INVALID_TYPE")])
    name = str(document.get("name") or "").strip()
    if not name:
        issues.append(ValidationIssue("name", "Name is required", "REQUIRED_FIELD"))
    workbook_id = document.get("workbook_id")
    workbook = document.get("workbook")
    if not workbook_id and not workbook:
        issues.append(ValidationIssue("workbook_id", "A workbook_id or workbook name is required", "REQUIRED_FIELD"))
    raw_changes = document.get("changes")
    changes: list[Change] = []
    if not isinstance(raw_changes, list) or not raw_changes:
        issues.append(ValidationIssue("changes", "At least one change is required", "REQUIRED_FIELD"))
        raw_changes = []
    for i, raw in enumerate(raw_changes):
        where = f"changes[{i}]"
        if not isinstance(raw, Mapping):
            issues.append(ValidationIssue(where, "A change must be an object", "INVALID_TYPE"))
            continue
        kind = raw.get("type")
        if kind not in CHANGE_TYPES:
            issues.append(
                ValidationIssue(
                    f"{where}.type", f"Type must be one of {', '.join(CHANGE_TYPES)}", "INVALID_CHANGE_TYPE"
                )
            )
            continue
        data = raw.get("data")
        if not isinstance(data, Mapping):
            issues.append(ValidationIssue(f"{where}.data", "Change data is required", "REQUIRED_FIELD"))
            continue
        data = dict(data)
        if "issuer" in data and "issuer_name" not in data:
            data["issuer_name"] = data.pop("issuer")
        where = f"{where}.data"
        _check_common(data, where, issues)
        if kind == "add_position":
            _require_cusip(data, where, issues)
            if not str(data.get("issuer_name") or "").strip():
                issues.append(ValidationIssue(f"{where}.issuer", "Issuer is required", "REQUIRED_FIELD"))
            if data.get("par_amount") is None:
                issues.append(ValidationIssue(f"{where}.par_amount", "Par amount is required", "REQUIRED_FIELD"))
        elif kind == "remove_position":
            _require_cusip(data, where, issues)
        elif kind == "modify_position":
            _require_cusip(data, where, issues)
            if not any(k in data for k in (*MODIFIABLE, *RATING_FIELDS)):
                issues.append(ValidationIssue(where, "Nothing to modify", "REQUIRED_FIELD"))
        elif kind == "price_change":
            _require_cusip(data, where, issues)
            if data.get("price") is None:
                issues.append(ValidationIssue(f"{where}.price", "Price is required", "REQUIRED_FIELD"))
        elif kind == "rating_change":
            _require_cusip(data, where, issues)
            if not any(k in data for k in RATING_FIELDS):
                issues.append(ValidationIssue(where, "At least one agency rating is required", "REQUIRED_FIELD"))
        changes.append(Change(type=str(kind), data=data, index=i))
    if issues:
        raise ScenarioInvalidError(issues)
    return Scenario(
        name=name,
        description=str(document.get("description") or ""),
        workbook_id=str(workbook_id) if workbook_id else None,
        workbook=str(workbook) if workbook else None,
        changes=tuple(changes),
        raw=dict(document),
    )


def _rows_of(cusips: np.ndarray, cusip: str, where: str) -> np.ndarray:
    """Row positions of a cusip, or a POSITION_NOT_FOUND issue."""
    positions = np.flatnonzero(cusips == cusip.strip())
    if len(positions) == 0:
        raise ScenarioInvalidError(
            [ValidationIssue(f"{where}.cusip", f"No holding with CUSIP {cusip}", "POSITION_NOT_FOUND")]
        )
    return positions


def _set_par(frame: pd.DataFrame, pos: int, new_par: float) -> None:
    """Change a row's par keeping its price (market value scales with par)."""
    old_par = float(frame.at[pos, "par_amount"] or 0.0)
    mv = frame.at[pos, "market_value"]
    if old_par > 0 and mv is not None and not pd.isna(mv):
        frame.at[pos, "market_value"] = float(mv) * new_par / old_par
    frame.at[pos, "par_amount"] = new_par


def apply_changes(holdings: pd.DataFrame, scenario: Scenario) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The holdings after every change, in order, and one trade row per change (what it did).

    remove_position without `par_amount` removes every lot of the cusip; with it, lots are reduced in
    order until that par is gone (more than held → POSITION_PAR_EXCEEDED). Prices are percent of par;
    market value = price × par / 100 whenever a price is set.
    """
    frame = holdings.copy().reset_index(drop=True)
    for col in ("par_amount", "market_value", "price", "spread", *TERM_NUMBERS):
        if col in frame.columns:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    trades: list[dict[str, Any]] = []
    added: list[dict[str, Any]] = []  # added rows are appended in one concat (pandas concat is slow)

    def flush() -> tuple[pd.DataFrame, np.ndarray]:
        nonlocal frame
        if added:
            rows = pd.DataFrame(added)
            rows = rows.loc[:, rows.notna().any()]  # all-blank terms read as blank anyway; pandas warns on them
            frame = pd.concat([frame, rows], ignore_index=True)
            added.clear()
        return frame, np.array([str(c).strip() for c in frame["cusip"]], dtype=object)

    frame, cusips = flush()
    for change in scenario.changes:
        where = f"changes[{change.index}].data"
        data = change.data
        trade = {
            "order_index": change.index,
            "change_type": change.type,
            "target_cusip": data.get("cusip"),
            "data": data,
        }
        if change.type == "add_position":
            par = float(data["par_amount"])
            price = float(data.get("price", 100.0))
            row = {k: data.get(k) for k in (*TEXT_FIELDS, "cusip", "spread", *RATING_FIELDS, *TERM_NUMBERS)}
            row |= {k: bool(data.get(k, False)) for k in FLAGS}
            row |= {
                "par_amount": par,
                "price": price,
                "market_value": float(data.get("market_value", price * par / 100.0)),
                "maturity_date": dt.date.fromisoformat(str(data["maturity_date"])[:10])
                if data.get("maturity_date")
                else None,
                "is_defaulted": bool(data.get("is_defaulted", False)),
                "holding_id": f"scenario-{change.index}",
            }
            added.append(row)
            trade["par_delta"] = par
        elif change.type == "remove_position":
            if added and str(data["cusip"]).strip() in {str(r["cusip"]).strip() for r in added}:
                frame, cusips = flush()
            positions = _rows_of(cusips, str(data["cusip"]), where)
            held = float(frame.loc[positions, "par_amount"].sum())
            to_remove = float(data.get("par_amount") or held)
            if to_remove > held + 1e-9:
                raise ScenarioInvalidError(
                    [ValidationIssue(f"{where}.par_amount", f"Only {held:,.2f} par is held", "POSITION_PAR_EXCEEDED")]
                )
            remaining = to_remove
            drop = []
            for pos in positions:
                lot = float(frame.at[pos, "par_amount"])
                take = min(lot, remaining)
                remaining -= take
                if lot - take <= 1e-9:
                    drop.append(pos)
                else:
                    _set_par(frame, pos, lot - take)
            if drop:
                frame = frame.drop(index=drop).reset_index(drop=True)
                cusips = np.delete(cusips, drop)
            trade["par_delta"] = -to_remove
        else:
            if added and str(data["cusip"]).strip() in {str(r["cusip"]).strip() for r in added}:
                frame, cusips = flush()
            positions = _rows_of(cusips, str(data["cusip"]), where)
            for pos in positions:
                if change.type == "price_change" or "price" in data:
                    frame.at[pos, "price"] = float(data["price"])
                    frame.at[pos, "market_value"] = float(data["price"]) * float(frame.at[pos, "par_amount"]) / 100.0
                if change.type in ("modify_position", "rating_change"):
                    for key, value in data.items():
                        if key == "par_amount":
                            _set_par(frame, pos, float(value))
                        elif key == "maturity_date":
                            frame.at[pos, key] = dt.date.fromisoformat(str(value)[:10]) if value else None
                        elif key in (
                            *RATING_FIELDS, *TEXT_FIELDS, "spread", "is_defaulted", "market_value", *TERM_NUMBERS,
                            *FLAGS,
                        ):  # fmt: skip
                            if key not in frame.columns:
                                frame[key] = None
                            frame[key] = (
                                frame[key].astype(object) if key in (*RATING_FIELDS, *TEXT_FIELDS) else frame[key]
                            )
                            frame.at[pos, key] = value
            trade["par_delta"] = 0.0
        trades.append(trade)
    frame, _ = flush()
    return frame, trades


COMPARISON_METRICS: tuple[tuple[str, str], ...] = (
    ("Total Par", "total_par"),
    ("Performing Par", "performing_par"),
    ("Collateral Principal Amount", "collateral_principal_amount"),
    ("Adjusted Collateral Principal Amount", "adjusted_collateral_principal_amount"),
    ("CCC %", "ccc_pct"),
    ("CCC Excess", "ccc_excess"),
    ("Senior OC", "oc_senior"),
    ("Senior IC", "ic_senior"),
    ("WARF", "warf"),
    ("WAS", "was_bps"),
    ("WAL", "wal_years"),
    ("Diversity Score", "diversity_score"),
    ("Largest Obligor %", "largest_obligor_pct"),
    ("Largest Industry %", "largest_industry_pct"),
    ("Non-Domestic %", "non_domestic_pct"),
)

REASON_NOUNS = {
    "ccc_bucket": "CCC exposure",
    "oc_senior": "Senior OC",
    "ic_senior": "Senior IC",
    "warf_test": "WARF",
    "was_test": "WAS",
    "wal_test": "WAL",
    "diversity_test": "diversity score",
    "conc_single_obligor": "largest obligor concentration",
    "conc_industry": "largest industry concentration",
    "conc_country": "non-domestic concentration",
}


_DECIMALS = {"percent": 1, "pct": 1, "%": 1, "bps": 0, "rating_factor": 0, "factor": 0, "years": 2}
"""Decimals a reason shows by unit: percent 1, bps and rating factors 0, years and anything else 2."""


def _fmt(value: float | None, unit: str, decimals: int | None = None) -> str:
    """A figure for a reason sentence in its unit, with `decimals` (the unit's default when None)."""
    if value is None:
        return "n/a"
    places = _DECIMALS.get(unit, 2) if decimals is None else decimals
    number = f"{value:.{places}f}"
    if unit in ("percent", "pct", "%"):
        return f"{number}%"
    if unit == "bps":
        return f"{number} bps"
    if unit == "years":
        return f"{number} years"
    return number


def _pair(base: float, scenario: float, unit: str) -> tuple[str, str]:
    """Both figures with the fewest decimals (the unit's default or more, up to 6) that tell them apart."""
    places = _DECIMALS.get(unit, 2)
    while places < 6 and _fmt(base, unit, places) == _fmt(scenario, unit, places):
        places += 1
    return _fmt(base, unit, places), _fmt(scenario, unit, places)


def reason(test_id: str, name: str, unit: str, base: float | None, scenario: float | None) -> str:
    """Generated explanation, e.g. 'Reduced CCC exposure from 8.2% to 7.4%' ('from 400.0 bps to 400.3 bps').

    The figures carry as many decimals as it takes to show the change, so a reason never reads "from 400 bps to
    400 bps".
    """
    noun = REASON_NOUNS.get(test_id, name)
    if base is None or scenario is None or base == scenario:
        return f"{noun[0].upper()}{noun[1:]} unchanged at {_fmt(scenario, unit)}"
    verb = "Reduced" if scenario < base else "Increased"
    before, after = _pair(base, scenario, unit)
    return f"{verb} {noun} from {before} to {after}"


def _delta(base: float | None, scenario: float | None) -> tuple[float | None, float | None]:
    if base is None or scenario is None:
        return None, None
    delta = scenario - base
    return delta, (delta / abs(base) * 100.0 if base != 0 else None)


def compare(base: ComplianceRun, scenario: ComplianceRun) -> dict[str, Any]:
    """The seed's comparison: metrics (base, scenario, delta, delta_pct), compliance counts and changes.

    Unrounded here; the caller publishes (rounds once). `changes` lists every test whose status or value
    moved, with the generated reason.
    """
    metrics = []
    for label, key in COMPARISON_METRICS:
        b, s = base.metrics.get(key), scenario.metrics.get(key)
        delta, delta_pct = _delta(b, s)
        metrics.append(
            {"name": label, "metric": key, "base_value": b, "scenario_value": s, "delta": delta, "delta_pct": delta_pct}
        )
    base_tests = {t.id: t for t in base.tests}
    changes = []
    for t in scenario.tests:
        b = base_tests.get(t.id)
        if b is None:
            continue
        moved = b.status != t.status or (
            (b.current_value is None) != (t.current_value is None)
            or (
                b.current_value is not None
                and not math.isclose(b.current_value, t.current_value or 0.0, rel_tol=1e-12, abs_tol=1e-12)
            )
        )
        if moved:
            changes.append(
                {
                    "test_id": t.id,
                    "test_name": t.name,
                    "base_status": b.status,
                    "scenario_status": t.status,
                    "base_value": b.current_value,
                    "scenario_value": t.current_value,
                    "reason": reason(t.id, t.name, t.unit, b.current_value, t.current_value),
                }
            )
    strip = lambda summary: {k: v for k, v in summary.items() if k != "total_tests"}  # noqa: E731
    return {
        "metrics": metrics,
        "compliance": {"base": strip(base.summary()), "scenario": strip(scenario.summary()), "changes": changes},
    }
