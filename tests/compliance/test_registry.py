"""The standard-test registry: one source for test ids, metrics, units, directions and intermediates."""

from __future__ import annotations

import copy
import datetime as dt

import yaml

from orchestration.compliance.config import COMPLIANCE_CONFIG_DIR
from orchestration.compliance.deal import parse_deal
from orchestration.compliance.engine import compute
from orchestration.compliance.registry import STANDARD_TEST_IDS, STANDARD_TESTS, intermediates_of
from tests.compliance import portfolio


def test_the_default_profile_agrees_with_the_registry() -> None:
    """The shipped profile was written by hand from the indenture conventions; the registry must not drift."""
    profile = yaml.safe_load((COMPLIANCE_CONFIG_DIR / "default.yaml").read_text())
    tests = {t["id"]: t for t in profile["deal"]["tests"]}
    assert tuple(tests) == STANDARD_TEST_IDS
    for test_id, test in tests.items():
        standard = STANDARD_TESTS[test_id]
        assert (test["unit"], test["direction"], test["category"]) == (
            standard.unit,
            standard.direction,
            standard.category,
        ), test_id


def test_every_registered_metric_and_intermediate_is_computed() -> None:
    run = compute(portfolio.holdings(), portfolio.deal())
    published = run.published_metrics()
    for standard in STANDARD_TESTS.values():
        assert standard.metric in run.metrics, standard.test_id
        missing = [k for k in standard.intermediates if k not in published]
        assert missing == [], standard.test_id
    assert run.test("ccc_bucket").current_value == run.metrics["ccc_pct"]
    assert run.test("was_test").current_value == run.metrics["was_bps"]
    assert intermediates_of("oc_class_c") == ("oc_by_class", "adjusted_collateral_principal_amount")


def test_a_standard_test_without_unit_or_direction_takes_the_registry_s() -> None:
    deal = copy.deepcopy(portfolio.DEAL)
    for test in (t for t in deal["tests"] if t["id"] in STANDARD_TESTS):
        test.pop("unit", None)
        test.pop("direction", None)
        test.pop("category", None)
    parsed = parse_deal(deal, fallback_as_of=dt.date(2026, 1, 1))
    assert {t.id for t in parsed.tests} >= set(STANDARD_TEST_IDS)
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
