"""The standard compliance tests, registered once: id, the metric it checks, unit, direction, intermediates.

`STANDARD_TEST_IDS`, the engine's metric of each test and the API's per-test intermediates
(`GET /workbooks/{id}/compliance/{test_id}`) are all read from `STANDARD_TESTS`; a deal profile's YAML names
the trigger and target levels and may omit the unit and direction, which then come from here. The engine
computes each convention in its own function (`engine._ccc_excess`, `_defaulted`, `_overcollateralization`,
`_interest`, `_warf`, `_was`, `_wal`, `_diversity`, `_concentrations`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["min", "max"]


@dataclass(frozen=True)
class StandardTest:
    """One standard test: the metric it checks, how it is read, and the intermediates that explain it."""

    test_id: str
    metric: str
    unit: str
    direction: Direction
    category: str
    convention: int
    intermediates: tuple[str, ...]


_TESTS = (
    StandardTest(
        "oc_senior", "oc_senior", "percent", "min", "overcollateralization", 7,
        ("performing_par", "ccc_haircut", "defaulted_carrying_value", "principal_cash",
         "adjusted_collateral_principal_amount", "oc_by_class", "oc_denominator_by_class"),
    ),
    StandardTest(
        "ic_senior", "ic_senior", "percent", "min", "interest_coverage", 11,
        ("collateral_interest", "senior_fees_and_expenses", "interest_coverage_amount", "ic_by_test",
         "reference_rate_pct", "accrual_days"),
    ),
    StandardTest(
        "warf_test", "warf", "rating_factor", "max", "credit_quality", 4,
        ("warf", "warf_rounded_up", "performing_par", "rating_sources"),
    ),
    StandardTest(
        "was_test", "was_bps", "bps", "min", "collateral_quality", 8, ("was_bps", "floating_par", "fixed_par"),
    ),
    StandardTest(
        "wal_test", "wal_years", "years", "max", "collateral_quality", 9,
        ("wal_years", "wal_par_without_maturity", "as_of_date"),
    ),
    StandardTest(
        "diversity_test", "diversity_score", "score", "min", "collateral_quality", 10,
        ("diversity_score", "obligor_count", "average_obligor_par", "diversity_industries"),
    ),
    StandardTest(
        "ccc_bucket", "ccc_pct", "percent", "max", "credit_quality", 6,
        ("ccc_par", "ccc_pct", "ccc_limit_pct", "ccc_limit_amount", "ccc_excess", "ccc_excess_market_value",
         "ccc_haircut", "ccc_excess_allocation", "collateral_principal_amount"),
    ),
    StandardTest(
        "conc_single_obligor", "largest_obligor_pct", "percent", "max", "concentration", 12,
        ("largest_obligor", "largest_obligor_par", "largest_obligor_pct", "collateral_principal_amount"),
    ),
    StandardTest(
        "conc_industry", "largest_industry_pct", "percent", "max", "concentration", 12,
        ("largest_industry", "largest_industry_par", "largest_industry_pct", "par_by_industry"),
    ),
    StandardTest(
        "conc_country", "non_domestic_pct", "percent", "max", "concentration", 12,
        ("domestic_country", "non_domestic_par", "non_domestic_pct", "largest_foreign_country",
         "largest_foreign_country_pct", "par_by_country"),
    ),
)  # fmt: skip

STANDARD_TESTS: dict[str, StandardTest] = {t.test_id: t for t in _TESTS}
"""Every standard test by id, in the order the default profile lists them."""

STANDARD_TEST_IDS: tuple[str, ...] = tuple(STANDARD_TESTS)

OTHER_INTERMEDIATES = ("oc_by_class", "adjusted_collateral_principal_amount")
"""What explains a test without its own entry (a per-class OC test, a custom metric)."""


def intermediates_of(test_id: str) -> tuple[str, ...]:
    """The intermediates that explain a test: its registered ones, else the OC build-up by class."""
    test = STANDARD_TESTS.get(test_id)
    return test.intermediates if test else OTHER_INTERMEDIATES
