"""Deal inputs: the structure object, compliance profiles, merging and the `Structure` / `Tests` sheet parser.

Precedence (issue 4, Deal inputs): sidecar `deal` > `Structure`/`Tests` sheet > profile named by the sidecar's
`compliance_profile` > the default profile, which supplies anything missing. Scalars and nested objects are
deep-merged; `notes` is replaced as a whole by the highest source that has any; `tests` are merged by `id`
(a higher source may override a single field of a test, or add tests) unless the layer says
`inherit_tests: false`, when its list replaces the lower layers' (the full indenture profile lists its 52).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from orchestration.compliance.config import DEFAULT_PROFILE_ID, load_profiles
from orchestration.compliance.deal_terms import (
    COUNTRY_GROUPS,
    SENIORITIES,
    IndentureTerms,
    parse_terms,
    parse_test_parameters,
)
from orchestration.compliance.registry import STANDARD_TESTS
from orchestration.core.errors import InputError

DIRECTIONS = ("min", "max")
SUBORDINATED_MARKERS = ("sub", "equity", "income")


@dataclass(frozen=True)
class Note:
    """One class of notes (liabilities); `seniority` 1 is the most senior."""

    class_name: str
    par: float
    spread_bps: float | None
    rating: str
    seniority: int
    subordinated: bool = False


@dataclass(frozen=True)
class TestDefinition:
    """One compliance test as configured: which value it checks and its trigger / target levels.

    `metric` (optional) names an intermediate (dotted path into the metrics, e.g. `oc_by_class.C`) for custom
    tests; OC / IC category tests with `denominator_classes` are computed on those classes.
    """

    id: str
    name: str
    category: str
    direction: str
    unit: str
    trigger_level: float
    target_level: float
    denominator_classes: tuple[str, ...] = ()
    metric: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able definition (served by /compliance/tests)."""
        return {
            "id": self.id,
            "name": self.name,
            "category": self.category,
            "direction": self.direction,
            "unit": self.unit,
            "trigger_level": self.trigger_level,
            "target_level": self.target_level,
            "denominator_classes": list(self.denominator_classes),
            "metric": self.metric,
            **dict(self.params),
        }


@dataclass(frozen=True)
class DealInputs:
    """The merged deal structure object (issue 4's shape), typed."""

    as_of_date: dt.date
    currency: str
    principal_cash: float
    reference_rate_name: str
    reference_rate_pct: float
    accrual_days: int
    day_count: str
    senior_fees_and_expenses: float
    defaulted_recovery_rate_pct: float
    ccc_limit_pct: float
    domestic_country: str
    notes: tuple[Note, ...]
    tests: tuple[TestDefinition, ...]
    deal_id: str | None = None
    sources: Mapping[str, str] = field(default_factory=dict)
    terms: IndentureTerms = field(default_factory=IndentureTerms)

    def scaled(self, factor: float) -> DealInputs:
        """Same deal with every amount (cash, fees, note par) multiplied by `factor` (property tests)."""
        return replace(
            self,
            principal_cash=self.principal_cash * factor,
            senior_fees_and_expenses=self.senior_fees_and_expenses * factor,
            notes=tuple(replace(n, par=n.par * factor) for n in self.notes),
        )


def _merge_tests(base: Sequence[Mapping[str, Any]], over: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Tests merged by id: fields of `over` override, unknown ids are appended (order: base first)."""
    merged: dict[str, dict[str, Any]] = {str(t.get("id")): dict(t) for t in base}
    for test in over:
        test_id = str(test.get("id"))
        merged[test_id] = {**merged.get(test_id, {}), **{k: v for k, v in test.items() if v is not None}}
    return list(merged.values())


def _no(value: Any) -> bool:
    """False, or a sheet's 'false' / 'no' / 0: `inherit_tests` switched off."""
    return value is False or (isinstance(value, str | int) and str(value).strip().lower() in ("false", "no", "0"))


def merge_deal(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Deep-merge deal layers, lowest precedence first (see the module docstring for list rules)."""
    result: dict[str, Any] = {}
    for layer in layers:
        if not layer:
            continue
        for key, value in layer.items():
            if value is None:
                continue
            if key == "tests":  # `inherit_tests: false` starts the list afresh (a full report's own order)
                base = [] if _no(layer.get("inherit_tests")) else result.get("tests", [])
                result["tests"] = _merge_tests(base, value)
            elif key == "notes":
                if value:
                    result["notes"] = copy.deepcopy(list(value))
            elif isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
                result[key] = merge_deal(result[key], value)
            else:
                result[key] = copy.deepcopy(value)
    return result


def _number(value: Any, where: str, *, integer: bool = False) -> float:
    """A finite number from YAML/JSON/sheet input (strings like '1,000' and '7.5%' accepted)."""
    if isinstance(value, bool):
        raise InputError("DEAL_INVALID", "expected a number", where, {"value": value})
    if isinstance(value, str):
        text = value.strip().replace(",", "").rstrip("%").strip()
        try:
            value = float(text)
        except ValueError as exc:
            raise InputError("DEAL_INVALID", "expected a number", where, {"value": value}) from exc
    if not isinstance(value, int | float):
        raise InputError("DEAL_INVALID", "expected a number", where, {"value": repr(value)})
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise InputError("DEAL_INVALID", "expected a finite number", where, {"value": value})
    if integer and number != int(number):
        raise InputError("DEAL_INVALID", "expected an integer", where, {"value": value})
    return number


def _date(value: Any, where: str) -> dt.date:
    """A date from an ISO string, a date or a datetime."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError as exc:
        raise InputError("DEAL_INVALID", "expected a YYYY-MM-DD date", where, {"value": str(value)}) from exc


def _classes(value: Any) -> tuple[str, ...]:
    """Denominator classes from a list or a 'A, B' / 'A/B' / 'A;B' string."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(p.strip() for p in re.split(r"[,;/]", value) if p.strip())
    return tuple(str(v).strip() for v in value if str(v).strip())


def is_subordinated(note: Mapping[str, Any]) -> bool:
    """Subordinated notes (excluded from per-class OC, convention 7): flagged, or named Sub/Equity/Income."""
    if "subordinated" in note and note["subordinated"] is not None:
        return bool(note["subordinated"])
    name = str(note.get("class", "")).strip().lower()
    return any(name.startswith(m) or m in name.split() for m in SUBORDINATED_MARKERS)


def parse_deal(merged: Mapping[str, Any], *, fallback_as_of: dt.date | None = None) -> DealInputs:
    """Validate a merged deal mapping into DealInputs; bad values raise InputError DEAL_INVALID with a path."""
    accounts = merged.get("accounts") or {}
    rates = merged.get("rates") or {}
    as_of_raw = merged.get("as_of_date")
    if as_of_raw in (None, "") and fallback_as_of is None:
        raise InputError("DEAL_INVALID", "the deal has no as_of_date and the workbook no report date", "deal")
    as_of = _date(as_of_raw, "deal.as_of_date") if as_of_raw not in (None, "") else fallback_as_of
    assert as_of is not None
    notes = []
    for i, raw in enumerate(merged.get("notes") or []):
        where = f"deal.notes[{i}]"
        if not isinstance(raw, Mapping) or not str(raw.get("class", "")).strip():
            raise InputError("DEAL_INVALID", "a note needs a class", where)
        par = _number(raw.get("par"), f"{where}.par")
        if par < 0:
            raise InputError("DEAL_INVALID", "note par must not be negative", f"{where}.par")
        spread = raw.get("spread_bps")
        notes.append(
            Note(
                class_name=str(raw["class"]).strip(),
                par=par,
                spread_bps=None if spread in (None, "") else _number(spread, f"{where}.spread_bps"),
                rating=str(raw.get("rating") or "NR").strip(),
                seniority=int(_number(raw.get("seniority", i + 1), f"{where}.seniority", integer=True)),
                subordinated=is_subordinated(raw),
            )
        )
    class_names = {n.class_name for n in notes}
    tests = []
    for i, raw in enumerate(merged.get("tests") or []):
        where = f"deal.tests[{i}]"
        test_id = str(raw.get("id") or "").strip()
        if not test_id:
            raise InputError("DEAL_INVALID", "a test needs an id", f"{where}.id")
        standard = STANDARD_TESTS.get(test_id)  # a standard test's unit, direction and category are defaults
        direction = str(raw.get("direction") or (standard.direction if standard else "")).strip().lower()
        if direction not in DIRECTIONS:
            raise InputError("DEAL_INVALID", "direction must be min or max", f"{where}.direction")
        trigger = _number(raw.get("trigger_level"), f"{where}.trigger_level")
        target = _number(raw.get("target_level", trigger), f"{where}.target_level")
        if (direction == "min" and target < trigger) or (direction == "max" and target > trigger):
            raise InputError(
                "DEAL_INVALID",
                "the target must be inside the trigger (min: target >= trigger; max: target <= trigger)",
                f"{where}.target_level",
                {"trigger_level": trigger, "target_level": target},
            )
        denominators = _classes(raw.get("denominator_classes"))
        unknown = [c for c in denominators if c not in class_names]
        if unknown:
            raise InputError(
                "DEAL_INVALID", f"unknown note classes {unknown}", f"{where}.denominator_classes", {"unknown": unknown}
            )
        tests.append(
            TestDefinition(
                id=test_id,
                name=str(raw.get("name") or test_id),
                category=str(raw.get("category") or (standard.category if standard else "custom")),
                direction=direction,
                unit=str(raw.get("unit") or (standard.unit if standard else "")),
                trigger_level=trigger,
                target_level=target,
                denominator_classes=denominators,
                metric=str(raw["metric"]) if raw.get("metric") else None,
                params=parse_test_parameters(raw, where),
            )
        )
    return DealInputs(
        as_of_date=as_of,
        currency=str(merged.get("currency") or "USD"),
        principal_cash=_number(accounts.get("principal_cash", 0), "deal.accounts.principal_cash"),
        reference_rate_name=str(rates.get("reference_rate_name") or "SOFR"),
        reference_rate_pct=_number(rates.get("reference_rate_pct", 0), "deal.rates.reference_rate_pct"),
        accrual_days=int(_number(rates.get("accrual_days", 90), "deal.rates.accrual_days", integer=True)),
        day_count=str(rates.get("day_count") or "ACT/360"),
        senior_fees_and_expenses=_number(merged.get("senior_fees_and_expenses", 0), "deal.senior_fees_and_expenses"),
        defaulted_recovery_rate_pct=_number(
            merged.get("defaulted_recovery_rate_pct", 0), "deal.defaulted_recovery_rate_pct"
        ),
        ccc_limit_pct=_number(merged.get("ccc_limit_pct", 7.5), "deal.ccc_limit_pct"),
        domestic_country=str(merged.get("domestic_country") or "US").strip().upper(),
        notes=tuple(notes),
        tests=tuple(tests),
        deal_id=str(merged.get("deal_id") or merged.get("name") or "").strip() or None,
        sources=dict(merged.get("_sources") or {}),
        terms=parse_terms(merged),
    )


def resolve_deal(
    *,
    sidecar: Mapping[str, Any] | None,
    sheet_deal: Mapping[str, Any] | None,
    profiles: Mapping[str, Mapping[str, Any]] | None = None,
    fallback_as_of: dt.date | None = None,
) -> DealInputs:
    """Merge the deal from its four sources (issue 4 precedence) and validate it."""
    profiles = profiles if profiles is not None else load_profiles()
    sidecar = sidecar or {}
    profile_id = sidecar.get("compliance_profile")
    if profile_id and profile_id not in profiles:
        raise InputError(
            "PROFILE_UNKNOWN",
            f"compliance profile {profile_id!r} is not in assets_config/compliance",
            "sidecar.compliance_profile",
            {"known": sorted(profiles)},
        )
    default = profiles[DEFAULT_PROFILE_ID]["deal"]
    named = profiles[profile_id]["deal"] if profile_id else None
    sidecar_deal = sidecar.get("deal") if isinstance(sidecar.get("deal"), Mapping) else None
    merged = merge_deal(default, named, sheet_deal, sidecar_deal)
    merged["_sources"] = {
        "default_profile": DEFAULT_PROFILE_ID,
        "profile": str(profile_id) if profile_id else "",
        "sheet": "yes" if sheet_deal else "",
        "sidecar": "yes" if sidecar_deal else "",
    }
    return parse_deal(merged, fallback_as_of=fallback_as_of)


def all_test_definitions(profiles: Mapping[str, Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Every test defined by any profile (merged over the default), tagged with its profile id."""
    profiles = profiles if profiles is not None else load_profiles()
    default = profiles[DEFAULT_PROFILE_ID]["deal"]
    out = []
    for profile_id, profile in sorted(profiles.items()):
        merged = merge_deal(default, profile["deal"]) if profile_id != DEFAULT_PROFILE_ID else merge_deal(default)
        for test in merged.get("tests", []):
            out.append({"profile_id": profile_id, **test})
    return out


# --- the Structure / Tests sheet ---------------------------------------------------------------------------

STRUCTURE_SHEETS = ("structure", "tests", "deal")
SCALAR_KEYS: dict[str, tuple[str, ...]] = {
    # normalised label -> path in the deal object
    "deal_id": ("deal_id",),
    "deal": ("deal_id",),
    "deal_name": ("deal_id",),
    "as_of_date": ("as_of_date",),
    "as_of": ("as_of_date",),
    "currency": ("currency",),
    "principal_cash": ("accounts", "principal_cash"),
    "reference_rate_name": ("rates", "reference_rate_name"),
    "reference_rate": ("rates", "reference_rate_name"),
    "reference_rate_pct": ("rates", "reference_rate_pct"),
    "accrual_days": ("rates", "accrual_days"),
    "day_count": ("rates", "day_count"),
    "senior_fees_and_expenses": ("senior_fees_and_expenses",),
    "senior_fees": ("senior_fees_and_expenses",),
    "defaulted_recovery_rate_pct": ("defaulted_recovery_rate_pct",),
    "recovery_rate_pct": ("defaulted_recovery_rate_pct",),
    "ccc_limit_pct": ("ccc_limit_pct",),
    "domestic_country": ("domestic_country",),
    "stated_maturity_date": ("stated_maturity_date",),
    "inherit_tests": ("inherit_tests",),
    "excess_wac_reference_coupon_pct": ("excess_wac_reference_coupon_pct",),
    "excess_wac_reference_coupon": ("excess_wac_reference_coupon_pct",),
    "discount_loan_threshold_pct": ("discount_obligation", "loan_threshold_pct"),
    "discount_bond_threshold_pct": ("discount_obligation", "bond_threshold_pct"),
    "discount_cure_price_pct": ("discount_obligation", "cure_price_pct"),
    **{f"recovery_rate_{s}_pct": ("recovery_rates_pct_by_seniority", s) for s in SENIORITIES},
    **{f"country_group_{g.removeprefix('group_')}": ("country_groups", g) for g in COUNTRY_GROUPS},
}
"""Structure-sheet labels (normalised) → deal path. C14's nested keys have flat labels: `Discount Cure Price Pct`,
`Recovery Rate Second Lien Pct`, `Country Group II` (a cell of ISO codes: `DE, FR, NL`), `Country Group Canada`."""
NOTE_COLUMNS = {
    "class": "class",
    "note_class": "class",
    "par": "par",
    "spread_bps": "spread_bps",
    "spread": "spread_bps",
}
NOTE_COLUMNS |= {"rating": "rating", "seniority": "seniority", "subordinated": "subordinated"}
TEST_COLUMNS = {
    "id": "id",
    "test_id": "id",
    "name": "name",
    "category": "category",
    "direction": "direction",
    "unit": "unit",
    "denominator_classes": "denominator_classes",
    "trigger_level": "trigger_level",
    "trigger": "trigger_level",
    "target_level": "target_level",
    "target": "target_level",
    "metric": "metric",
    "rank": "rank",
    "top_n": "top_n",
    "country_group": "country_group",
    "rating_basis": "rating_basis",
}


def _key(cell: Any) -> str:
    """Normalised label: lower case, non-alphanumerics to `_` ('Principal Cash' → 'principal_cash')."""
    return re.sub(r"[^a-z0-9]+", "_", str(cell or "").strip().lower()).strip("_")


def _blank(row: Sequence[Any]) -> bool:
    return all(c is None or str(c).strip() == "" for c in row)


def _table(rows: list[Sequence[Any]], start: int, columns: Mapping[str, str]) -> tuple[list[dict[str, Any]], int]:
    """Read a header row at `start` and records until a blank row; returns (records, next index)."""
    header = [columns.get(_key(c)) for c in rows[start]]
    records = []
    i = start + 1
    while i < len(rows) and not _blank(rows[i]):
        row = rows[i]
        record = {h: row[j] for j, h in enumerate(header) if h and j < len(row) and row[j] not in (None, "")}
        if record:
            records.append(record)
        i += 1
    return records, i


def parse_structure_rows(rows: Iterable[Sequence[Any]]) -> dict[str, Any]:
    """Deal fields from a `Structure`/`Tests` sheet (layout documented in docs/compliance.md).

    Key/value rows (`Principal Cash | 1500000`) set scalars; a row whose first cell is `Notes` or `Tests`
    starts a table whose next row is its header and which ends at a blank row. A sheet that starts directly
    with a notes or tests header row is read as that table. Unknown keys are ignored.
    """
    rows = [list(r) for r in rows]
    deal: dict[str, Any] = {}
    i = 0
    while i < len(rows):
        row = rows[i]
        if _blank(row):
            i += 1
            continue
        key = _key(row[0])
        header_keys = {_key(c) for c in row if c not in (None, "")}
        if key in ("notes", "tests") and i + 1 < len(rows):
            records, i = _table(rows, i + 1, NOTE_COLUMNS if key == "notes" else TEST_COLUMNS)
            deal[key] = records
            continue
        if {"class", "par"} <= header_keys or {"note_class", "par"} <= header_keys:
            deal["notes"], i = _table(rows, i, NOTE_COLUMNS)
            continue
        if ("id" in header_keys or "test_id" in header_keys) and (
            "trigger_level" in header_keys or "trigger" in header_keys
        ):
            deal["tests"], i = _table(rows, i, TEST_COLUMNS)
            continue
        path = SCALAR_KEYS.get(key)
        value = next((c for c in row[1:] if c not in (None, "")), None)
        if path and value is not None:
            target = deal
            for part in path[:-1]:
                target = target.setdefault(part, {})
            target[path[-1]] = value.isoformat() if isinstance(value, dt.date) else value
        i += 1
    return deal


def parse_structure_sheets(sheets: Mapping[str, list[Sequence[Any]]]) -> dict[str, Any] | None:
    """Deal fields from every sheet named Structure / Tests / Deal (case-insensitive), or None when absent."""
    deal: dict[str, Any] = {}
    for name, rows in sheets.items():
        if _key(name) in STRUCTURE_SHEETS:
            deal = merge_deal(deal, parse_structure_rows(rows))
    return deal or None
