"""The standard compliance tests, registered once: id, the metric it checks, unit, direction, intermediates.

`STANDARD_TEST_IDS`, the engine's metric of each test (`test_values` for issue 21's per-test values: OC / IC
on their classes and the C23 concentrations, published as `test_values[id]` with `test_inputs[id]`) and the
API's per-test intermediates (`GET /workbooks/{id}/compliance/{test_id}`) are all read from `STANDARD_TESTS`;
a deal profile's YAML names the trigger and target levels and may omit the unit and direction, which then come
from here. The engine computes each convention in its own function (`engine._ccc_excess`, `_defaulted`,
`_carrying`, `_overcollateralization`, `_interest`, `_warf`, `_was`, `_wal`, `_diversity`, `_concentrations`;
issue 21's measures in `indenture.py`); `evaluation.py` turns them into test values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from orchestration.core.errors import InputError

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
        ("warf", "warf_rounded_up", "warf_moodys_derived", "performing_par", "rating_sources",
         "derived_rating_sources"),
    ),
    StandardTest(
        "was_test", "was_with_excess_wac_bps", "bps", "min", "collateral_quality", 8,
        ("was_bps", "excess_wac_credit_bps", "wac", "floating_par", "fixed_par"),
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
    *(
        StandardTest(f"oc_class_{c}", "test_values", "percent", "min", "overcollateralization", 19,
                     ("adjusted_collateral_principal_amount", "test_inputs", "oc_by_class", "oc_denominator_by_class"))
        for c in "abcde"
    ),
    StandardTest(
        "reinvestment_oc", "test_values", "percent", "min", "overcollateralization", 19,
        ("adjusted_collateral_principal_amount", "test_inputs", "oc_by_class"),
    ),
    *(
        StandardTest(f"ic_class_{c}", "test_values", "percent", "min", "interest_coverage", 20,
                     ("collateral_interest_floating", "collateral_interest_fixed", "interest_coverage_amount",
                      "ic_by_test", "test_inputs"))
        for c in "abcde"
    ),
    StandardTest("wac_test", "wac", "percent", "min", "collateral_quality", 21, ("wac", "fixed_par")),
    StandardTest("warr_test", "warr", "percent", "min", "collateral_quality", 21, ("warr", "performing_par")),
    *(
        StandardTest(test_id, "test_values", "percent", "min" if direction == "min" else "max", "concentration", 23,
                     ("test_inputs", "collateral_principal_amount", *extra))
        for test_id, direction, extra in (
            ("conc_moodys_caa", "max", ("derived_rating_sources",)),
            ("conc_sp_ccc", "max", ()),
            ("conc_obligor_2nd", "max", ("obligor_ranking",)),
            ("conc_obligor_6th", "max", ("obligor_ranking",)),
            ("conc_top5_obligors", "max", ("obligor_ranking",)),
            ("conc_top10_obligors", "max", ("obligor_ranking",)),
            ("conc_largest_non_ss_obligor", "max", ()),
            ("conc_industry_2nd", "max", ("industry_ranking",)),
            ("conc_industry_3rd", "max", ("industry_ranking",)),
            ("conc_industry_4th", "max", ("industry_ranking",)),
            ("conc_canada", "max", ("par_by_country",)),
            ("conc_country_group_i", "max", ("par_by_country",)),
            ("conc_country_group_ii", "max", ("par_by_country",)),
            ("conc_country_group_iii", "max", ("par_by_country",)),
            ("conc_tax_jurisdiction", "max", ("par_by_country",)),
            ("conc_single_group_country", "max", ("par_by_country",)),
            ("conc_senior_secured", "min", ("principal_cash",)),
            ("conc_second_lien", "max", ()),
            ("conc_unsecured_subordinated", "max", ()),
            ("conc_bonds", "max", ()),
            ("conc_cov_lite", "max", ()),
            ("conc_dip", "max", ()),
            ("conc_current_pay", "max", ()),
            ("conc_participation", "max", ()),
            ("conc_pik", "max", ()),
            ("conc_fixed_rate", "max", ("fixed_par",)),
            ("conc_revolver_ddtl", "max", ()),
            ("conc_discount", "max", ("discount_par",)),
            ("conc_long_dated", "max", ()),
            ("conc_unrated", "max", ("rating_sources",)),
            ("conc_moodys_rating_derived", "max", ("derived_rating_sources",)),
        )
    ),
)  # fmt: skip

STANDARD_TESTS: dict[str, StandardTest] = {t.test_id: t for t in _TESTS}
"""Every standard test by id: the ten of issue 4 in the default profile's order, then issue 21's 42 (C23)."""

STANDARD_TEST_IDS: tuple[str, ...] = tuple(STANDARD_TESTS)

OTHER_INTERMEDIATES = ("oc_by_class", "adjusted_collateral_principal_amount")
"""What explains a test without its own entry (a per-class OC test, a custom metric)."""


def intermediates_of(test_id: str) -> tuple[str, ...]:
    """The intermediates that explain a test: its registered ones, else the OC build-up by class."""
    test = STANDARD_TESTS.get(test_id)
    return test.intermediates if test else OTHER_INTERMEDIATES


_CLASS_TEST = re.compile(r"^(?:oc|ic)_class_([a-z0-9]+)$")


def cumulative_classes(test_id: str, notes: Sequence[Any]) -> tuple[str, ...]:
    """C19: the denominator classes an OC / IC id implies — its class and every rated class senior to it.

    `oc_class_c` → A, B, C (by `seniority`, never a subordinated class); `reinvestment_oc` → through class E.
    Empty for ids that imply none; DEAL_INVALID when the deal lacks the class the id names.
    """
    match = _CLASS_TEST.match(test_id)
    wanted = match.group(1) if match else ("e" if test_id == "reinvestment_oc" else None)
    if wanted is None:
        return ()
    rated = sorted((n for n in notes if not n.subordinated), key=lambda n: (n.seniority, n.class_name))
    named = next((n for n in rated if n.class_name.lower() == wanted), None)
    if named is None:
        raise InputError(
            "DEAL_INVALID",
            f"test {test_id!r} needs note class {wanted.upper()}, which the deal does not list "
            "(name the classes in denominator_classes)",
            "deal.tests",
            {"test_id": test_id, "classes": [n.class_name for n in rated]},
        )
    return tuple(n.class_name for n in rated if n.seniority <= named.seniority)


INDENTURE_TEST_IDS: tuple[str, ...] = (
    "oc_class_a", "oc_class_b", "oc_class_c", "oc_class_d", "oc_class_e", "reinvestment_oc",
    "ic_class_a", "ic_class_b", "ic_class_c", "ic_class_d", "ic_class_e",
    "warf_test", "was_test", "wac_test", "warr_test", "wal_test", "diversity_test", "ccc_bucket",
    "conc_moodys_caa", "conc_sp_ccc", "conc_single_obligor", "conc_obligor_2nd", "conc_obligor_6th",
    "conc_top5_obligors", "conc_top10_obligors", "conc_largest_non_ss_obligor", "conc_industry",
    "conc_industry_2nd", "conc_industry_3rd", "conc_industry_4th", "conc_country", "conc_canada",
    "conc_country_group_i", "conc_country_group_ii", "conc_country_group_iii", "conc_tax_jurisdiction",
    "conc_single_group_country", "conc_senior_secured", "conc_second_lien", "conc_unsecured_subordinated",
    "conc_bonds", "conc_cov_lite", "conc_dip", "conc_current_pay", "conc_participation", "conc_pik",
    "conc_fixed_rate", "conc_revolver_ddtl", "conc_discount", "conc_long_dated", "conc_unrated",
    "conc_moodys_rating_derived",
)  # fmt: skip
"""The 52 tests of a full trustee report (issue 21 C23), in the report's order."""
