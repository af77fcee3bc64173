"""The indenture terms of issue 21 (C14): stated maturity, discount obligations, Excess WAC, recovery, country groups.

Each key is optional: a missing key switches its feature off (no discount haircut, no Excess WAC credit, no
WARR, empty country groups), so a deal without them gives the results of the ten earlier tests. A present key
is validated here and a bad value raises DEAL_INVALID naming the key (`deal.discount_obligation.cure_price_pct`).
Test parameters (`rank`, `top_n`, `country_group`, `rating_basis`) are validated by `test_parameters`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestration.core.errors import InputError

SENIORITIES: tuple[str, ...] = ("senior_secured", "second_lien", "senior_unsecured", "subordinated")
"""Canonical holding seniorities (C14); blank reads as senior_secured."""
ASSET_TYPES: tuple[str, ...] = ("loan", "revolver", "delayed_draw", "bond")
"""Canonical holding asset types (C14); blank reads as loan."""
COUNTRY_GROUPS: tuple[str, ...] = ("canada", "group_i", "group_ii", "group_iii", "tax_jurisdiction")
"""The country groups a deal may list (C14); each an ISO alpha-2 list."""
DISCOUNT_KEYS: tuple[str, ...] = ("loan_threshold_pct", "bond_threshold_pct", "cure_price_pct")
RATING_BASES: tuple[str, ...] = ("moodys_derived", "c2")
"""`warf_test`'s rating basis: the C15 Moody's Derived Rating, or the C2 effective rating (the default)."""

_ISO2 = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class DiscountRule:
    """C17: purchase below the threshold and current price below the cure price; None = that test never holds."""

    loan_threshold_pct: float | None
    bond_threshold_pct: float | None
    cure_price_pct: float | None


@dataclass(frozen=True)
class IndentureTerms:
    """The C14 deal keys, typed; every one optional."""

    stated_maturity_date: dt.date | None = None
    discount_obligation: DiscountRule | None = None
    excess_wac_reference_coupon_pct: float | None = None
    recovery_rates_pct_by_seniority: Mapping[str, float] | None = None
    country_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able terms (served with the deal); absent keys are null."""
        rule = self.discount_obligation
        return {
            "stated_maturity_date": self.stated_maturity_date.isoformat() if self.stated_maturity_date else None,
            "discount_obligation": None if rule is None else {k: getattr(rule, k) for k in DISCOUNT_KEYS},
            "excess_wac_reference_coupon_pct": self.excess_wac_reference_coupon_pct,
            "recovery_rates_pct_by_seniority": dict(self.recovery_rates_pct_by_seniority)
            if self.recovery_rates_pct_by_seniority is not None
            else None,
            "country_groups": {k: list(v) for k, v in self.country_groups.items()},
        }


def _invalid(message: str, where: str, value: Any = None) -> InputError:
    return InputError("DEAL_INVALID", message, where, {"value": value} if value is not None else {})


def _number(value: Any, where: str) -> float:
    """A finite, non-negative number ('7.5%' and '1,000' accepted)."""
    if isinstance(value, bool):
        raise _invalid("expected a number", where, value)
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "").rstrip("%").strip())
        except ValueError as exc:
            raise _invalid("expected a number", where, value) from exc
    if not isinstance(value, int | float) or value != value or value in (float("inf"), float("-inf")):
        raise _invalid("expected a finite number", where, repr(value))
    if value < 0:
        raise _invalid("must not be negative", where, value)
    return float(value)


def _mapping(value: Any, where: str, known: tuple[str, ...]) -> Mapping[str, Any]:
    """A mapping whose keys are all known (an unknown key is named in the error)."""
    if not isinstance(value, Mapping):
        raise _invalid(f"expected an object with keys {list(known)}", where, repr(value))
    for key in value:
        if key not in known:
            raise InputError(
                "DEAL_INVALID", f"unknown key {key!r} (known: {', '.join(known)})", f"{where}.{key}", {"known": known}
            )
    return value


def _countries(value: Any, where: str) -> tuple[str, ...]:
    """ISO alpha-2 codes from a list or a 'DE, FR; NL' string, upper-cased (L7)."""
    items = re.split(r"[,;/\s]+", value) if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise _invalid("expected a list of ISO alpha-2 country codes", where, repr(value))
    if any(isinstance(c, bool) for c in items):
        raise _invalid("a country code read as true/false: quote it (YAML reads a bare NO as false)", where)
    codes = tuple(str(c).strip().upper() for c in items if str(c).strip())
    bad = [c for c in codes if not _ISO2.match(c)]
    if bad:
        raise InputError("DEAL_INVALID", f"not ISO alpha-2 country codes: {bad}", where, {"invalid": bad})
    return codes


def parse_terms(merged: Mapping[str, Any]) -> IndentureTerms:
    """The C14 keys of a merged deal mapping, validated."""
    stated = merged.get("stated_maturity_date")
    stated_date = None
    if stated not in (None, ""):
        if isinstance(stated, dt.datetime):
            stated_date = stated.date()
        elif isinstance(stated, dt.date):
            stated_date = stated
        else:
            try:
                stated_date = dt.date.fromisoformat(str(stated).strip()[:10])
            except ValueError as exc:
                raise _invalid("expected a YYYY-MM-DD date", "deal.stated_maturity_date", str(stated)) from exc
    rule = None
    raw_rule = merged.get("discount_obligation")
    if raw_rule not in (None, {}):
        where = "deal.discount_obligation"
        raw = _mapping(raw_rule, where, DISCOUNT_KEYS)
        rule = DiscountRule(
            *(None if raw.get(k) in (None, "") else _number(raw[k], f"{where}.{k}") for k in DISCOUNT_KEYS)
        )
    excess = merged.get("excess_wac_reference_coupon_pct")
    rates = None
    raw_rates = merged.get("recovery_rates_pct_by_seniority")
    if raw_rates not in (None, {}):
        where = "deal.recovery_rates_pct_by_seniority"
        rates = {
            k: _number(v, f"{where}.{k}") for k, v in _mapping(raw_rates, where, SENIORITIES).items() if v is not None
        }
        over = {k: v for k, v in rates.items() if v > 100}
        if over:
            raise InputError("DEAL_INVALID", "a recovery rate is a percent in [0, 100]", where, {"over_100": over})
    groups: dict[str, tuple[str, ...]] = {}
    raw_groups = merged.get("country_groups")
    if raw_groups not in (None, {}):
        where = "deal.country_groups"
        groups = {k: _countries(v, f"{where}.{k}") for k, v in _mapping(raw_groups, where, COUNTRY_GROUPS).items()}
    return IndentureTerms(
        stated_maturity_date=stated_date,
        discount_obligation=rule,
        excess_wac_reference_coupon_pct=None
        if excess in (None, "")
        else _number(excess, "deal.excess_wac_reference_coupon_pct"),
        recovery_rates_pct_by_seniority=rates,
        country_groups=groups,
    )


PARAMETER_KEYS: tuple[str, ...] = ("rank", "top_n", "country_group", "rating_basis")


def parse_test_parameters(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A test's C14 parameters, validated (rank / top_n positive integers, a known group or rating basis)."""
    out: dict[str, Any] = {}
    for key in ("rank", "top_n"):
        value = raw.get(key)
        if value in (None, ""):
            continue
        number = _number(value, f"{where}.{key}")
        if number < 1 or number != int(number):
            raise _invalid("expected a positive integer", f"{where}.{key}", value)
        out[key] = int(number)
    group = raw.get("country_group")
    if group not in (None, ""):
        if str(group).strip() not in COUNTRY_GROUPS:
            raise InputError(
                "DEAL_INVALID",
                f"unknown country group {group!r} (known: {', '.join(COUNTRY_GROUPS)})",
                f"{where}.country_group",
            )
        out["country_group"] = str(group).strip()
    basis = raw.get("rating_basis")
    if basis not in (None, ""):
        if str(basis).strip() not in RATING_BASES:
            raise InputError(
                "DEAL_INVALID",
                f"unknown rating basis {basis!r} (known: {', '.join(RATING_BASES)})",
                f"{where}.rating_basis",
            )
        out["rating_basis"] = str(basis).strip()
    return out
