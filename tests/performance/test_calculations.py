"""Hand-worked cases for every formula of issue 6 (conventions 1–11), in both precision modes.

Each expected value is worked out in the comment above it from the convention, not from the code.
"""

import datetime as dt
import json
from decimal import Decimal

import numpy as np
import pytest

from orchestration.core.errors import InputError
from orchestration.performance.backend import attribution_k, backend_for, carino_k
from orchestration.performance.contribution import daily_contributions, link_lines, position_matrix, position_returns
from orchestration.performance.engine import attribution_frames, contribution_frames, prepare, returns_frames
from orchestration.performance.inputs import PortfolioDay, Position, parse_performance
from orchestration.performance.periods import PeriodSpec, add_months, resolve_period, resolve_periods
from orchestration.performance.returns import annualize, daily_returns, modified_dietz, should_annualize, twr, years
from tests.performance.helpers import close, dumps, two_day_attribution_doc

D = Decimal
MODES = ["DECIMAL_STRICT", "FLOAT64"]


pytestmark = pytest.mark.usefixtures("decimal_context")


def day(date, begin, bod=0, fees=0, tx=0, eod=0, end=0):
    return PortfolioDay(dt.date.fromisoformat(date), D(begin), D(bod), D(fees), D(tx), D(eod), D(end))


# ---- convention 2: daily returns ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_daily_returns_with_bod_and_eod_flows_and_fees(mode):
    # Previous end 1000, BOD flow +100 → begin_mv 1100 (after the flow). Fees 2 and tx costs 1 are charged
    # (seed 002: negative, −2 and −1), then an EOD redemption of 50 leaves end_mv 1058.
    # NET        r = (1058 − (−50))/1100 − 1 = 1108/1100 − 1 = 8/1100 = 0.0072727…
    # GROSS      r = (1058 + 50 − (−2))/1100 − 1 = 1110/1100 − 1 = 10/1100 = 0.0090909…
    # PURE_GROSS r = (1058 + 50 + 2 − (−1))/1100 − 1 = 1111/1100 − 1 = 11/1100 = 0.01
    b = backend_for(mode)
    series = [day("2024-01-02", 1100, bod=100, fees=-2, tx=-1, eod=-50, end=1058)]
    assert close(daily_returns(b, series, "NET")[0], D(8) / D(1100))
    assert close(daily_returns(b, series, "GROSS")[0], D(10) / D(1100))
    assert close(daily_returns(b, series, "PURE_GROSS")[0], D("0.01"))


@pytest.mark.parametrize("mode", MODES)
def test_twr_links_daily_returns(mode):
    # (1.01)(0.98)(1.03) − 1 = 0.9898 × 1.03 − 1 = 1.019494 − 1 = 0.019494
    b = backend_for(mode)
    assert close(twr(b, b.array([D("0.01"), D("-0.02"), D("0.03")])), D("0.019494"))
    assert close(twr(b, b.array([])), 0)


@pytest.mark.parametrize("mode", MODES)
def test_modified_dietz_weights_bod_and_eod_flows(mode):
    # Period 2024-01-01..2024-01-10: CD = 10. V0 = 1000 (first begin − its BOD flow 0), V1 = 1080.
    # BOD +100 on 01-04: D = 3, W = (10 − 3)/10 = 0.7. EOD −50 on 01-08: D = 7 + 1 = 8, W = (10 − 8)/10 = 0.2.
    # MD = (1080 − 1000 − 50)/(1000 + 0.7·100 + 0.2·(−50)) = 30/1060 = 0.028301886792…
    # Fees (a −5 charge on 01-04) are not flows.
    b = backend_for(mode)
    series = [
        day("2024-01-01", 1000, end=1010),
        day("2024-01-04", 1110, bod=100, fees=-5, end=1120),
        day("2024-01-08", 1120, eod=-50, end=1080),
    ]
    result = modified_dietz(b, series, dt.date(2024, 1, 1), dt.date(2024, 1, 10))
    assert close(result, D(30) / D(1060))


# ---- convention 5: periods ---------------------------------------------------------------------------


def test_standard_periods_across_a_month_end_and_a_leap_day():
    # as_of Friday 2024-03-01: YTD 2024-01-01, QTD 2024-01-01, MTD 2024-03-01, WTD Monday 2024-02-26;
    # ROLLING_DAYS 3 = as_of − 2 days = 2024-02-28 (through the leap day 02-29).
    as_of, inception = dt.date(2024, 3, 1), dt.date(2020, 1, 1)
    starts = {p.name: p.start for p in resolve_periods([PeriodSpec("ROLLING_DAYS", days=3)], as_of, inception)}
    assert starts == {
        "ITD": dt.date(2020, 1, 1),
        "YTD": dt.date(2024, 1, 1),
        "QTD": dt.date(2024, 1, 1),
        "MTD": dt.date(2024, 3, 1),
        "WTD": dt.date(2024, 2, 26),
        "ROLLING_DAYS_3": dt.date(2024, 2, 28),
    }
    # QTD in the second quarter; WTD of a Wednesday across a year end is the Monday of its ISO week.
    assert resolve_period(PeriodSpec("QTD"), dt.date(2024, 5, 15), inception).start == dt.date(2024, 4, 1)
    assert resolve_period(PeriodSpec("WTD"), dt.date(2025, 1, 1), inception).start == dt.date(2024, 12, 30)
    assert resolve_period(PeriodSpec("WTD"), dt.date(2024, 12, 30), inception).start == dt.date(2024, 12, 30)


def test_rolling_months_clamp_to_month_end():
    # (as_of − n months) + 1 day with clamping: 2024-03-31 − 1 month = 2024-02-29 (clamped) → start 2024-03-01;
    # 2024-02-29 − 12 months = 2023-02-28 → 2023-03-01; 2024-01-31 − 1 month = 2023-12-31 → 2024-01-01.
    inception = dt.date(2000, 1, 1)
    one = PeriodSpec("ROLLING_MONTHS", months=1)
    assert add_months(dt.date(2024, 3, 31), -1) == dt.date(2024, 2, 29)
    assert resolve_period(one, dt.date(2024, 3, 31), inception).start == dt.date(2024, 3, 1)
    year = PeriodSpec("ROLLING_MONTHS", months=12)
    assert resolve_period(year, dt.date(2024, 2, 29), inception).start == dt.date(2023, 3, 1)
    assert resolve_period(one, dt.date(2024, 1, 31), inception).start == dt.date(2024, 1, 1)


def test_a_start_before_inception_is_clipped_and_flagged_and_explicit_periods_keep_their_end():
    inception = dt.date(2024, 2, 15)
    ytd = resolve_period(PeriodSpec("YTD"), dt.date(2024, 3, 1), inception)
    assert (ytd.start, ytd.requested_start, ytd.clipped_to_inception) == (inception, dt.date(2024, 1, 1), True)
    explicit = PeriodSpec("EXPLICIT", name="feb", start=dt.date(2024, 2, 20), end=dt.date(2024, 2, 29))
    period = resolve_period(explicit, dt.date(2024, 3, 1), inception)
    assert (period.name, period.start, period.end, period.clipped_to_inception) == (
        "feb",
        dt.date(2024, 2, 20),
        dt.date(2024, 2, 29),
        False,
    )
    # A configured period with its own as_of gets a name of its own.
    own = resolve_period(PeriodSpec("MTD", as_of=dt.date(2024, 2, 29)), dt.date(2024, 3, 1), inception)
    assert (own.name, own.start, own.end) == ("MTD@2024-02-29", dt.date(2024, 2, 15), dt.date(2024, 2, 29))


# ---- convention 6: annualization ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_years_per_basis_across_a_year_end_and_a_leap_day(mode):
    # 2023-12-01..2024-03-31 is 31 + 31 + 29 + 31 = 122 inclusive days.
    # ACT_365 = 122/365; ACT_ACT = 31/365 (December 2023) + 91/366 (2024 is leap); BUS_252 = 80 rows/252.
    b = backend_for(mode)
    start, end = dt.date(2023, 12, 1), dt.date(2024, 3, 31)
    assert close(years(b, "ACT_365", start, end, 80), D(122) / D(365))
    assert close(years(b, "ACT_ACT", start, end, 80), D(31) / D(365) + D(91) / D(366))
    assert close(years(b, "BUS_252", start, end, 80), D(80) / D(252))


@pytest.mark.parametrize("mode", MODES)
def test_annualized_return_and_the_short_period_rule(mode):
    # 2021-01-01..2022-12-31 is 730 days = 2 years on ACT_365 and ACT_ACT (no leap year):
    # (1 + 0.21)^(1/2) − 1 = 1.1 − 1 = 0.1.
    b = backend_for(mode)
    two = years(b, "ACT_365", dt.date(2021, 1, 1), dt.date(2022, 12, 31), 504)
    assert close(two, 2)
    assert close(years(b, "ACT_ACT", dt.date(2021, 1, 1), dt.date(2022, 12, 31), 504), 2)
    assert close(annualize(b, b.scalar("0.21"), two), D("0.1"))
    # Half a year at 4% annualizes to 1.04² − 1 = 0.0816, but only when short periods are allowed (flagged).
    assert close(annualize(b, b.scalar("0.04"), b.scalar("0.5")), D("0.0816"))
    assert should_annualize(b.scalar("0.5"), enabled=True, allow_short=False) == (False, True)
    assert should_annualize(b.scalar("0.5"), enabled=True, allow_short=True) == (True, True)
    assert should_annualize(b.scalar("2"), enabled=False, allow_short=True) == (False, False)


# ---- convention 7: contribution weightings -----------------------------------------------------------


def _positions(rows):
    return [
        Position(
            pid, pid, {}, (dt.date(2024, 1, 2),), (D(begin),), (D(bod),), (D(pnl),), (D(eod),), (D(begin + pnl + eod),)
        )
        for pid, begin, bod, pnl, eod in rows
    ]


@pytest.mark.parametrize("mode", MODES)
def test_contribution_weightings_and_the_fee_line(mode):
    # A: begin 600 (after a BOD flow of 100), pnl 12, EOD flow −50; B: begin 400, pnl −4.
    # r_A = 12/600 = 0.02, r_B = −4/400 = −0.01.
    # BOD: w = 0.6, 0.4 → c_A = 0.012, c_B = −0.004. Fee charge −2 on Σcap 1000 → __FEES__ = −0.002.
    # AVG_CAPITAL: cap_A = (600 − 100) + ½(100 − 50) = 525, cap_B = 400, Σ = 925
    #   → c_A = 0.02·525/925 = 10.5/925, c_B = −0.01·400/925 = −4/925; fee line −2/925.
    b = backend_for(mode)
    dates = [dt.date(2024, 1, 2)]
    m = position_matrix(b, _positions([("A", 600, 100, 12, -50), ("B", 400, 0, -4, 0)]), dates)
    r = position_returns(b, m)
    fees = b.array([D(-2)])  # seed 002: negative for a charge
    bod = daily_contributions(b, m, r, fees, "BOD")
    assert [close(v, e) for v, e in zip(bod.contributions[:, 0], (D("0.012"), D("-0.004")), strict=True)] == [True] * 2
    assert close(bod.fee_line[0], D("-0.002"))
    avg = daily_contributions(b, m, r, fees, "AVG_CAPITAL")
    assert close(avg.weights[0, 0], D(525) / D(925))
    assert close(avg.contributions[0, 0], D("10.5") / D(925))
    assert close(avg.contributions[1, 0], D(-4) / D(925))
    assert close(avg.fee_line[0], D(-2) / D(925))


@pytest.mark.parametrize("mode", MODES)
def test_twr_denom_weights_a_short_position_by_absolute_capital(mode):
    # A: begin 600, pnl 12 (r 0.02); C short: begin −200, pnl 4 (r = 4/−200 = −0.02).
    # TWR_DENOM caps 600 and |−200| = 200, Σ 800 → c_A = 0.75·0.02 = 0.015, c_C = 0.25·(−0.02) = −0.005.
    # BOD caps 600 and −200, Σ 400 → w = 1.5 and −0.5 → c_A = 0.03, c_C = 0.01.
    b = backend_for(mode)
    m = position_matrix(b, _positions([("A", 600, 0, 12, 0), ("C", -200, 0, 4, 0)]), [dt.date(2024, 1, 2)])
    r = position_returns(b, m)
    twr_denom = daily_contributions(b, m, r, b.array([D(0)]), "TWR_DENOM")
    assert close(twr_denom.contributions[0, 0], D("0.015"))
    assert close(twr_denom.contributions[1, 0], D("-0.005"))
    bod = daily_contributions(b, m, r, b.array([D(0)]), "BOD")
    assert close(bod.contributions[0, 0], D("0.03"))
    assert close(bod.contributions[1, 0], D("0.01"))
    # A position with begin_mv 0 has r = 0 (convention 3).
    empty = position_matrix(b, _positions([("Z", 0, 0, 5, 0)]), [dt.date(2024, 1, 2)])
    assert close(position_returns(b, empty)[0, 0], 0)


# ---- convention 8: linking ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_linking_with_a_zero_return_day(mode):
    # Day 1: c_A = 0.03, c_B = −0.01 (R_1 = 0.02); day 2 returns 0: c_A = 0.01, c_B = −0.01 (R_2 = 0).
    # R = 1.02 · 1 − 1 = 0.02; k1 = k(0.02) = ln(1.02)/0.02, k(0) = 1, k(R) = k1.
    # NONE:   A = 0.04, B = −0.02.
    # CARINO: A = (0.03·k1 + 0.01)/k1 = 0.03 + 0.01/k1; B = −0.01 − 0.01/k1; A + B = 0.02 = R.
    # LOG:    A = 0.03·k1 + 0.01, B = −0.01·k1 − 0.01; A + B = 0.02·k1 = ln(1.02).
    b = backend_for(mode)
    ln = D("1.02").ln()
    k1 = ln / D("0.02")
    lines = np.vstack([b.array([D("0.03"), D("0.01")]), b.array([D("-0.01"), D("-0.01")])])
    daily = b.array([D("0.02"), D(0)])
    linked = link_lines(b, lines, daily, [(0, 2), (1, 2)], [twr(b, daily), twr(b, daily[1:])])
    assert close(linked["NONE"][0, 0], D("0.04"))
    assert close(linked["NONE"][1, 0], D("-0.02"))
    assert close(linked["CARINO"][0, 0], D("0.03") + D("0.01") / k1)
    assert close(linked["CARINO"][1, 0], D("-0.01") - D("0.01") / k1)
    assert close(linked["LOG"][0, 0], D("0.03") * k1 + D("0.01"))
    assert close(linked["CARINO"][:, 0].sum(), D("0.02"))
    assert close(linked["LOG"][:, 0].sum(), ln)
    # The second period is the zero-return day alone: relinked on its own, k(0) = 1, so lines are unscaled.
    assert close(linked["CARINO"][0, 1], D("0.01"))
    assert close(carino_k(b, b.zero), 1)


# ---- conventions 9–11: Brinson ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_brinson_effects_and_linking_with_an_r_equals_b_day(mode):
    # Day 1: w_p Tech 0.6 / Energy 0.4, r_p 0.02 / −0.01 → R_1 = 0.008; w_b 0.5 / 0.5, r_b 0.01 / 0.006 → B_1 = 0.008.
    #   BF allocation (w_p − w_b)(r_b − B_1): Tech 0.1·0.002 = 0.0002, Energy −0.1·(−0.002) = 0.0002.
    #   BHB allocation (w_p − w_b)·r_b:      Tech 0.1·0.01 = 0.001,    Energy −0.1·0.006 = −0.0006.
    #   selection w_b(r_p − r_b): Tech 0.5·0.01 = 0.005, Energy 0.5·(−0.016) = −0.008.
    #   interaction (w_p − w_b)(r_p − r_b): Tech 0.1·0.01 = 0.001, Energy −0.1·(−0.016) = 0.0016.
    # Day 2: w_p 0.5 / 0.5, r_p 0.01 / 0.03 → R_2 = 0.02; w_b 0.5 / 0.5, r_b 0.02 / 0 → B_2 = 0.01.
    #   allocation 0 (both models); selection Tech −0.005, Energy 0.015; interaction 0.
    # R = 1.008·1.02 − 1 = 0.02816; B = 1.008·1.01 − 1 = 0.01808; R − B = 0.01008.
    # k_1 = 1/(1 + R_1) (|R_1 − B_1| ≤ 1e-12); k_2 = ln(1.02/1.01)/0.01; K = ln(1.02816/1.01808)/0.01008.
    inp = parse_performance(dumps(two_day_attribution_doc(mode)))
    frames = attribution_frames(prepare(inp))
    k1 = 1 / D("1.008")
    k2 = (D("1.02") / D("1.01")).ln() / D("0.01")
    big_k = (D("1.02816") / D("1.01808")).ln() / D("0.01008")
    fx = frames.effects.set_index(["period_name", "model", "linking", "group_value"])
    itd = lambda model, linking, group: fx.loc[("ITD", model, linking, group)]  # noqa: E731
    assert close(itd("BRINSON_FACHLER", "NONE", "Tech")["allocation"], D("0.0002"))
    assert close(itd("BRINSON_HOOD_BEEBOWER", "NONE", "Energy")["allocation"], D("-0.0006"))
    assert close(itd("BRINSON_FACHLER", "NONE", "Energy")["selection"], D("-0.008") + D("0.015"))
    assert close(itd("BRINSON_FACHLER", "NONE", "Energy")["interaction"], D("0.0016"))
    expected_sel = (D("0.005") * k1 + D("-0.005") * k2) / big_k
    assert close(itd("BRINSON_FACHLER", "CARINO", "Tech")["selection"], expected_sel)
    assert close(itd("BRINSON_FACHLER", "LOG", "Tech")["allocation"], D("0.0002") * k1)
    totals = frames.totals.set_index(["period_name", "model", "linking"])
    for model in ("BRINSON_FACHLER", "BRINSON_HOOD_BEEBOWER"):
        carino = totals.loc[("ITD", model, "CARINO")]
        assert close(carino["portfolio_return"], D("0.02816"))
        assert close(carino["benchmark_return"], D("0.01808"))
        assert close(carino["total_effects"], D("0.01008"))  # Carino effects sum to R − B
        assert close(carino["residual_bp"], 0, tol=D("1e-26"), ftol=1e-8)
        log = totals.loc[("ITD", model, "LOG")]
        assert close(log["total_effects"], (D("1.02816") / D("1.01808")).ln())
        assert close(log["residual_vs_log_bp"], 0, tol=D("1e-26"), ftol=1e-8)
    b = backend_for(mode)
    assert close(attribution_k(b, b.scalar("0.008"), b.scalar("0.008")), k1)


# ---- properties ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_results():
    from orchestration.performance.demo import dumps as demo_dumps
    from orchestration.performance.demo import synthetic_performance

    out = {}
    for mode in MODES:
        doc = synthetic_performance("PROP", n_positions=6, n_days=120, precision_mode=mode)
        prepared = prepare(parse_performance(demo_dumps(doc)))
        out[mode] = (prepared, returns_frames(prepared), contribution_frames(prepared), attribution_frames(prepared))
    return out


def test_carino_lines_sum_to_r_and_effects_to_r_minus_b_exactly_in_decimal(demo_results):
    prepared, _, contributions, attribution = demo_results["DECIMAL_STRICT"]
    assert not [n for n in prepared.notes if n.startswith("positions_")]  # the demo reconciles
    carino = contributions.totals[contributions.totals.linking == "CARINO"]
    bod = carino[carino.weighting == "BOD"]
    assert len(bod) == 2 * len(prepared.periods)
    for value in bod["residual_bp"]:
        assert isinstance(value, Decimal)
        assert abs(value) < D("1e-30")
    effects = attribution.totals[attribution.totals.linking == "CARINO"]
    for row in effects.itertuples():
        assert abs(row.total_effects - row.active_return) < D("1e-32")


def test_bf_and_bhb_totals_agree(demo_results):
    _, _, _, attribution = demo_results["DECIMAL_STRICT"]
    totals = attribution.totals.set_index(["period_name", "group_key", "linking", "model"])["total_effects"]
    bf = totals.xs("BRINSON_FACHLER", level="model")
    bhb = totals.xs("BRINSON_HOOD_BEEBOWER", level="model")
    assert all(abs(bf - bhb) < D("1e-32"))


MONEY = {"begin_mv", "bod_cf", "fees", "tx_costs", "eod_cf", "end_mv", "pnl", "years"}


def test_float64_agrees_with_decimal_strict_within_1e12(demo_results):
    dec, flt = demo_results["DECIMAL_STRICT"], demo_results["FLOAT64"]
    pairs = [
        (dec[1][1], flt[1][1]),
        (dec[1][2], flt[1][2]),
        (dec[2].lines, flt[2].lines),
        (dec[2].totals, flt[2].totals),
        (dec[2].position_daily, flt[2].position_daily),
        (dec[3].effects, flt[3].effects),
        (dec[3].totals, flt[3].totals),
    ]
    compared = 0
    for d_frame, f_frame in pairs:
        assert len(d_frame) == len(f_frame)
        for column in d_frame.columns:
            d_values = d_frame[column].tolist()
            if not any(isinstance(v, Decimal) for v in d_values) or column in MONEY:
                continue
            for d_value, f_value in zip(d_values, f_frame[column].tolist(), strict=True):
                if not isinstance(d_value, Decimal):
                    assert f_value is None or f_value != f_value  # missing in both
                    continue
                tol = 1e-8 if column.endswith("_bp") else 1e-12  # bp are fractions × 10,000
                assert abs(float(d_value) - float(f_value)) <= tol, (column, d_value, f_value)
                compared += 1
    assert compared > 5_000


# ---- convention 1 and validation ---------------------------------------------------------------------


def _doc(**series_overrides):
    rows = [
        {"date": "2024-02-28", "begin_mv": 1000, "end_mv": 1010},
        {"date": "2024-02-29", "begin_mv": 1010, "end_mv": 1020},
        {"date": "2024-03-01", "begin_mv": 1020, "end_mv": 1030},
    ]
    for index, fields in series_overrides.items():
        rows[int(index[1:])].update(fields)
    return {"portfolio": {"id": "V"}, "series": rows}


def test_decimal_strict_reads_numbers_from_their_text():
    text = (
        '{"portfolio": {"id": "T"}, "series": [{"date": "2024-01-02", "begin_mv": 0.1, "end_mv": 0.30000000000000001}]}'
    )
    inp = parse_performance(text)
    assert inp.series[0].begin_mv == D("0.1")
    assert inp.series[0].end_mv == D("0.30000000000000001")  # a float would have rounded this to 0.3
    assert isinstance(inp.series[0].end_mv, Decimal)
    floats = json.loads(text)
    floats["config"] = {"precision_mode": "FLOAT64"}
    assert isinstance(parse_performance(json.dumps(floats)).series[0].begin_mv, float)


@pytest.mark.parametrize(
    ("overrides", "code", "where"),
    [
        ({"r1": {"date": "2024-02-28"}}, "PERFORMANCE_DUPLICATE_DATE", "series[1].date"),
        ({"r2": {"date": "2024-02-27"}}, "PERFORMANCE_DATES_NOT_INCREASING", "series[2].date"),
        ({"r1": {"begin_mv": 1011}}, "PERFORMANCE_DISCONTINUITY", "series[1] (2024-02-29).begin_mv"),
        ({"r2": {"end_mv": -5}}, "PERFORMANCE_NEGATIVE_MARKET_VALUE", "series[2] (2024-03-01)"),
        ({"r1": {"end_mv": "abc"}}, "PERFORMANCE_INVALID_VALUE", "series[1] (2024-02-29).end_mv"),
    ],
)
def test_validation_failures_name_the_date_and_field(overrides, code, where):
    with pytest.raises(InputError) as caught:
        parse_performance(json.dumps(_doc(**overrides)))
    assert caught.value.code == code
    assert caught.value.where == where


def test_continuity_holds_within_a_cent():
    # 1010.005 vs previous end 1010 + 0: off by half a cent, accepted.
    inp = parse_performance(json.dumps(_doc(r1={"begin_mv": 1010.005})))
    assert inp.series[1].begin_mv == D("1010.005")


def test_positions_that_do_not_reconcile_give_a_note_and_a_residual_not_a_crash():
    doc = two_day_attribution_doc()
    doc["positions"][0]["series"][0]["pnl"] = 13  # Σ pnl 9 vs the portfolio's gross P&L 8 on day 1
    prepared = prepare(parse_performance(dumps(doc)))
    assert any(n.startswith("positions_do_not_reconcile: 1 day(s), first 2024-02-28") for n in prepared.notes)
    totals = contribution_frames(prepared).totals.set_index(["period_name", "metric_basis", "weighting", "linking"])
    # Day 1 lines sum to (13 − 4)/1000 = 0.009 while R_1 = 0.008: (0.008 − 0.009)·10⁴ = −10 bp on day 1.
    # ITD, NONE (lines summed, not linked): R = 1028.16/1000 − 1 = 0.02816; lines 0.009 + (5.04 + 15.12)/1008
    # = 0.009 + 0.02 = 0.029 → residual (0.02816 − 0.029)·10⁴ = −8.4 bp, i.e. the compounding cross term
    # 0.008 × 0.02 = +1.6 bp of the reconciled book less the 10 bp that day 1's lines do not explain.
    residual = totals.loc[("ITD", "GROSS", "BOD", "NONE"), "residual_bp"]
    assert close(residual, D("-8.4"), ftol=1e-8)
    reconciled = contribution_frames(prepare(parse_performance(dumps(two_day_attribution_doc())))).totals
    reconciled = reconciled.set_index(["period_name", "metric_basis", "weighting", "linking"])
    assert close(reconciled.loc[("ITD", "GROSS", "BOD", "NONE"), "residual_bp"], D("1.6"), ftol=1e-8)


def test_missing_benchmark_days_give_a_note_and_a_residual():
    doc = two_day_attribution_doc()
    doc["benchmark"]["weights"] = [w for w in doc["benchmark"]["weights"] if w["date"] != "2024-02-29"]
    prepared = prepare(parse_performance(dumps(doc)))
    assert any(n.startswith("benchmark_missing_days: 1 attribution day(s)") for n in prepared.notes)
    totals = attribution_frames(prepared).totals.set_index(["period_name", "model", "linking"])
    # Day 2 (R_2 = 0.02, B_2 = 0 for want of rows) has no effects: NONE residual = (R − B − 0)·10⁴ where
    # R − B = 0.02816 − 0.008 = 0.02016 → 201.6 bp.
    assert close(totals.loc[("ITD", "BRINSON_FACHLER", "NONE"), "residual_bp"], D("201.6"), ftol=1e-8)
