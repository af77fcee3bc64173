"""Property tests of the engine: permutation and scaling invariance, CCC monotonicity, status boundaries.

Issue 21 extends them to the 52 indenture tests (pools with every C14 column, the hand pool's deal): scaling,
permutation, a zero-par holding, bounds and orderings of the concentrations, the C18 identity and carrying values.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.compliance.deal import parse_deal
from orchestration.compliance.engine import compute
from orchestration.compliance.status import cushion_of, status_of, trend_of
from orchestration.core.ratings import MOODYS_SCALE, SP_FITCH_TO_MOODYS
from tests.compliance import indenture_pool, portfolio

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
    # min test, trigger 115, target 120 (conv. 13): equality with the trigger is not a failure; C24 (issue 21):
    # a value within 1e-9 of a level counts as equal to it (real reports sit exactly at a level, floats do not).
    assert status_of(120.0, "min", 115.0, 120.0) == "passed"
    assert status_of(np.nextafter(120.0, 0), "min", 115.0, 120.0) == "passed"
    assert status_of(120.0 - 5e-10, "min", 115.0, 120.0) == "passed"
    assert status_of(120.0 - 2e-9, "min", 115.0, 120.0) == "warning"
    assert status_of(115.0, "min", 115.0, 120.0) == "warning"
    assert status_of(np.nextafter(115.0, 0), "min", 115.0, 120.0) == "warning"
    assert status_of(115.0 - 2e-9, "min", 115.0, 120.0) == "failed"
    # max test, trigger 3000, target 2800
    assert status_of(2800.0, "max", 3000.0, 2800.0) == "passed"
    assert status_of(np.nextafter(2800.0, 5000), "max", 3000.0, 2800.0) == "passed"
    assert status_of(2800.0 + 5e-7, "max", 3000.0, 2800.0) == "warning"
    assert status_of(3000.0, "max", 3000.0, 2800.0) == "warning"
    assert status_of(np.nextafter(3000.0, 5000), "max", 3000.0, 2800.0) == "warning"
    assert status_of(3000.0 + 5e-7, "max", 3000.0, 2800.0) == "failed"
    # 7/125 × 100 computes as 5.6000000000000005: at a 5.6 maximum it is a warning, at a 5.6 target it passes
    assert status_of(7_000_000 / 125_000_000 * 100, "max", 5.6, 5.0) == "warning"
    assert status_of(7_000_000 / 125_000_000 * 100, "max", 6.0, 5.6) == "passed"
    # trigger == target: no warning band
    assert status_of(7.5, "max", 7.5, 7.5) == "passed"
    assert status_of(None, "min", 1.0, 1.0) == "failed"


def test_status_is_decided_on_the_unrounded_value() -> None:
    # 114.99999 publishes as 115.0000 but is below the trigger: failed (conv. 1 and 13).
    assert status_of(114.99999, "min", 115.0, 120.0) == "failed"


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.floats(min_value=1, max_value=1e4))
def test_cushion_sign_matches_status(value: float, trigger: float) -> None:
    # Two functions, one rule: a failed status has a negative cushion and a non-negative cushion never fails; only
    # within C24's 1e-9 below the trigger may a (tiny) negative cushion go with a warning (cushion is unchanged, L9).
    for direction in ("min", "max"):
        cushion, _ = cushion_of(value, direction, trigger)
        assert cushion is not None
        failed = status_of(value, direction, trigger, trigger) == "failed"
        assert not failed or cushion < 0, (value, trigger)
        assert failed or cushion >= -1e-6, (value, trigger)


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


# --- issue 21: the 52 indenture tests ----------------------------------------------------------------------------

INDENTURE_DEAL = parse_deal(indenture_pool.deal_dict())
INDENTURE_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GROUP_COUNTRIES = ["US", "US", "CA", "GB", "FR", "au", "KY", "MX", None]


@st.composite
def indenture_portfolios(draw: st.DrawFn) -> pd.DataFrame:
    """Random holdings with every C14 column (blanks included); industry and country per obligor."""
    n = draw(st.integers(min_value=1, max_value=20))
    rows = []
    for i in range(n):
        obligor = draw(st.integers(min_value=0, max_value=max(0, n // 2)))
        rows.append(
            {
                "holding_id": f"h{i:03d}",
                "cusip": f"X{i:08d}",
                "issuer_name": f"Obligor {obligor}",
                "par_amount": float(draw(st.integers(min_value=1, max_value=50)) * 100_000),
                "market_value": None,
                "price": float(draw(st.integers(min_value=20, max_value=105))),
                "spread": draw(st.none() | st.integers(100, 900).map(float)),
                "coupon": draw(st.none() | st.integers(300, 1100).map(lambda c: c / 100)),
                "rating_moodys": draw(st.sampled_from([None, "NR", *MOODYS_SCALE])),
                "rating_sp": draw(st.sampled_from([None, "SD", *sorted(SP_FITCH_TO_MOODYS)])),
                "rating_fitch": draw(st.sampled_from([None, "RD", *sorted(SP_FITCH_TO_MOODYS)])),
                "moodys_watch": draw(st.sampled_from([None, "negative", "positive"])),
                "maturity_date": pd.Timestamp("2026-01-01") + pd.Timedelta(days=draw(st.integers(30, 4000))),
                "industry": INDUSTRIES[obligor % len(INDUSTRIES)],
                "country": GROUP_COUNTRIES[obligor % len(GROUP_COUNTRIES)],
                "is_defaulted": draw(st.integers(0, 9)) == 0,
                "seniority": draw(
                    st.sampled_from([None, "senior_secured", "second_lien", "senior_unsecured", "subordinated"])
                ),
                "asset_type": draw(st.sampled_from([None, "loan", "revolver", "delayed_draw", "bond"])),
                "purchase_price": draw(st.none() | st.integers(55, 101).map(float)),
                "unfunded_amount": draw(st.none() | st.integers(0, 20).map(lambda u: u * 100_000.0)),
                **{
                    f: draw(st.sampled_from([None, False, True]))
                    for f in ("is_cov_lite", "is_dip", "is_current_pay", "is_participation", "is_pik")
                },
            }
        )
    return pd.DataFrame(rows)


def _indenture_numbers(run) -> dict[str, float | None]:
    """Every test value and the scalar intermediates of issue 21 (unrounded)."""
    return {t.id: t.current_value for t in run.tests} | {k: run.metrics[k] for k in (
        "warf_moodys_derived", "wac", "excess_wac_credit_bps", "was_bps", "warr")}  # fmt: skip


@INDENTURE_SETTINGS
@given(indenture_portfolios(), st.sampled_from([0.5, 2.0, 8.0, 1 / 1024]))
def test_scaling_amounts_scales_test_inputs_and_leaves_every_indenture_value(frame: pd.DataFrame, k: float) -> None:
    # Powers of two scale exactly, so market value % ties (the CCC excess order) stay ties.
    scaled = frame.copy()
    for column in ("par_amount", "unfunded_amount"):
        scaled[column] = pd.to_numeric(scaled[column]) * k
    base, other = compute(frame, INDENTURE_DEAL), compute(scaled, INDENTURE_DEAL.scaled(k))
    _close(_indenture_numbers(base), _indenture_numbers(other))
    for test_id, io in base.metrics["test_inputs"].items():
        for part in ("numerator", "denominator"):
            got = other.metrics["test_inputs"][test_id][part]
            assert math.isclose(got, io[part] * k, rel_tol=1e-9, abs_tol=1e-6), (test_id, part)
    assert [t.status for t in base.tests] == [t.status for t in other.tests]


@INDENTURE_SETTINGS
@given(indenture_portfolios(), st.randoms(use_true_random=False))
def test_permuting_indenture_holdings_changes_nothing(frame: pd.DataFrame, rnd) -> None:
    order = list(range(len(frame)))
    rnd.shuffle(order)
    base = compute(frame, INDENTURE_DEAL)
    shuffled = compute(frame.iloc[order].reset_index(drop=True), INDENTURE_DEAL)
    _close(_indenture_numbers(base), _indenture_numbers(shuffled))
    assert [t.status for t in base.tests] == [t.status for t in shuffled.tests]
    assert base.metrics["obligor_ranking"] == shuffled.metrics["obligor_ranking"]
    fields = ["moodys_derived_rating", "moodys_derived_source", "sp_basis_rating", "is_discount_obligation",
              "par_in_ccc_excess", "carrying_value"]  # fmt: skip
    left = base.holdings.set_index("cusip")[fields].sort_index()
    right = shuffled.holdings.set_index("cusip")[fields].sort_index()
    pd.testing.assert_frame_equal(left, right, check_exact=False, rtol=1e-9, atol=1e-6)


@INDENTURE_SETTINGS
@given(indenture_portfolios())
def test_a_zero_par_holding_of_an_existing_obligor_changes_nothing(frame: pd.DataFrame) -> None:
    records = frame.to_dict(orient="records")
    extra = {**records[0], "holding_id": "zero", "cusip": "Z00000000", "par_amount": 0.0, "unfunded_amount": 0.0}
    base = compute(frame, INDENTURE_DEAL)
    other = compute(pd.DataFrame([*records, extra], columns=frame.columns), INDENTURE_DEAL)
    _close(_indenture_numbers(base), _indenture_numbers(other))
    assert other.holdings.iloc[-1]["carrying_value"] == 0


@INDENTURE_SETTINGS
@given(indenture_portfolios())
def test_concentration_bounds_orderings_and_the_acpa_identity(frame: pd.DataFrame) -> None:
    run = compute(frame, INDENTURE_DEAL)
    value = {t.id: t.current_value or 0.0 for t in run.tests}  # CPA > 0 here: no concentration is undefined
    for test_id, v in value.items():
        if test_id.startswith("conc_") or test_id == "ccc_bucket":
            assert v >= 0, test_id
            assert test_id == "conc_revolver_ddtl" or v <= 100 + 1e-9, (test_id, v)  # unfunded may pass 100
    chain = ["conc_top10_obligors", "conc_top5_obligors", "conc_single_obligor", "conc_obligor_2nd", "conc_obligor_6th"]
    for wider, narrower in itertools.pairwise(chain):
        assert value[wider] >= value[narrower] - 1e-9, (wider, narrower)
    m = run.metrics
    identity = (m["performing_par"] - m["ccc_excess_haircut"] - m["discount_haircut"] + m["ccc_discount_overlap_credit"]
                + m["defaulted_carrying_value"] + m["principal_cash"])  # fmt: skip
    assert math.isclose(identity, m["adjusted_collateral_principal_amount"], rel_tol=1e-12, abs_tol=1e-6)
    performing = run.holdings[~frame["is_defaulted"].to_numpy(dtype=bool)]
    par = frame.loc[~frame["is_defaulted"].astype(bool), "par_amount"].to_numpy()
    assert (performing["carrying_value"].to_numpy() <= par + 1e-6).all()
    assert (performing["carrying_value"].to_numpy() >= 0).all()


@INDENTURE_SETTINGS
@given(indenture_portfolios(), st.data())
def test_dropping_a_discount_obligations_purchase_price_never_lowers_acpa(frame: pd.DataFrame, data) -> None:
    run = compute(frame, INDENTURE_DEAL)
    discount = run.holdings.index[run.holdings["is_discount_obligation"].astype(bool)].tolist()
    if not discount:
        return
    row = data.draw(st.sampled_from(discount))
    cured = frame.copy()
    cured.loc[row, "purchase_price"] = None
    after = compute(cured, INDENTURE_DEAL).metrics["adjusted_collateral_principal_amount"]
    assert after >= run.metrics["adjusted_collateral_principal_amount"] - 1e-6
