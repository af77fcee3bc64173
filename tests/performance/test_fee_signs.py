"""Seed 002's signs: fees and tx_costs are negative for charges, GROSS and PURE_GROSS add them back (issue 14).

Every expected value is worked by hand in the comment above it.
"""

import json
from decimal import Decimal

import pytest

from orchestration.core.errors import InputError
from orchestration.performance.demo import synthetic_performance
from orchestration.performance.engine import contribution_frames, prepare, returns_frames
from orchestration.performance.inputs import parse_performance
from tests.performance.helpers import close, dumps

D = Decimal
MODES = ["DECIMAL_STRICT", "FLOAT64"]


pytestmark = pytest.mark.usefixtures("decimal_context")


def seed_shaped(mode: str) -> dict:
    """Three days in seed 002's shape: two days of charges (negative) and one fee rebate (positive)."""
    return {
        "portfolio": {"id": "FEES", "base_currency": "USD"},
        "series": [
            {
                "date": "2025-01-02",
                "begin_mv": 1000000.0,
                "bod_cf": 0.0,
                "fees": -250.0,
                "tx_costs": -100.0,
                "eod_cf": 0.0,
                "end_mv": 1004650.0,
            },
            {
                "date": "2025-01-03",
                "begin_mv": 1050000.0,
                "bod_cf": 45350.0,
                "fees": 0.0,
                "tx_costs": -210.0,
                "eod_cf": -50000.0,
                "end_mv": 997900.0,
            },
            {
                "date": "2025-01-06",
                "begin_mv": 997900.0,
                "bod_cf": 0.0,
                "fees": 50.0,
                "tx_costs": 0.0,
                "eod_cf": 0.0,
                "end_mv": 1007879.0,
            },
        ],
        "config": {
            "precision_mode": mode,
            "periods": [{"type": "EXPLICIT", "name": "CHARGES", "start": "2025-01-02", "end": "2025-01-03"}],
        },
    }


@pytest.mark.parametrize("mode", MODES)
def test_gross_adds_the_fee_charge_back_and_pure_gross_the_transaction_costs(mode):
    prepared = prepare(parse_performance(json.dumps(seed_shaped(mode))))
    net, gross = prepared.daily["NET"], prepared.daily["GROSS"]
    # Charges on days 1–2: GROSS ≥ NET (the earlier non-negative convention gave GROSS below NET here).
    assert gross[0] > net[0]
    assert gross[1] == net[1]
    pure = prepared.daily["PURE_GROSS"]
    # Day 1: begin 1,000,000, fees −250, tx −100, end 1,004,650.
    #   NET        = 1,004,650/1,000,000 − 1                = 0.00465
    #   GROSS      = (1,004,650 − (−250))/1,000,000 − 1     = 1,004,900/1,000,000 − 1 = 0.0049
    #   PURE_GROSS = (1,004,650 + 250 − (−100))/1,000,000 − 1 = 1,005,000/1,000,000 − 1 = 0.005
    assert close(net[0], "0.00465")
    assert close(gross[0], "0.0049")
    assert close(pure[0], "0.005")
    # Day 2: begin 1,050,000 (after BOD +45,350), fees 0, tx −210, EOD −50,000, end 997,900.
    #   NET        = (997,900 + 50,000)/1,050,000 − 1 = 1,047,900/1,050,000 − 1 = −2,100/1,050,000 = −0.002
    #   GROSS      = NET (no fee)                                                            = −0.002
    #   PURE_GROSS = (1,047,900 + 210)/1,050,000 − 1 = −1,890/1,050,000                      = −0.0018
    assert close(net[1], "-0.002")
    assert close(gross[1], "-0.002")
    assert close(pure[1], "-0.0018")
    # Day 3: a fee rebate of +50 (positive = rebate): begin 997,900, end 1,007,879.
    #   NET   = 1,007,879/997,900 − 1 = 9,979/997,900 = 0.01
    #   GROSS = (1,007,879 − 50)/997,900 − 1 = 9,929/997,900 (the rebate is taken out: GROSS < NET)
    assert close(net[2], "0.01")
    assert close(gross[2], D(9929) / D(997900))
    assert close(pure[2], D(9929) / D(997900))
    # Charges only, so GROSS ≥ NET on days 1 and 2 and PURE_GROSS ≥ GROSS every day.
    assert gross[0] > net[0]
    assert gross[1] == net[1]
    assert gross[2] < net[2]
    assert all(p >= g for p, g in zip(pure, gross, strict=True))
    _, _, periods = returns_frames(prepared)
    twr = periods[periods.annualization_basis == "ACT_365"].set_index(["period_name", "metric_basis"])["twr"]
    # CHARGES (days 1–2): NET = 1.00465 × 0.998 − 1 = 1.0026407 − 1 = 0.0026407;
    #   GROSS = 1.0049 × 0.998 − 1 = 1.0028902 − 1 = 0.0028902; PURE_GROSS = 1.005 × 0.9982 − 1 = 0.003191.
    assert close(twr[("CHARGES", "NET")], "0.0026407")
    assert close(twr[("CHARGES", "GROSS")], "0.0028902")
    assert close(twr[("CHARGES", "PURE_GROSS")], "0.003191")
    # ITD NET = 1.0026407 × 1.01 − 1 = 1.012667107 − 1 = 0.012667107;
    #   GROSS = 1.0028902 × 1,007,829/997,900 − 1.
    assert close(twr[("ITD", "NET")], "0.012667107")
    assert close(twr[("ITD", "GROSS")], D("1.0028902") * D(1007829) / D(997900) - 1)


@pytest.mark.parametrize("mode", MODES)
def test_a_positive_fee_or_tx_cost_is_a_rebate_named_in_the_notes(mode):
    doc = seed_shaped(mode)
    doc["series"][1]["tx_costs"] = 30.0  # day 2: a +30 tx rebate instead of a −210 charge
    doc["series"][1]["end_mv"] = 997900.0
    prepared = prepare(parse_performance(json.dumps(doc)))
    fee_notes = [n for n in prepared.notes if n.startswith("fee_rebates:")]
    tx_notes = [n for n in prepared.notes if n.startswith("tx_cost_rebates:")]
    assert len(fee_notes) == 1
    assert "1 day(s)" in fee_notes[0]
    assert "first 2025-01-06" in fee_notes[0]
    assert D(fee_notes[0].rsplit("total ", 1)[1]) == 50
    assert len(tx_notes) == 1
    assert "first 2025-01-03" in tx_notes[0]
    assert D(tx_notes[0].rsplit("total ", 1)[1]) == 30
    # PURE_GROSS day 2 = (1,047,900 − 30)/1,050,000 − 1 = −2,130/1,050,000.
    assert close(prepared.daily["PURE_GROSS"][1], D(-2130) / D(1050000))
    charges_only = prepare(parse_performance(json.dumps({**seed_shaped(mode), "series": doc["series"][:1]})))
    assert not [n for n in charges_only.notes if "rebates" in n]


def test_a_large_fee_charge_is_accepted_and_a_gross_return_below_minus_100_is_refused():
    # begin 1,000, fees −150, end 100: NET = 100/1,000 − 1 = −0.9; GROSS = (100 + 150)/1,000 − 1 = −0.75.
    doc = {
        "portfolio": {"id": "BIGFEE"},
        "series": [{"date": "2025-01-02", "begin_mv": 1000, "fees": -150, "end_mv": 100}],
    }
    prepared = prepare(parse_performance(json.dumps(doc)))
    assert close(prepared.daily["NET"][0], "-0.9")
    assert close(prepared.daily["GROSS"][0], "-0.75")
    # A +150 rebate on end 100: GROSS = (100 − 150)/1,000 − 1 < −100 %: refused, naming the day.
    doc["series"][0]["fees"] = 150
    with pytest.raises(InputError) as caught:
        parse_performance(json.dumps(doc))
    assert caught.value.code == "PERFORMANCE_RETURN_BELOW_MINUS_100"
    assert caught.value.where == "series[0] (2025-01-02)"


@pytest.mark.parametrize("mode", MODES)
def test_the_net_fee_line_is_the_signed_fee_over_capital(mode):
    doc = seed_shaped(mode)
    doc["series"] = doc["series"][:1]
    doc["config"]["periods"] = []
    # One position holds the whole book: begin 1,000,000, pnl = gross P&L = 1,004,650 + 250 − 1,000,000 = 4,900,
    # and pays the fee out of its EOD flow (−250), ending at 1,004,650.
    doc["positions"] = [
        {
            "id": "A",
            "series": [{"date": "2025-01-02", "begin_mv": 1000000, "pnl": 4900, "eod_cf": -250, "end_mv": 1004650}],
        }
    ]
    prepared = prepare(parse_performance(dumps(doc)))
    assert not [n for n in prepared.notes if n.startswith("positions_")]  # Σ pnl = end − eod − begin − fees
    frames = contribution_frames(prepared)
    lines = frames.lines.set_index(["period_name", "metric_basis", "weighting", "linking", "position_id"])
    # BOD, NONE: A = 4,900/1,000,000 = 0.0049; __FEES__ = −250/1,000,000 = −0.00025; Σ = 0.00465 = NET.
    assert close(lines.loc[("ITD", "NET", "BOD", "NONE", "A"), "contribution"], "0.0049")
    assert close(lines.loc[("ITD", "NET", "BOD", "NONE", "__FEES__"), "contribution"], "-0.00025")
    totals = frames.totals.set_index(["period_name", "metric_basis", "weighting", "linking"])
    assert abs(float(totals.loc[("ITD", "NET", "BOD", "NONE"), "residual_bp"])) < 1e-8


@pytest.mark.parametrize("mode", MODES)
def test_the_demo_follows_the_seed_sign(mode):
    doc = synthetic_performance("DEMO", n_positions=4, n_days=60, precision_mode=mode)
    fees = [row["fees"] for row in doc["series"]]
    costs = [row["tx_costs"] for row in doc["series"]]
    assert all(f <= 0 for f in fees)
    assert any(f < 0 for f in fees)
    assert all(c <= 0 for c in costs)
    assert any(c < 0 for c in costs)
    prepared = prepare(parse_performance(dumps(doc)))
    assert not [n for n in prepared.notes if n.startswith(("positions_", "fee_rebates", "tx_cost_rebates"))]
    net, gross, pure = (prepared.daily[basis] for basis in ("NET", "GROSS", "PURE_GROSS"))
    assert all(n <= g <= p for n, g, p in zip(net, gross, pure, strict=True))
    assert any(n < g for n, g in zip(net, gross, strict=True))
