"""The standard-test registry: one source for test ids, metrics, units, directions and intermediates."""

from __future__ import annotations

import copy
import datetime as dt

import yaml

from orchestration.compliance.config import COMPLIANCE_CONFIG_DIR
from orchestration.compliance.deal import parse_deal
from orchestration.compliance.engine import compute
from orchestration.compliance.registry import (
    INDENTURE_TEST_IDS,
    STANDARD_TEST_IDS,
    STANDARD_TESTS,
    intermediates_of,
)
from tests.compliance import portfolio


def test_the_default_profile_agrees_with_the_registry() -> None:
    """The shipped profile was written by hand from the indenture conventions; the registry must not drift."""
    profile = yaml.safe_load((COMPLIANCE_CONFIG_DIR / "default.yaml").read_text())
    tests = {t["id"]: t for t in profile["deal"]["tests"]}
    assert tuple(tests) == STANDARD_TEST_IDS[:10]  # issue 4's ten, in the registry's order
    for test_id, test in tests.items():
        standard = STANDARD_TESTS[test_id]
        assert (test["unit"], test["direction"], test["category"]) == (
            standard.unit,
            standard.direction,
            standard.category,
        ), test_id


def test_the_full_indenture_profile_lists_the_52_in_the_report_order() -> None:
    """Issue 21 C23: the shipped 52-test profile and the registry agree (ids, order, categories)."""
    profile = yaml.safe_load((COMPLIANCE_CONFIG_DIR / "full_indenture.yaml").read_text())
    assert profile["deal"]["inherit_tests"] is False
    tests = profile["deal"]["tests"]
    assert tuple(t["id"] for t in tests) == INDENTURE_TEST_IDS
    assert len(set(INDENTURE_TEST_IDS)) == 52
    assert set(INDENTURE_TEST_IDS) | {"oc_senior", "ic_senior"} == set(STANDARD_TEST_IDS)
    for test in tests:
        assert test["category"] == STANDARD_TESTS[test["id"]].category, test["id"]
    directions = {t: STANDARD_TESTS[t].direction for t in INDENTURE_TEST_IDS}
    assert [t for t, d in directions.items() if d == "min" and t.startswith("conc_")] == ["conc_senior_secured"]


def test_every_registered_metric_and_intermediate_is_computed() -> None:
    notes = [
        {"class": c, "par": 10_000_000, "spread_bps": 150 + 100 * i, "seniority": i + 1} for i, c in enumerate("ABCDE")
    ]
    deal = parse_deal(
        {
            **copy.deepcopy(portfolio.DEAL),
            "notes": [*notes, {"class": "Subordinated", "par": 5_000_000, "seniority": 6}],
            "tests": [{"id": t, "trigger_level": 1} for t in INDENTURE_TEST_IDS],
        },
        fallback_as_of=dt.date(2026, 1, 1),
    )
    run = compute(portfolio.holdings(), deal)
    published = run.published_metrics()
    for standard in STANDARD_TESTS.values():
        if standard.test_id in ("oc_senior", "ic_senior"):
            continue
        assert standard.metric in run.metrics, standard.test_id
        missing = [k for k in standard.intermediates if k not in published]
        assert missing == [], standard.test_id
    assert run.test("ccc_bucket").current_value == run.metrics["ccc_pct"]
    assert run.test("was_test").current_value == run.metrics["was_bps"]  # no fixed coupon: no Excess WAC credit
    assert intermediates_of("oc_class_c") == STANDARD_TESTS["oc_class_c"].intermediates
    assert intermediates_of("my_custom_oc") == ("oc_by_class", "adjusted_collateral_principal_amount")


def test_a_standard_test_without_unit_or_direction_takes_the_registry_s() -> None:
    deal = copy.deepcopy(portfolio.DEAL)
    for test in (t for t in deal["tests"] if t["id"] in STANDARD_TESTS):
        test.pop("unit", None)
        test.pop("direction", None)
        test.pop("category", None)
    parsed = parse_deal(deal, fallback_as_of=dt.date(2026, 1, 1))
    assert {t.id for t in parsed.tests} >= set(STANDARD_TEST_IDS[:10])
    for test in (t for t in parsed.tests if t.id in STANDARD_TESTS):
        standard = STANDARD_TESTS[test.id]
        assert (test.unit, test.direction, test.category) == (standard.unit, standard.direction, standard.category)


def test_skipping_details_changes_no_figure() -> None:
    full = compute(portfolio.holdings(), portfolio.deal())
    lean = compute(portfolio.holdings(), portfolio.deal(), with_details=False)
    assert lean.details == {}
    assert set(full.details) == {
        "ccc_excess_allocation",
        "defaulted_holdings",
        "diversity_obligors",
        "diversity_industries",
    }
    assert lean.metrics == full.metrics
    assert lean.tests == full.tests
