"""Scenario validation, application and comparison on the hand-worked portfolio."""

from __future__ import annotations

from fractions import Fraction

import pytest

from orchestration.compliance import scenarios
from orchestration.compliance.engine import compute
from orchestration.compliance.scenarios import ScenarioInvalidError, apply_changes, compare, validate
from orchestration.compliance.status import publish, round_half_up
from tests.compliance import portfolio

CCC_CUSIPS = ["E00000001", "F00000001", "G00000001", "H00000001", "I00000001"]


def _run(document: dict):
    scenario = validate(document)
    frame, trades = apply_changes(portfolio.holdings(), scenario)
    base = compute(portfolio.holdings(), portfolio.deal())
    other = compute(frame, portfolio.deal())
    return base, other, trades, publish(compare(base, other))


def test_removing_every_ccc_holding_passes_the_ccc_test() -> None:
    doc = {
        "name": "Sell all CCC",
        "workbook_id": "wb",
        "changes": [{"type": "remove_position", "data": {"cusip": c}} for c in CCC_CUSIPS],
    }
    base, other, trades, comparison = _run(doc)
    assert base.test("ccc_bucket").status == "failed"
    assert other.test("ccc_bucket").status == "passed"
    assert other.metrics["ccc_par"] == 0
    assert other.metrics["ccc_haircut"] == 0
    # performing par 83 − 12 = 71; adjusted = 71 − 0 + 0.9 + 2 = 73.9 → Senior OC 73.9/70 = 105.5714… % (failed)
    assert other.test("oc_senior").published()["current_value"] == round_half_up(float(Fraction(739, 7)))
    changes = {c["test_id"]: c for c in comparison["compliance"]["changes"]}
    assert changes["ccc_bucket"]["base_status"] == "failed"
    assert changes["ccc_bucket"]["scenario_status"] == "passed"
    assert changes["ccc_bucket"]["reason"] == "Reduced CCC exposure from 14.1% to 0.0%"
    assert comparison["compliance"]["base"] == {"passed": 5, "failed": 1, "warning": 5}
    total = next(m for m in comparison["metrics"] if m["name"] == "Total Par")
    assert (total["base_value"], total["scenario_value"], total["delta"]) == (86e6, 74e6, -12e6)
    assert total["delta_pct"] == round_half_up(-12 / 86 * 100)
    assert [t["par_delta"] for t in trades] == [-4e6, -3e6, -2e6, -2e6, -1e6]


def test_partial_remove_and_add_position() -> None:
    doc = {
        "name": "Trim Zeta, buy ABC",
        "workbook_id": "wb",
        "changes": [
            {"type": "remove_position", "data": {"cusip": "F00000001", "par_amount": 1_000_000}},
            {"type": "add_position", "data": {"issuer": "ABC Corporation", "cusip": "000361105",
             "par_amount": 5_000_000, "price": 98.5, "spread": 425, "rating_moodys": "B2", "rating_sp": "B",
             "maturity_date": "2029-06-15", "industry": "Healthcare & Pharmaceuticals", "country": "US"}},
        ],
    }  # fmt: skip
    _, other, _, comparison = _run(doc)
    m = other.metrics
    # performing 83 − 1 + 5 = 87; CPA 89; CCC 11 → 11/89 = 12.3595… %; Zeta keeps 2 at 80 % (mv 1.6)
    assert m["performing_par"] == 87e6
    assert m["collateral_principal_amount"] == 89e6
    assert round_half_up(m["ccc_pct"]) == round_half_up(float(Fraction(1100, 89)))
    zeta = other.holdings.set_index("cusip").loc["F00000001"]
    assert zeta["in_ccc_bucket"]
    # Healthcare now 10 + 5 = 15 → 15/89 = 16.8539… % > 15 trigger: failed
    assert other.test("conc_industry").status == "failed"
    change = next(c for c in comparison["compliance"]["changes"] if c["test_id"] == "conc_industry")
    assert change["reason"] == "Increased largest industry concentration from 11.8% to 16.9%"


def test_price_rating_and_modify_changes() -> None:
    doc = {
        "name": "Downgrade Sigma, reprice Epsilon",
        "workbook": "Portfolio",
        "changes": [
            {"type": "rating_change", "data": {"cusip": "S00000001", "rating_moodys": "Caa1"}},
            {"type": "price_change", "data": {"cusip": "E00000001", "price": 40}},
            {"type": "modify_position", "data": {"cusip": "T00000001", "is_defaulted": True}},
        ],
    }
    _, other, _, _ = _run(doc)
    # Sigma 9 joins CCC, Tau 5 defaults: performing 78, CPA 80, CCC 12 + 9 = 21 → 26.25 %
    assert other.metrics["ccc_pct"] == pytest.approx(26.25, abs=1e-12)
    # Excess 21 − 0.075 × 80 = 15, lowest mv% first: Epsilon now 40 % (4, mv 1.6), Iota 50 % (1, 0.5),
    # Eta 60 % (2, 1.2), Theta 70 % (2, 1.4), Zeta 80 % (3, 2.4), Sigma 100 % (3 of 9, 3.0) → mv 10.1
    assert other.metrics["ccc_excess_market_value"] == pytest.approx(10.1e6)
    assert other.metrics["ccc_haircut"] == pytest.approx(4.9e6)


@pytest.mark.parametrize(
    ("document", "field", "code"),
    [
        ({"name": "x", "workbook_id": "w", "changes": [{"type": "add_position", "data": {"issuer": "A", "cusip": "1",
          "par_amount": -5}}]}, "changes[0].data.par_amount", "POSITIVE_NUMBER_REQUIRED"),
        ({"name": "x", "workbook_id": "w", "changes": [{"type": "add_position", "data": {"cusip": "1",
          "par_amount": 1}}]}, "changes[0].data.issuer", "REQUIRED_FIELD"),
        ({"name": "x", "workbook_id": "w", "changes": [{"type": "remove_position", "data": {"cusip": "1"}},
          {"type": "sell", "data": {}}]}, "changes[1].type", "INVALID_CHANGE_TYPE"),
        ({"name": "x", "workbook_id": "w", "changes": [{"type": "price_change", "data": {"cusip": "1",
          "price": 250}}]}, "changes[0].data.price", "PRICE_OUT_OF_RANGE"),
        ({"name": "x", "workbook_id": "w", "changes": [{"type": "rating_change", "data": {"cusip": "1",
          "rating_sp": "ZZZ"}}]}, "changes[0].data.rating_sp", "INVALID_RATING"),
        ({"name": "x", "changes": [{"type": "remove_position", "data": {"cusip": "1"}}]}, "workbook_id",
         "REQUIRED_FIELD"),
        ({"name": "x", "workbook_id": "w", "changes": []}, "changes", "REQUIRED_FIELD"),
        ({"name": "x", "workbook_id": "w", "changes": [{"type": "modify_position", "data": {"cusip": "1",
          "maturity_date": "2030-13-01"}}]}, "changes[0].data.maturity_date", "INVALID_DATE"),
    ],
)  # fmt: skip
def test_invalid_scenarios_carry_field_paths_and_codes(document: dict, field: str, code: str) -> None:
    with pytest.raises(ScenarioInvalidError) as info:
        validate(document)
    assert {"field": field, "message": info.value.issues[0].message, "code": code} in [
        i.as_dict() for i in info.value.issues
    ]


def test_seed_error_example_message() -> None:
    doc = {
        "name": "x",
        "workbook_id": "w",
        "changes": [{"type": "add_position", "data": {"issuer": "A", "cusip": "1", "par_amount": 0}}],
    }
    with pytest.raises(ScenarioInvalidError) as info:
        validate(doc)
    assert info.value.issues[0].as_dict() == {
        "field": "changes[0].data.par_amount",
        "message": "Par amount must be positive",
        "code": "POSITIVE_NUMBER_REQUIRED",
    }


def test_unknown_cusip_and_overselling_fail_at_apply_time() -> None:
    scenario = validate(
        {"name": "x", "workbook_id": "w", "changes": [{"type": "remove_position", "data": {"cusip": "NOPE"}}]}
    )
    with pytest.raises(ScenarioInvalidError) as info:
        apply_changes(portfolio.holdings(), scenario)
    assert info.value.issues[0].as_dict()["code"] == "POSITION_NOT_FOUND"
    assert info.value.issues[0].field == "changes[0].data.cusip"
    scenario = validate(
        {
            "name": "x",
            "workbook_id": "w",
            "changes": [{"type": "remove_position", "data": {"cusip": "I00000001", "par_amount": 2e6}}],
        }
    )
    with pytest.raises(ScenarioInvalidError) as info:
        apply_changes(portfolio.holdings(), scenario)
    assert info.value.issues[0].code == "POSITION_PAR_EXCEEDED"


def test_changes_can_target_a_position_added_earlier_in_the_scenario() -> None:
    doc = {
        "name": "Add then downgrade",
        "workbook_id": "wb",
        "changes": [
            {"type": "add_position", "data": {"issuer": "New Co", "cusip": "Z00000009", "par_amount": 2_000_000,
             "price": 90, "spread": 400, "rating_moodys": "B2", "industry": "Retail", "country": "US"}},
            {"type": "rating_change", "data": {"cusip": "Z00000009", "rating_moodys": "Caa2"}},
            {"type": "remove_position", "data": {"cusip": "Z00000009", "par_amount": 500_000}},
        ],
    }  # fmt: skip
    _, other, trades, _ = _run(doc)
    # CCC 12 + 1.5 = 13.5 over CPA 85 + 1.5 = 86.5; the new lot keeps its 90 % price (mv 1.35)
    assert other.metrics["ccc_par"] == 13.5e6
    assert other.metrics["collateral_principal_amount"] == 86.5e6
    added = other.holdings.set_index("cusip").loc["Z00000009"]
    assert added["effective_rating"] == "Caa2"
    assert [t["par_delta"] for t in trades] == [2e6, 0.0, -0.5e6]


@pytest.mark.parametrize(
    ("unit", "base", "scenario", "expected"),
    [
        ("bps", 400.0, 400.3, "Increased WAS from 400.0 bps to 400.3 bps"),  # 0 decimals would read 400 to 400
        ("bps", 412.0, 398.0, "Reduced WAS from 412 bps to 398 bps"),  # the unit's own 0 decimals tell them apart
        ("bps", 400.0, 400.0004, "Increased WAS from 400.0000 bps to 400.0004 bps"),
        ("percent", 8.21, 8.24, "Increased WAS from 8.21% to 8.24%"),  # 1 decimal reads 8.2% to 8.2%
    ],
)
def test_a_reason_shows_the_change_with_as_many_decimals_as_it_needs(unit, base, scenario, expected):
    assert scenarios.reason("was_test", "WAS", unit, base, scenario) == expected
