"""Data-quality dimensions, z-score anomalies and insights against hand-worked numbers."""

import datetime as dt
import math

import pandas as pd
import pytest

from orchestration.clo import insights, quality
from orchestration.clo.mapping import HOLDING_COLUMNS

NOW = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)


def frame(rows: list[dict]) -> pd.DataFrame:
    """Canonical holdings with defaults for the columns a test does not care about."""
    base = dict.fromkeys(HOLDING_COLUMNS)
    base.update({"is_defaulted": False, "raw_data": {}, "workbook_id": "w", "sheet": "H"})
    out = pd.DataFrame([{**base, "holding_id": f"h{i}", "row_index": i + 2, **r} for i, r in enumerate(rows)])
    for c in ("par_amount", "market_value", "price", "spread", "coupon"):
        out[c] = pd.to_numeric(out[c]).astype(float)
    return out


FOUR = [
    # H1: everything present and consistent.
    {
        "cusip": "037833100",
        "isin": "US0378331005",
        "issuer_name": "A",
        "par_amount": 100,
        "market_value": 98,
        "price": 98,
        "spread": 400,
        "maturity_date": dt.date(2030, 1, 1),
        "rating_moodys": "B2",
        "rating_sp": "B",
        "industry": "X",
        "country": "US",
        "cusip_valid": True,
        "isin_valid": True,
    },
    # H2: duplicate CUSIP of H1; MV 150 vs 200 × 90 / 100 = 180; Caa1 (16) vs BB (11) is 5 notches apart;
    # no spread, maturity, industry or country.
    {
        "cusip": "037833100",
        "issuer_name": "B",
        "par_amount": 200,
        "market_value": 150,
        "price": 90,
        "rating_moodys": "Caa1",
        "rating_sp": "BB",
        "cusip_valid": True,
    },
    # H3: bad CUSIP check digit, negative par, price 250 and spread 5000 out of range; no MV; Fitch only.
    {
        "cusip": "037833101",
        "issuer_name": "C",
        "par_amount": -50,
        "price": 250,
        "spread": 5000,
        "maturity_date": dt.date(2030, 1, 1),
        "rating_fitch": "B",
        "industry": "Y",
        "country": "GB",
        "cusip_valid": False,
    },
    # H4: ISIN only, consistent.
    {
        "isin": "US0378331005",
        "issuer_name": "D",
        "par_amount": 300,
        "market_value": 300,
        "price": 100,
        "spread": 300,
        "maturity_date": dt.date(2031, 1, 1),
        "rating_moodys": "B1",
        "rating_sp": "B+",
        "industry": "X",
        "country": "US",
        "isin_valid": True,
    },
]


def test_five_dimensions_by_hand():
    result = quality.score(frame(FOUR), report_date=dt.date(2026, 1, 1), landed_at=dt.date(2026, 1, 8))
    # completeness: H1 10 + H2 6 (no spread, maturity, industry, country) + H3 9 (no MV) + H4 10 = 35 / 40
    assert result["completeness"] == 87.5
    # accuracy: only H3 has findings → 3 / 4
    assert result["accuracy"] == 75.0
    # consistency: MV checks H1 ok, H2 off, H4 ok; rating checks H1 ok, H2 split, H4 ok → 4 / 6 = 66.67
    assert result["consistency"] == 66.67
    # timeliness: age 7 days ≤ 7 → 100
    assert result["timeliness"] == 100.0
    # uniqueness: H2 repeats H1's CUSIP → 1 - 1/4
    assert result["uniqueness"] == 75.0
    # overall: .25×87.5 + .25×75 + .2×66.667 + .1×100 + .2×75 = 21.875 + 18.75 + 13.333 + 10 + 15 = 78.958
    assert result["overall_score"] == 78.96
    # issues: 5 missing checks + 4 accuracy findings + 2 consistency findings + 0 timeliness + 1 duplicate
    assert result["issues"] == 12
    assert result["details"]["accuracy"]["findings"] == {
        "cusip_check_digit": 1,
        "par_not_positive": 1,
        "price_out_of_range": 1,
        "spread_out_of_range": 1,
    }


def test_loan_identifiers_count_as_identifiers_key_duplicates_and_a_bad_figi_is_a_finding():
    full = {"issuer_name": "L", "par_amount": 100, "market_value": 100, "price": 100, "spread": 400,
            "maturity_date": dt.date(2030, 1, 1), "rating_moodys": "B2", "industry": "X", "country": "US"}  # fmt: skip
    loans = [
        {**full, "loanx_id": "LX123456"},  # L1: LoanX only
        {**full, "loanx_id": "LX123456", "issuer_name": "M"},  # L2: repeats L1's LoanX ID
        {**full, "figi": "BBG000BLNNH7", "figi_valid": False},  # L3: FIGI with a wrong check digit
        {**full, "asset_id": "ADM-1", "maturity_date": dt.date(2031, 1, 1)},  # L4: asset id only
    ]
    result = quality.score(frame(loans), report_date=dt.date(2026, 1, 1), landed_at=dt.date(2026, 1, 8))
    # completeness: every loan has an identifier and the nine other cells → 40 / 40
    assert result["completeness"] == 100.0
    # accuracy: L3's FIGI check digit → 3 / 4
    assert result["accuracy"] == 75.0
    assert result["details"]["accuracy"]["findings"] == {"figi_check_digit": 1}
    # uniqueness: L2 repeats L1's LoanX ID (its issuer differs: the LoanX ID is the key) → 1 - 1/4
    assert result["uniqueness"] == 75.0
    assert quality.holding_keys(frame(loans)).tolist() == ["LX123456", "LX123456", "BBG000BLNNH7", "ADM-1"]


@pytest.mark.parametrize(("age", "expected"), [(0, 100.0), (7, 100.0), (52, 50.0), (97, 0.0), (200, 0.0)])
def test_timeliness_line(age, expected):
    landed = dt.date(2026, 3, 1)
    result = quality.score(frame(FOUR), report_date=landed - dt.timedelta(days=age), landed_at=landed)
    # 100 × (97 - 52) / 90 = 50
    assert result["timeliness"] == expected


def test_zscore_by_hand():
    # Ten spreads of 100 and one of 1000: mean = 2000/11 = 181.818; deviations -900/11 (×10) and 9000/11;
    # population variance = (10 × 900² + 9000²) / 11³ = 89,100,000 / 1331 = 66,942.15; std = 258.73;
    # z(1000) = (9000/11) / 258.73 = 3.1623 (= √10); z(100) = -0.3162.
    rows = [{"cusip": f"C{i}", "issuer_name": f"I{i}", "par_amount": 1, "spread": 100} for i in range(10)]
    rows.append({"cusip": "OUT", "issuer_name": "Outlier", "par_amount": 1, "spread": 1000})
    anomalies = insights.zscore_anomalies(frame(rows), threshold=3.0, fields=("spread",))
    assert len(anomalies) == 1
    row = anomalies.iloc[0]
    assert row["cusip"] == "OUT"
    assert row["z_score"] == pytest.approx(math.sqrt(10), abs=1e-4)
    assert row["mean"] == pytest.approx(2000 / 11)
    assert row["std"] == pytest.approx(258.7317, abs=1e-3)
    # expected range = mean ± 3 std = 181.818 ± 776.195
    assert row["expected_low"] == pytest.approx(-594.377, abs=1e-2)
    assert row["expected_high"] == pytest.approx(958.013, abs=1e-2)
    assert row["severity"] == "warning"
    # Nine 100s and one 1000: mean 190, std 270, z = 810 / 270 = 3.0 exactly — not above a 3.0 threshold.
    assert insights.zscore_anomalies(frame(rows[1:]), threshold=3.0, fields=("spread",)).empty
    assert len(insights.zscore_anomalies(frame(rows[1:]), threshold=2.9, fields=("spread",))) == 1


def test_insights_of_each_type():
    rows = [
        {"cusip": f"C{i}", "issuer_name": f"I{i}", "par_amount": 100, "spread": 300 + 10 * i, "price": 100 - i,
             "rating_sp": "CCC" if i < 2 else "B", "industry": "X" if i < 6 else "Y"}
        for i in range(12)
    ]  # fmt: skip
    rows[11]["is_defaulted"] = True
    holdings = frame(rows)
    patterns = insights.pattern_insights("w", holdings, {"validation_failures": []}, NOW)
    by_title = {p["title"]: p for p in patterns}
    # CCC: 2 × 100 of 1200 par = 16.67% > 7.5% → warning
    assert by_title["CCC bucket exposure"]["severity"] == "warning"
    assert by_title["CCC bucket exposure"]["data"]["ccc_par_pct"] == pytest.approx(16.6667, abs=1e-4)
    assert by_title["Defaulted holdings"]["affected_positions"] == ["C11"]
    assert by_title["Industry concentration"]["data"]["share_pct"] == 50.0
    # spread rises by 10 and price falls by 1 each row → perfectly negative, r = -1
    (corr,) = [c for c in insights.correlation_insights("w", holdings, NOW) if c["data"]["field_a"] == "spread"]
    assert corr["data"]["field_b"] == "price"
    assert corr["data"]["pearson_r"] == -1.0
    history = [
        {"report_date": dt.date(2025, 11, 25), "ccc_par_pct": 6.5},
        {"report_date": dt.date(2025, 12, 25), "ccc_par_pct": 7.2},
        {"report_date": dt.date(2026, 1, 25), "ccc_par_pct": 7.8},
    ]
    (trend,) = insights.trend_insights("w", history, NOW)
    assert trend["title"] == "Increasing CCC exposure trend"
    assert trend["severity"] == "warning"
    assert [p["value"] for p in trend["data"]["trend_data"]] == [6.5, 7.2, 7.8]
    assert insights.trend_insights("w", history[:1], NOW) == []


def test_portfolio_metrics_by_hand():
    rows = [
        {"cusip": "A", "par_amount": 100, "market_value": 90, "spread": 300, "price": 90, "rating_moodys": "Caa2"},
        {"cusip": "B", "par_amount": 300, "market_value": 300, "spread": 500, "price": 100, "rating_sp": "B"},
        {
            "cusip": "C",
            "par_amount": 100,
            "market_value": 40,
            "spread": None,
            "price": 40,
            "rating_sp": "D",
            "is_defaulted": True,
        },
    ]
    metrics = insights.portfolio_metrics(frame(rows))
    # CCC (not defaulted): A → 100 / 500 = 20%; defaulted C → 20%
    assert (metrics["ccc_par_pct"], metrics["defaulted_pct"]) == (20.0, 20.0)
    # WA spread over holdings with a spread: (100×300 + 300×500) / 400 = 450
    assert metrics["wa_spread"] == 450.0
    # WA price: (100×90 + 300×100 + 100×40) / 500 = 86
    assert metrics["wa_price"] == 86.0


def test_the_ccc_share_follows_the_one_rule():
    """Effective rating (Moody's, else S&P, else Fitch, else Caa3), Caa1 or lower, performing; of total par."""
    rows = [
        # Moody's B2 wins over S&P CCC: not CCC (the lowest-of rule used to count it).
        {"cusip": "A", "par_amount": 100, "rating_moodys": "B2", "rating_sp": "CCC"},
        # No Moody's; S&P B-: B3, not CCC.
        {"cusip": "B", "par_amount": 200, "rating_sp": "B-"},
        # Only Fitch CCC+: Caa1, CCC.
        {"cusip": "C", "par_amount": 300, "rating_fitch": "CCC+"},
        # No rating from any agency: Caa3 by default, CCC.
        {"cusip": "D", "par_amount": 150},
        # Moody's Caa1 but defaulted: not in the bucket, still in total par.
        {"cusip": "E", "par_amount": 250, "rating_moodys": "Caa1", "is_defaulted": True},
    ]
    holdings = frame(rows)
    assert insights.in_ccc(holdings).tolist() == [False, False, True, True, False]
    # (300 + 150) / 1000 = 45%
    assert insights.ccc_par_pct(holdings) == 45.0
    assert insights.portfolio_metrics(holdings)["ccc_par_pct"] == 45.0
