"""Test evaluation: each configured test's value, status and cushion from the computed metrics (C12, C19-C24).

OC and IC tests divide on their denominator classes (given, or implied by the id: C19), the C23 concentrations
take their numerator from `indenture.concentration_numerator`, the rest read their registered metric. Every
OC, IC and concentration test records its numerator and denominator in `test_inputs` (C24).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orchestration.compliance import indenture
from orchestration.compliance.deal import DealInputs, Note, TestDefinition
from orchestration.compliance.registry import STANDARD_TESTS, cumulative_classes
from orchestration.compliance.status import cushion_of, publish, status_of
from orchestration.core.errors import InputError

IC_DAY_BASIS = 360.0  # convention 11 (ACT/360)


@dataclass(frozen=True)
class TestResult:
    """One test's outcome on unrounded figures (convention 13)."""

    id: str
    name: str
    category: str
    direction: str
    unit: str
    status: str
    current_value: float | None
    trigger_level: float
    target_level: float
    cushion: float | None
    cushion_pct: float | None

    def published(self) -> dict[str, Any]:
        """The seed's test shape, every number rounded once to 4 decimals half-up (convention 1)."""
        return publish(
            {
                "id": self.id,
                "name": self.name,
                "category": self.category,
                "direction": self.direction,
                "unit": self.unit,
                "status": self.status,
                "current_value": self.current_value,
                "trigger_level": float(self.trigger_level),
                "target_level": float(self.target_level),
                "cushion": self.cushion,
                "cushion_pct": self.cushion_pct,
            }
        )


def ratio(num: float, den: float) -> float | None:
    """Num / den × 100, or None when the denominator is not positive."""
    return num / den * 100.0 if den > 0 else None


def class_par(notes: tuple[Note, ...], classes: tuple[str, ...]) -> float:
    """Σ par of the named note classes."""
    wanted = set(classes)
    return sum(n.par for n in notes if n.class_name in wanted)


def senior_classes(notes: tuple[Note, ...]) -> tuple[str, ...]:
    """The most senior non-subordinated class(es): the default denominator when a test names none."""
    rated = [n for n in notes if not n.subordinated]
    if not rated:
        return ()
    top = min(n.seniority for n in rated)
    return tuple(n.class_name for n in rated if n.seniority == top)


def note_interest(deal: DealInputs, classes: tuple[str, ...]) -> float:
    """Convention 11: Σ class par × (reference rate + class spread/10,000) × accrual_days / 360.

    A class without a spread (fixed or unspecified) accrues at the reference rate alone.
    """
    wanted = set(classes)
    ref = deal.reference_rate_pct / 100.0
    return sum(
        n.par * (ref + (n.spread_bps or 0.0) / 10_000.0) * deal.accrual_days / IC_DAY_BASIS
        for n in deal.notes
        if n.class_name in wanted
    )


def lookup(metrics: Mapping[str, Any], path: str) -> Any:
    """A dotted path into the metrics (custom tests), or raise TEST_METRIC_UNKNOWN."""
    value: Any = metrics
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise InputError("TEST_METRIC_UNKNOWN", f"no metric {path!r}", "deal.tests", {"metric": path})
        value = value[part]
    return value


def evaluate(
    deal: DealInputs, metrics: Mapping[str, Any], pool: indenture.ConcentrationPool
) -> tuple[list[TestResult], dict[str, Any], dict[str, Any]]:
    """Each configured test's unrounded value, status and cushion (C12, C24), the IC build-up and test inputs."""
    tests: list[TestResult] = []
    ic_by_test: dict[str, Any] = {}
    inputs: dict[str, Any] = {}
    for i, test in enumerate(deal.tests):
        value = test_value(test, deal, metrics, pool, ic_by_test, inputs, f"deal.tests[{i}]")
        cushion, cushion_pct = cushion_of(value, test.direction, test.trigger_level)
        tests.append(
            TestResult(
                id=test.id,
                name=test.name,
                category=test.category,
                direction=test.direction,
                unit=test.unit,
                status=status_of(value, test.direction, test.trigger_level, test.target_level),
                current_value=value,
                trigger_level=test.trigger_level,
                target_level=test.target_level,
                cushion=cushion,
                cushion_pct=cushion_pct,
            )
        )
    return tests, ic_by_test, inputs


CONCENTRATION_OF_METRIC = {
    "ccc_bucket": "ccc_par",
    "conc_single_obligor": "largest_obligor_par",
    "conc_industry": "largest_industry_par",
    "conc_country": "non_domestic_par",
}
"""Convention 6 and 11 tests whose numerator is an existing metric (published in `test_inputs`)."""


def test_value(
    test: TestDefinition,
    deal: DealInputs,
    metrics: Mapping[str, Any],
    pool: indenture.ConcentrationPool,
    ic_by_test: dict[str, Any],
    inputs: dict[str, Any],
    where: str,
) -> float | None:
    """The unrounded value a test checks; records its numerator and denominator in `inputs` (C24)."""
    if test.metric:
        value = lookup(metrics, test.metric)
        return None if value is None else float(value)
    cpa = metrics["collateral_principal_amount"]
    if test.category in ("overcollateralization", "interest_coverage") or test.id in ("oc_senior", "ic_senior"):
        classes = test.denominator_classes or cumulative_classes(test.id, deal.notes) or senior_classes(deal.notes)
        if not classes:
            raise InputError("DEAL_INVALID", f"test {test.id!r} has no note classes to divide by", where)
        if test.category == "interest_coverage" or test.id == "ic_senior":
            numerator, denominator = metrics["interest_coverage_amount"], note_interest(deal, classes)  # C10, C20
            ic_by_test[test.id] = {"classes": list(classes), "note_interest": denominator}
        else:
            numerator = metrics["adjusted_collateral_principal_amount"]  # C18, C19
            denominator = class_par(deal.notes, classes)
        inputs[test.id] = {"numerator": numerator, "denominator": denominator, "classes": list(classes)}
        return ratio(numerator, denominator)
    if test.id in indenture.CONCENTRATION_IDS:
        numerator, names = indenture.concentration_numerator(test.id, test.params, pool)  # C22, C23
        inputs[test.id] = {"numerator": numerator, "denominator": cpa, **({"names": names} if names else {})}
        return ratio(numerator, cpa)
    if test.id in CONCENTRATION_OF_METRIC:
        inputs[test.id] = {"numerator": metrics[CONCENTRATION_OF_METRIC[test.id]], "denominator": cpa}
    if test.id == "warf_test" and test.params.get("rating_basis") == "moodys_derived":
        return metrics["warf_moodys_derived"]  # C15, C21
    if test.id in STANDARD_TESTS:
        value = metrics[STANDARD_TESTS[test.id].metric]
        return None if value is None else float(value)
    raise InputError("TEST_METRIC_UNKNOWN", f"test {test.id!r} names no metric", "deal.tests", {"test_id": test.id})
