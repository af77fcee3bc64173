"""Deal inputs: precedence (sidecar > sheet > profile > default), merging rules and the Structure sheet parser."""

from __future__ import annotations

import datetime as dt

import pytest

from orchestration.clo.demo import structure_rows
from orchestration.compliance.config import load_profiles
from orchestration.compliance.deal import (
    parse_structure_rows,
    parse_structure_sheets,
    resolve_deal,
)
from orchestration.compliance.diversity import default_diversity_table
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
    assert len(deal["tests"]) == 10
    resolved = resolve_deal(sidecar=None, sheet_deal=deal)
    oc = next(t for t in resolved.tests if t.id == "oc_senior")
    assert oc.denominator_classes == ("A", "B")
    assert oc.trigger_level == 125.0
    warf = next(t for t in resolved.tests if t.id == "warf_test")
    assert warf.denominator_classes == ()


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
