"""Deal inputs: precedence (sidecar > sheet > profile > default), merging rules and the Structure sheet parser."""

from __future__ import annotations

import datetime as dt

import pytest

from orchestration.clo.demo_deal import structure_rows
from orchestration.compliance.config import load_profiles
from orchestration.compliance.deal import (
    parse_structure_rows,
    parse_structure_sheets,
    resolve_deal,
)
from orchestration.compliance.diversity import default_diversity_table
from orchestration.compliance.registry import INDENTURE_TEST_IDS
from orchestration.core.errors import InputError

AS_OF = dt.date(2026, 1, 31)


def test_default_profile_supplies_everything() -> None:
    deal = resolve_deal(sidecar=None, sheet_deal=None, fallback_as_of=AS_OF)
    assert deal.as_of_date == AS_OF
    assert [t.id for t in deal.tests][:3] == ["oc_senior", "ic_senior", "warf_test"]
    assert deal.notes[-1].subordinated
    assert deal.sources["default_profile"] == "default"


def test_precedence_sidecar_over_sheet_over_profile_over_default() -> None:
    sheet = {
        "ccc_limit_pct": 8.0,
        "accounts": {"principal_cash": 100},
        "tests": [{"id": "oc_senior", "trigger_level": 110}],
    }
    sidecar = {
        "compliance_profile": "clo_2024_1",
        "deal": {"accounts": {"principal_cash": 999}, "tests": [{"id": "oc_senior", "target_level": 130}]},
    }
    deal = resolve_deal(sidecar=sidecar, sheet_deal=sheet, fallback_as_of=AS_OF)
    assert deal.principal_cash == 999  # sidecar beats the sheet
    assert deal.ccc_limit_pct == 8.0  # sheet beats the profile's 7.5
    assert deal.notes[0].par == 62_000_000  # the named profile's notes replace the default's
    oc = next(t for t in deal.tests if t.id == "oc_senior")
    assert (oc.trigger_level, oc.target_level) == (110.0, 130.0)  # merged by id field by field
    assert oc.denominator_classes == ("A", "B")  # from the default
    assert {"oc_class_c", "oc_class_d", "warf_rounded"} <= {t.id for t in deal.tests}  # profile adds tests
    assert deal.reference_rate_name == "SOFR"  # default


def test_unknown_profile_and_bad_levels_are_input_errors() -> None:
    with pytest.raises(InputError) as info:
        resolve_deal(sidecar={"compliance_profile": "nope"}, sheet_deal=None, fallback_as_of=AS_OF)
    assert info.value.code == "PROFILE_UNKNOWN"
    with pytest.raises(InputError) as info:
        resolve_deal(sidecar={"deal": {"tests": [{"id": "oc_senior", "target_level": 100}]}}, sheet_deal=None,
                     fallback_as_of=AS_OF)  # fmt: skip
    assert info.value.where == "deal.tests[0].target_level"
    with pytest.raises(InputError) as info:
        resolve_deal(sidecar={"deal": {"tests": [{"id": "x", "direction": "min", "trigger_level": 1,
                     "denominator_classes": ["Z"]}]}}, sheet_deal=None, fallback_as_of=AS_OF)  # fmt: skip
    assert info.value.where.endswith("denominator_classes")
    with pytest.raises(InputError):
        resolve_deal(sidecar=None, sheet_deal=None, fallback_as_of=None)


def test_the_clo_demo_structure_sheet_parses() -> None:
    deal = parse_structure_rows(structure_rows(AS_OF))
    assert deal["deal_id"] == "CalcBridge CLO 2024-1"
    assert deal["as_of_date"] == "2026-01-31"
    assert deal["accounts"] == {"principal_cash": 2_500_000}
    assert deal["rates"]["reference_rate_pct"] == 4.3
    assert [n["class"] for n in deal["notes"]] == ["A", "B", "C", "D", "E", "Subordinated"]
    assert len(deal["tests"]) == 52
    resolved = resolve_deal(sidecar={"compliance_profile": "full_indenture"}, sheet_deal=deal)
    assert tuple(t.id for t in resolved.tests) == INDENTURE_TEST_IDS  # the default's ten are not inherited
    oc = next(t for t in resolved.tests if t.id == "oc_class_b")
    assert oc.denominator_classes == ("A", "B")
    assert (oc.trigger_level, oc.target_level) == (115.0, 118.0)
    warf = next(t for t in resolved.tests if t.id == "warf_test")
    assert warf.params == {"rating_basis": "moodys_derived"}
    assert next(t for t in resolved.tests if t.id == "conc_obligor_6th").params == {"rank": 6}
    terms = resolved.terms  # every C14 key read from its flat sheet label
    assert terms.stated_maturity_date == dt.date(2032, 6, 15)
    assert (terms.discount_obligation.loan_threshold_pct, terms.discount_obligation.cure_price_pct) == (85.0, 90.0)
    assert terms.recovery_rates_pct_by_seniority["second_lien"] == 15.0
    assert terms.country_groups["group_ii"] == ("DE", "IE", "SE", "CH")
    assert "NO" in terms.country_groups["group_iii"]  # Norway, not YAML's false


def test_tolerant_layouts() -> None:
    rows = [
        ["Principal Cash", None, "1,500,000"],
        ["CCC Limit %", "7.5%"],
        ["Unknown key", 3],
        ["Class", "Par", "Spread", "Rating", "Seniority"],
        ["A", "100", 150, "Aaa", 1],
        ["B", 20, 250, "Aa2", 2],
    ]
    deal = parse_structure_rows(rows)
    assert deal["accounts"]["principal_cash"] == "1,500,000"
    assert deal["notes"][0] == {"class": "A", "par": "100", "spread_bps": 150, "rating": "Aaa", "seniority": 1}
    tests_sheet = [["Test ID", "Direction", "Trigger", "Target"], ["wal_test", "max", 6, 5.5]]
    merged = parse_structure_sheets({"Structure": rows, "TESTS": tests_sheet, "Holdings": [["x"]]})
    assert merged is not None
    assert merged["tests"] == [{"id": "wal_test", "direction": "max", "trigger_level": 6, "target_level": 5.5}]
    resolved = resolve_deal(sidecar=None, sheet_deal=merged, fallback_as_of=AS_OF)
    assert resolved.principal_cash == 1_500_000
    assert next(t for t in resolved.tests if t.id == "wal_test").trigger_level == 6
    assert parse_structure_sheets({"Holdings": [["x"]]}) is None


def test_diversity_table_is_the_issue_table() -> None:
    table = default_diversity_table()
    assert len(table.industries) == 35
    # key 0 → 0; 0.05 → 0.1; 0.95 → 1.0; 1.05 → 1.05; 2.95 → 2.00; 3.05 → 2.0333; 5.95 → 3.0; 6.05 → 3.025;
    # 9.95 → 4.0; 10.05 → 4.01; 19.95 → 5.0; above → 5.0; between two keys the lower.
    lookups = {0.0: 0.0, 0.04: 0.0, 0.05: 0.1, 0.95: 1.0, 1.0: 1.0, 1.05: 1.05, 2.95: 2.0, 3.05: 2.0333,
               3.1: 2.0333, 5.95: 3.0, 6.05: 3.025, 9.95: 4.0, 10.05: 4.01, 19.95: 5.0, 25.0: 5.0}  # fmt: skip
    got = table.lookup(list(lookups))
    assert dict(zip(lookups, got.tolist(), strict=True)) == lookups
    assert table.lookup([0.1 * 10.5])[0] == 1.05  # 1.0500000000000003 / 1.0499999999999998 float noise


def test_profiles_are_found() -> None:
    assert {"default", "clo_2024_1"} <= set(load_profiles())


@pytest.mark.parametrize(
    ("deal", "where", "says"),
    [
        ({"discount_obligation": {"loan_threshold_pct": 80, "cure_pct": 90}}, "deal.discount_obligation.cure_pct",
         "unknown key 'cure_pct'"),
        ({"discount_obligation": {"cure_price_pct": "ninety"}}, "deal.discount_obligation.cure_price_pct",
         "expected a number"),
        ({"recovery_rates_pct_by_seniority": {"first_lien": 50}}, "deal.recovery_rates_pct_by_seniority.first_lien",
         "unknown key"),
        ({"recovery_rates_pct_by_seniority": {"second_lien": 150}}, "deal.recovery_rates_pct_by_seniority",
         "[0, 100]"),
        ({"recovery_rates_pct_by_seniority": {"second_lien": -5}}, "deal.recovery_rates_pct_by_seniority.second_lien",
         "negative"),
        ({"country_groups": {"group_iv": ["DE"]}}, "deal.country_groups.group_iv", "unknown key"),
        ({"country_groups": {"group_i": ["Germany"]}}, "deal.country_groups.group_i", "ISO alpha-2"),
        ({"country_groups": {"group_iii": ["FR", False]}}, "deal.country_groups.group_iii", "quote it"),
        ({"stated_maturity_date": "15/06/2032"}, "deal.stated_maturity_date", "YYYY-MM-DD"),
        ({"excess_wac_reference_coupon_pct": "seven"}, "deal.excess_wac_reference_coupon_pct", "expected a number"),
        ({"inherit_tests": False, "tests": [{"id": "conc_obligor_2nd", "trigger_level": 2, "rank": 0}]},
         "deal.tests[0].rank", "positive integer"),
        ({"inherit_tests": False, "tests": [{"id": "conc_top5_obligors", "trigger_level": 9, "top_n": 2.5}]},
         "deal.tests[0].top_n", "positive integer"),
        ({"inherit_tests": False, "tests": [{"id": "conc_canada", "trigger_level": 9, "country_group": "nordics"}]},
         "deal.tests[0].country_group", "unknown country group"),
        ({"inherit_tests": False, "tests": [{"id": "warf_test", "trigger_level": 3000, "rating_basis": "fitch"}]},
         "deal.tests[0].rating_basis", "unknown rating basis"),
    ],
)  # fmt: skip
def test_the_indenture_keys_are_validated_with_an_error_naming_the_key(deal, where, says) -> None:
    """C14: a bad deal key fails with DEAL_INVALID at that key, whichever layer set it."""
    with pytest.raises(InputError) as caught:
        resolve_deal(sidecar={"deal": deal}, sheet_deal=None, fallback_as_of=AS_OF)
    assert caught.value.code == "DEAL_INVALID"
    assert caught.value.where == where
    assert says in caught.value.message


def test_a_deal_without_the_indenture_keys_switches_their_features_off() -> None:
    """C14 backward compatibility: no key, no feature (the default profile sets none of them)."""
    terms = resolve_deal(sidecar=None, sheet_deal=None, fallback_as_of=AS_OF).terms
    assert terms.stated_maturity_date is None
    assert terms.discount_obligation is None
    assert terms.excess_wac_reference_coupon_pct is None
    assert terms.recovery_rates_pct_by_seniority is None
    assert dict(terms.country_groups) == {}


def test_inherit_tests_false_replaces_the_lower_layers_tests() -> None:
    sheet = {"inherit_tests": "FALSE", "tests": [{"id": "ccc_bucket", "trigger_level": 7.5}]}
    deal = resolve_deal(sidecar=None, sheet_deal=sheet, fallback_as_of=AS_OF)
    assert [t.id for t in deal.tests] == ["ccc_bucket"]
    inherited = resolve_deal(sidecar=None, sheet_deal={"tests": sheet["tests"]}, fallback_as_of=AS_OF)
    assert len(inherited.tests) == 10
