"""Matching, every variance category, tolerance edges, auto-rules and stable ids on hand-built pairs.

Expected numbers are worked by hand in the comments (difference = internal - external; pct of |external|).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from orchestration.core import ratings
from orchestration.reconciliation.config import AutoRule, FieldTolerance, ToleranceProfile, load_profiles, load_rules
from orchestration.reconciliation.engine import ReconcileOptions, current_summary, reconcile

EXACT = ToleranceProfile(
    name="exact",
    fields={n: FieldTolerance(absolute=0.0) for n in ("par_amount", "price", "market_value", "accrued_interest")},
    rating_notches=0,
    issuer_similarity=1.0,
)


def holding(cusip, par=1_000_000.0, price=99.0, issuer="Acme Corp", isin=None, **extra):
    return {"cusip": cusip, "isin": isin, "issuer_name": issuer, "par_amount": par, "price": price, **extra}


def run(internal, external, tolerance=EXACT, **options):
    i = pd.DataFrame(internal)
    i["holding_id"] = [f"h{n}" for n in range(len(i))]
    e = pd.DataFrame(external)
    e["row_index"] = range(1, len(e) + 1)
    return reconcile(
        i, e, workbook_id="wb-1", statement="trustee/acme.00", options=ReconcileOptions(tolerance, **options)
    )


def one(result, field):
    rows = result.variances[result.variances["field"] == field]
    assert len(rows) == 1, result.variances
    return rows.iloc[0]


def test_matches_on_cusip_then_isin_and_reports_unmatched_on_each_side():
    internal = [
        holding("000361105"),
        holding(None, isin="US1234567890", issuer="Beta"),
        holding("999999999", issuer="Internal only"),
    ]
    external = [
        holding("000361105"),
        holding("XXXXXXXXX", isin="us1234567890", issuer="Beta"),  # matches on isin (case-insensitive)
        holding("888888888", issuer="External only"),
    ]
    result = run(internal, external)
    positions = result.positions.set_index("position_key")
    assert positions.loc["cusip:000361105", "match_status"] == "matched"
    assert positions.loc["isin:US1234567890", "matched_on"] == "isin"
    assert positions.loc["internal:cusip:999999999", "match_status"] == "unmatched_internal"
    assert positions.loc["external:cusip:888888888", "match_status"] == "unmatched_external"
    assert {
        k: result.summary[k] for k in ("total_positions", "matched", "unmatched_internal", "unmatched_external")
    } == {
        "total_positions": 4,
        "matched": 2,
        "unmatched_internal": 1,
        "unmatched_external": 1,
    }
    # the isin match has cusip only on the external side: no identity variance for a one-sided blank
    assert result.variances.empty


def test_matching_fields_order_matters():
    # matching on isin only: the cusip-only rows cannot match
    result = run([holding("000361105")], [holding("000361105")], matching_fields=["isin"])
    assert result.summary["matched"] == 0
    assert result.summary["unmatched_internal"] == result.summary["unmatched_external"] == 1


def test_duplicate_keys_pair_in_row_order():
    result = run(
        [holding("000361105", par=1.0), holding("000361105", par=2.0)],
        [holding("000361105", par=1.0), holding("000361105", par=3.0)],
    )
    assert list(result.positions["position_key"]) == ["cusip:000361105", "cusip:000361105#2"]
    var = one(result, "par_amount")
    assert var["position_key"] == "cusip:000361105#2"
    assert var["difference"] == pytest.approx(-1.0)


def test_par_variance_as_seed_000():
    # seed 000: 5,000,000 vs 5,100,000 → difference -100,000, difference_pct -100000/5100000*100 = -1.96
    result = run([holding("000361105", par=5_000_000)], [holding("000361105", par=5_100_000)])
    var = one(result, "par_amount")
    assert var["category"] == "par"
    assert (var["internal_value"], var["external_value"]) == ("5000000", "5100000")
    assert var["difference"] == -100_000
    assert round(var["difference_pct"], 2) == -1.96
    assert not var["within_tolerance"]
    assert var["status"] == "open"


def test_price_market_value_and_accrued_variances():
    internal = [holding("000361105", price=98.5, market_value=985_000.0, accrued_interest=1250.0)]
    external = [holding("000361105", price=98.25, market_value=982_500.0, accrued_interest=1200.0)]
    result = run(internal, external)
    price = one(result, "price")
    assert (price["category"], price["difference"]) == ("price", pytest.approx(0.25))
    assert price["difference_pct"] == pytest.approx(0.25 / 98.25 * 100)  # 0.2545 %
    mv = one(result, "market_value")
    assert (mv["category"], mv["difference"]) == ("price", pytest.approx(2500.0))
    accrued = one(result, "accrued_interest")
    assert (accrued["category"], accrued["difference"]) == ("accrued", pytest.approx(50.0))
    assert accrued["difference_pct"] == pytest.approx(50 / 1200 * 100)  # 4.1667 %


def test_fields_missing_on_one_side_are_not_compared():
    result = run([holding("000361105", market_value=1.0)], [holding("000361105")])
    assert result.variances.empty


def test_rating_variance_in_notches():
    # Moody's B2 is notch 14 (Aaa = 0), B1 is 13: internal is one notch worse → +1
    result = run(
        [holding("000361105", rating_moodys="B2", rating_sp="B+")],
        [holding("000361105", rating_moodys="B1", rating_sp="BB-")],
    )
    moodys = one(result, "rating_moodys")
    assert (moodys["category"], moodys["internal_value"], moodys["external_value"]) == ("rating", "B2", "B1")
    assert moodys["difference"] == 1
    sp = one(result, "rating_sp")
    assert sp["difference"] == 1  # B+ (13) vs BB- (12)


def test_rating_notch_scale():
    assert ratings.notch("Aaa") == 0
    assert ratings.notch("AAA") == 0
    assert ratings.notch("Caa1") == ratings.notch("CCC+") == 16
    assert ratings.notch("B2 *-") == 14
    assert ratings.notch("B (sf)") == 14
    assert ratings.notch("NR") is None
    assert ratings.notch_difference("Ba3", "B3") == -3  # Ba3 = 12, B3 = 15


def test_identity_variance_same_cusip_different_issuer_or_isin():
    result = run(
        [holding("000361105", issuer="ABC Corporation", isin="US0003611052")],
        [holding("000361105", issuer="Zeta Holdings", isin="US0003611099")],
    )
    fields = set(result.variances["field"])
    assert fields == {"issuer_name", "isin"}
    assert set(result.variances["category"]) == {"identity"}


def test_issuer_legal_form_and_punctuation_are_not_variances():
    result = run([holding("000361105", issuer="ABC Corporation")], [holding("000361105", issuer="abc corp.")])
    assert result.variances.empty


def test_issuer_similarity_tolerance():
    profile = ToleranceProfile(name="p", fields=EXACT.fields, issuer_similarity=0.8)
    # "ACME INDUSTRIES" vs "ACME INDUSTRIAL": difflib ratio = 2*13/30 = 0.8667 ≥ 0.8
    result = run(
        [holding("000361105", issuer="Acme Industries")],
        [holding("000361105", issuer="Acme Industrial")],
        tolerance=profile,
    )
    assert bool(one(result, "issuer_name")["within_tolerance"])


@pytest.mark.parametrize(
    ("internal_par", "tolerance", "within"),
    [
        (1_001_000.0, FieldTolerance(absolute=1000.0), True),  # exactly at the absolute bound: inclusive
        (1_001_000.01, FieldTolerance(absolute=1000.0), False),  # one cent over
        (1_000_500.0, FieldTolerance(percent=0.05), True),  # 500 / 1,000,000 = 0.05 % exactly
        (1_000_500.01, FieldTolerance(percent=0.05), False),
        (1_000_600.0, FieldTolerance(absolute=100.0, percent=0.1), True),  # 0.06 %: within the percent bound
        (1_002_000.0, FieldTolerance(absolute=100.0, percent=0.1), False),  # 0.2 % and 2,000: outside both
    ],
)
def test_par_tolerance_edges(internal_par, tolerance, within):
    profile = ToleranceProfile(name="p", fields={**EXACT.fields, "par_amount": tolerance})
    result = run([holding("000361105", par=internal_par)], [holding("000361105", par=1_000_000.0)], tolerance=profile)
    assert bool(one(result, "par_amount")["within_tolerance"]) is within


@pytest.mark.parametrize(("notches", "within"), [(0, False), (1, True)])
def test_rating_tolerance_edge(notches, within):
    profile = ToleranceProfile(name="p", fields=EXACT.fields, rating_notches=notches)
    result = run(
        [holding("000361105", rating_moodys="B2")], [holding("000361105", rating_moodys="B1")], tolerance=profile
    )
    assert bool(one(result, "rating_moodys")["within_tolerance"]) is within


def test_price_rule_fires_below_an_eighth_and_not_at_it():
    rules = [r for r in load_rules() if r.id == "price_source_eighth_point"]
    result = run(
        [holding("000000001", price=99.1), holding("000000002", price=99.125)],
        [holding("000000001", price=99.0), holding("000000002", price=99.0)],
        rules=rules,
    )
    by_key = result.variances.set_index("position_key")
    fired = by_key.loc["cusip:000000001"]
    assert (fired["status"], fired["resolution_type"], fired["auto_rule_id"]) == (
        "resolved",
        "auto_resolved",
        "price_source_eighth_point",
    )
    at_eighth = by_key.loc["cusip:000000002"]  # 0.125 is not *below* 1/8
    assert at_eighth["status"] == "open"
    assert pd.isna(at_eighth["auto_rule_id"])
    assert result.summary["auto_resolved"] == 1
    assert result.summary["requires_review"] == 1


def test_settlement_timing_rule_needs_a_trade_settling_after_the_report_date():
    rules = [r for r in load_rules() if r.id == "par_settlement_timing"]
    trades = pd.DataFrame(
        {
            "cusip": ["000000001", "000000002"],
            "isin": [None, None],
            "par_amount": [250_000.0, 250_000.0],
            "settle_date": [dt.date(2026, 1, 28), dt.date(2026, 1, 20)],  # only the first settles after 01-25
        }
    )
    result = run(
        [holding("000000001", par=1_250_000.0), holding("000000002", par=1_250_000.0)],
        [holding("000000001", par=1_000_000.0), holding("000000002", par=1_000_000.0)],
        rules=rules,
        report_date=dt.date(2026, 1, 25),
        pending_trades=trades,
    )
    by_key = result.variances.set_index("position_key")
    assert by_key.loc["cusip:000000001", "auto_rule_id"] == "par_settlement_timing"
    assert pd.isna(by_key.loc["cusip:000000002", "auto_rule_id"])


def test_accrued_rule_and_within_tolerance_variances_are_left_alone():
    rules = load_rules()
    default = load_profiles()["default"]
    result = run(
        [holding("000000001", accrued_interest=1010.0), holding("000000002", accrued_interest=1000.5)],
        [holding("000000001", accrued_interest=1000.0), holding("000000002", accrued_interest=1000.0)],
        tolerance=default,
        rules=rules,
    )
    by_key = result.variances.set_index("position_key")
    assert by_key.loc["cusip:000000001", "auto_rule_id"] == "accrued_day_count"  # 10 < 25, outside 1.00
    within = by_key.loc["cusip:000000002"]  # 0.50 ≤ 1.00: within tolerance, no rule needed
    assert bool(within["within_tolerance"])
    assert pd.isna(within["auto_rule_id"])
    assert within["status"] == "open"
    assert result.summary["within_tolerance"] == 1
    assert result.summary["auto_resolved"] == 1


def test_disabled_rule_never_fires():
    rule = AutoRule(id="off", kind="difference_below", fields=("price",), abs_below=10.0, enabled=False)
    result = run([holding("000000001", price=99.1)], [holding("000000001", price=99.0)], rules=[rule])
    assert result.variances["auto_rule_id"].isna().all()


def test_summary_counts_positions_as_seed():
    default = load_profiles()["default"]
    result = run(
        [holding("000000001", par=2.0), holding("000000002", par=1.5), holding("000000003"), holding("000000004")],
        [holding("000000001", par=1.0), holding("000000002", par=1.0), holding("000000003"), holding("000000005")],
        tolerance=default,
    )
    # position 1: |1| ≤ 1.00 within; position 2: 0.5 within; 3 clean; 4 / 5 unmatched
    s = result.summary
    assert (s["total_positions"], s["matched"], s["unmatched_internal"], s["unmatched_external"]) == (5, 3, 1, 1)
    assert (s["with_variances"], s["within_tolerance"], s["requires_review"]) == (2, 2, 0)


def test_variance_ids_are_stable_and_depend_on_workbook_statement_position_category():
    internal = [holding("000361105", par=2.0, price=98.0)]
    external = [holding("000361105", par=1.0, price=99.0)]
    first = run(internal, external).variances.set_index("field")["variance_id"]
    again = run(internal, external).variances.set_index("field")["variance_id"]
    assert first.to_dict() == again.to_dict()
    assert first["par_amount"] != first["price"]
    i, e = pd.DataFrame(internal), pd.DataFrame(external)
    other = reconcile(i, e, workbook_id="wb-1", statement="trustee/acme.01", options=ReconcileOptions(EXACT))
    assert set(other.variances["variance_id"]).isdisjoint(first)


def test_current_summary_counts_positions_still_open_and_reviewed() -> None:
    """Three positions by hand: A has an open par break (requires review); B's only break was explained
    (reviewed); C is within tolerance and auto-resolved only (neither). By status: 3 open, 1 explained, 1 resolved."""
    variances = pd.DataFrame(
        {
            "position_key": ["A", "A", "B", "C", "C"],
            "within_tolerance": [False, True, False, True, False],
            "auto_rule_id": [None, None, None, None, "pending-trade"],
            "status": ["open", "open", "explained", "open", "resolved"],
        }
    )
    stored = {"requires_review": 2, "with_variances": 3, "within_tolerance": 0, "auto_resolved": 1}
    now = current_summary(stored, variances)
    assert (now["requires_review"], now["reviewed"]) == (1, 1)
    assert now["variances_by_status"] == {"open": 3, "explained": 1, "resolved": 1, "ignored": 0}
    assert now["with_variances"] == now["within_tolerance"] + now["auto_resolved"] + 1 + 1
