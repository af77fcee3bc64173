"""Contribution totals report the LOG residual against ln(1 + R), as attribution does against ln((1+R)/(1+B))."""

from decimal import Decimal

import pandas as pd
import pytest

from orchestration.performance.engine import contribution_frames, prepare
from orchestration.performance.inputs import parse_performance
from tests.performance import helpers
from tests.performance.helpers import dumps, two_day_attribution_doc

D = Decimal
MODES = ["DECIMAL_STRICT", "FLOAT64"]


pytestmark = pytest.mark.usefixtures("decimal_context")


def close(actual, expected):
    """bp values: Decimal to 1e-26, floats to 1e-8 (bp are fractions × 10,000)."""
    return helpers.close(actual, expected, D("1e-26"), 1e-8)


def _totals(doc):
    frames = contribution_frames(prepare(parse_performance(dumps(doc))))
    return frames.totals.set_index(["period_name", "metric_basis", "weighting", "linking"])


@pytest.mark.parametrize("mode", MODES)
def test_log_lines_of_a_reconciled_book_sum_to_ln_1_plus_r(mode):
    # R_1 = 0.008, R_2 = 0.02, R = 1.008 · 1.02 − 1 = 0.02816. Lines per day sum to R_t, so the LOG lines
    # sum to Σ R_t·k(R_t) = ln(1.008) + ln(1.02) = ln(1.02816): residual_vs_log_bp = 0, while residual_bp
    # against R itself is (0.02816 − ln(1.02816)) × 10,000.
    totals = _totals(two_day_attribution_doc(mode))
    log = totals.loc[("ITD", "GROSS", "BOD", "LOG")]
    assert close(log["residual_vs_log_bp"], 0)
    assert close(log["residual_bp"], (D("0.02816") - D("1.02816").ln()) * 10_000)
    assert pd.isna(totals.loc[("ITD", "GROSS", "BOD", "CARINO"), "residual_vs_log_bp"])  # LOG only


@pytest.mark.parametrize("mode", MODES)
def test_a_book_whose_lines_do_not_reconcile_shows_the_gap_against_ln_1_plus_r(mode):
    doc = two_day_attribution_doc(mode)
    doc["positions"][0]["series"][0]["pnl"] = 13  # day 1 lines: 13/1000 − 4/1000 = 0.009 while R_1 = 0.008
    # LOG lines: 0.009 · k(0.008) + 0.02 · k(0.02) = 0.009 · ln(1.008)/0.008 + ln(1.02).
    # ln(1 + R) = ln(1.008) + ln(1.02), so the residual = ln(1.008) · (1 − 0.009/0.008) = −0.125 · ln(1.008)
    # → × 10,000 = −1,250 · ln(1.008) ≈ −9.96 bp.
    log = _totals(doc).loc[("ITD", "GROSS", "BOD", "LOG")]
    assert close(log["residual_vs_log_bp"], D(-1250) * D("1.008").ln())
