"""Property tests of the engine: permutation and scaling invariance, CCC monotonicity, status boundaries."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.compliance.engine import compute
from orchestration.compliance.status import cushion_of, status_of, trend_of
from orchestration.core.ratings import MOODYS_SCALE, SP_FITCH_TO_MOODYS
from tests.compliance import portfolio

INDUSTRIES = ["Retail", "Automotive", "High Tech Industries", "Telecommunications", "Wholesale"]
COUNTRIES = ["US", "US", "US", "GB", "CA"]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def portfolios(draw: st.DrawFn) -> pd.DataFrame:
    """Random canonical holdings: a few obligors with several facilities, mixed agencies, some defaults."""
    n = draw(st.integers(min_value=1, max_value=25))
    rows = []
    for i in range(n):
        obligor = draw(st.integers(min_value=0, max_value=max(0, n // 2)))
        agency = draw(st.sampled_from(["m", "s", "f", "none"]))
        rows.append(
            {
                "cusip": f"X{i:08d}",
                "issuer_name": f"Obligor {obligor}",
                "par_amount": float(draw(st.integers(min_value=1, max_value=50)) * 100_000),
                "market_value": None,
                "price": float(draw(st.integers(min_value=20, max_value=105))),
                "spread": None if draw(st.booleans()) and i % 3 == 0 else float(draw(st.integers(100, 900))),
                "rating_moodys": draw(st.sampled_from(MOODYS_SCALE)) if agency == "m" else None,
                "rating_sp": draw(st.sampled_from(sorted(SP_FITCH_TO_MOODYS))) if agency == "s" else "NR",
                "rating_fitch": draw(st.sampled_from(sorted(SP_FITCH_TO_MOODYS))) if agency == "f" else None,
                "maturity_date": pd.Timestamp("2026-01-01") + pd.Timedelta(days=draw(st.integers(30, 4000))),
                "industry": INDUSTRIES[obligor % len(INDUSTRIES)],
                "country": COUNTRIES[obligor % len(COUNTRIES)],
                "is_defaulted": draw(st.integers(0, 9)) == 0,
            }
        )
    return pd.DataFrame(rows)


def _numbers(run) -> dict[str, float]:
    """Every scalar ratio / share / test value of a run (unrounded)."""
    m = run.metrics
    keys = ["ccc_pct", "warf", "was_bps", "wal_years", "diversity_score", "largest_obligor_pct",
            "largest_industry_pct", "non_domestic_pct", "oc_senior", "ic_senior"]  # fmt: skip
    out = {k: m[k] for k in keys}
    out |= {f"oc_{k}": v for k, v in m["oc_by_class"].items()}
    out |= {f"test_{t.id}": t.current_value for t in run.tests}
    return out


def _close(a: dict[str, float | None], b: dict[str, float | None]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if a[key] is None or b[key] is None:
            assert a[key] is None, key
            assert b[key] is None, key
        else:
            assert math.isclose(a[key], b[key], rel_tol=1e-9, abs_tol=1e-9), (key, a[key], b[key])


@SETTINGS
@given(portfolios(), st.randoms(use_true_random=False))
def test_permuting_holdings_changes_nothing(frame: pd.DataFrame, rnd) -> None:
    deal = portfolio.deal()
    order = list(range(len(frame)))
    rnd.shuffle(order)
    base = compute(frame, deal)
    shuffled = compute(frame.iloc[order].reset_index(drop=True), deal)
    _close(_numbers(base), _numbers(shuffled))
    assert [t.status for t in base.tests] == [t.status for t in shuffled.tests]
    assert base.metrics["largest_obligor"] == shuffled.metrics["largest_obligor"]


@SETTINGS
@given(portfolios(), st.sampled_from([0.5, 3.0, 1000.0, 1 / 7]))
def test_scaling_every_amount_leaves_ratios_unchanged(frame: pd.DataFrame, factor: float) -> None:
    deal = portfolio.deal()
    scaled = frame.copy()
    scaled["par_amount"] = scaled["par_amount"] * factor
    base = compute(frame, deal)
    other = compute(scaled, deal.scaled(factor))
    _close(_numbers(base), _numbers(other))


@SETTINGS
@given(portfolios(), st.sampled_from(["Caa1", "Caa2", "Caa3", "Ca", "C"]), st.integers(1, 100))
def test_adding_a_ccc_holding_never_lowers_the_ccc_bucket(frame: pd.DataFrame, rating: str, par: int) -> None:
    deal = portfolio.deal()
    before = compute(frame, deal).metrics["ccc_pct"]
    extra = pd.DataFrame(
        [{"cusip": "Z99999999", "issuer_name": "New CCC", "par_amount": par * 100_000.0, "rating_moodys": rating,
          "spread": 500.0, "is_defaulted": False, "industry": "Retail", "country": "US",
          "maturity_date": pd.Timestamp("2030-01-01")}]
    )  # fmt: skip
    after = compute(pd.concat([frame, extra], ignore_index=True), deal).metrics["ccc_pct"]
    assert after >= before - 1e-12


def test_status_boundaries_exactly_at_trigger_and_target() -> None:
    # min test, trigger 115, target 120 (conv. 13): equality with the trigger is not a failure.
    assert status_of(120.0, "min", 115.0, 120.0) == "passed"
    assert status_of(np.nextafter(120.0, 0), "min", 115.0, 120.0) == "warning"
    assert status_of(115.0, "min", 115.0, 120.0) == "warning"
    assert status_of(np.nextafter(115.0, 0), "min", 115.0, 120.0) == "failed"
    # max test, trigger 3000, target 2800
    assert status_of(2800.0, "max", 3000.0, 2800.0) == "passed"
    assert status_of(np.nextafter(2800.0, 5000), "max", 3000.0, 2800.0) == "warning"
    assert status_of(3000.0, "max", 3000.0, 2800.0) == "warning"
    assert status_of(np.nextafter(3000.0, 5000), "max", 3000.0, 2800.0) == "failed"
    # trigger == target: no warning band
    assert status_of(7.5, "max", 7.5, 7.5) == "passed"
    assert status_of(None, "min", 1.0, 1.0) == "failed"


def test_status_is_decided_on_the_unrounded_value() -> None:
    # 114.99999 publishes as 115.0000 but is below the trigger: failed (conv. 1 and 13).
    assert status_of(114.99999, "min", 115.0, 120.0) == "failed"


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.floats(min_value=1, max_value=1e4))
def test_cushion_sign_matches_status(value: float, trigger: float) -> None:
    # Two functions, one rule: a negative cushion and a failed status go together, in both directions.
    for direction in ("min", "max"):
        cushion, _ = cushion_of(value, direction, trigger)
        failed = status_of(value, direction, trigger, trigger) == "failed"
        assert (cushion < 0) == failed


@pytest.mark.parametrize(
    ("value", "direction", "trigger", "cushion", "pct"),
    [
        # OC 123.0 against a 115 trigger: 123 − 115 = 8 points; 8 / 115 × 100 = 6.9565217… %
        (123.0, "min", 115.0, 8.0, 6.956521739130435),
        # OC 110.4 against 115: 110.4 − 115 = −4.6; −4.6 / 115 × 100 = −4 % exactly
        (110.4, "min", 115.0, -4.6, -4.0),
        # WARF 2,850 against a 3,000 maximum: 3000 − 2850 = 150; 150 / 3000 × 100 = 5 %
        (2850.0, "max", 3000.0, 150.0, 5.0),
        # CCC 9 % against a 7.5 % maximum: 7.5 − 9 = −1.5; −1.5 / 7.5 × 100 = −20 %
        (9.0, "max", 7.5, -1.5, -20.0),
        # a negative trigger divides by its absolute value: −1 − (−2) = 1; 1 / |−2| × 100 = 50 %
        (-1.0, "min", -2.0, 1.0, 50.0),
    ],
)
def test_cushion_against_hand_worked_values(value, direction, trigger, cushion, pct) -> None:
    got_cushion, got_pct = cushion_of(value, direction, trigger)
    assert got_cushion == pytest.approx(cushion, rel=1e-12, abs=1e-12)
    assert got_pct == pytest.approx(pct, rel=1e-12, abs=1e-12)


def test_cushion_of_a_missing_value_or_a_zero_trigger() -> None:
    assert cushion_of(None, "min", 115.0) == (None, None)
    assert cushion_of(float("nan"), "max", 7.5) == (None, None)
    assert cushion_of(3.0, "max", 0.0) == (-3.0, None)  # no percentage of a zero trigger


def test_trend_dead_band() -> None:
    # OC trigger 115 → band 0.575 pts over the last three values.
    assert trend_of([120.0, 120.2, 120.5], "min", 115.0) == "stable"
    assert trend_of([120.0, 120.2, 120.6], "min", 115.0) == "improving"
    assert trend_of([125.0, 120.5, 120.0, 119.0], "min", 115.0) == "deteriorating"  # last three only
    assert trend_of([2900.0, 2950.0], "max", 3000.0) == "deteriorating"  # band 15
    assert trend_of([2900.0], "max", 3000.0) == "stable"


def _naive() -> Any:
    """The benchmark's row-by-row implementation of the same conventions (independent code, second method)."""
    import importlib.util

    from orchestration.core.settings import PROJECT_ROOT

    spec = importlib.util.spec_from_file_location("bench_clo_compliance", PROJECT_ROOT / "bench" / "clo_compliance.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.naive


NAIVE = _naive()


@SETTINGS
@given(portfolios())
def test_engine_agrees_with_a_row_by_row_implementation(frame: pd.DataFrame) -> None:
    deal = portfolio.deal()
    run = compute(frame, deal)
    expected = NAIVE(frame, deal)
    for test in run.tests:
        if test.id not in expected:
            continue
        if expected[test.id] is None:
            assert test.current_value is None, test.id
        else:
            assert math.isclose(test.current_value, expected[test.id], rel_tol=1e-9, abs_tol=1e-9), test.id


def test_engine_agrees_with_the_row_by_row_implementation_on_the_hand_worked_portfolio() -> None:
    run = compute(portfolio.holdings(), portfolio.deal())
    expected = NAIVE(portfolio.holdings(), portfolio.deal())
    for test_id, value in expected.items():
        assert math.isclose(run.test(test_id).current_value, value, rel_tol=1e-12), test_id
