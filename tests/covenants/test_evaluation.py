"""Statuses at the boundaries in both directions, and evaluation of covenants over measurement periods."""

import datetime as dt

import pandas as pd
import pytest

from orchestration.covenants.evaluation import covenant_status, evaluate_covenants, is_period_due, restatus

DEAL = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
LEVERAGE = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"
COVERAGE = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e60"
Q1 = (dt.date(2024, 1, 1), dt.date(2024, 3, 31))
Q2 = (dt.date(2024, 4, 1), dt.date(2024, 6, 30))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (451, "BREACH"),  # 451 > 450
        (450, "NEAR_BREACH"),  # equal is compliant; 450 − 450 = 0 ≤ 10
        (441, "NEAR_BREACH"),  # 450 − 441 = 9 ≤ 10
        (440, "NEAR_BREACH"),  # 450 − 440 = 10 ≤ 10 (the band includes its edge)
        (439, "OK"),  # 450 − 439 = 11 > 10
        (-1000, "OK"),
    ],
)
def test_max_covenant_boundaries(value, expected):
    assert covenant_status(value, 450, "<=", 10) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (249, "BREACH"),  # 249 < 250
        (250, "NEAR_BREACH"),  # equal is compliant; 250 − 250 = 0 ≤ 10
        (259, "NEAR_BREACH"),
        (260, "NEAR_BREACH"),  # 260 − 250 = 10 ≤ 10
        (261, "OK"),
    ],
)
def test_min_covenant_boundaries(value, expected):
    assert covenant_status(value, 250, ">=", 10) == expected


def test_zero_tolerance_and_unknown_direction():
    assert covenant_status(450, 450, "<=", 0) == "NEAR_BREACH"  # 0 ≤ 0: at the line, not over it
    assert covenant_status(449, 450, "<=", 0) == "OK"
    assert covenant_status(451, 450, "<=", 0) == "BREACH"
    with pytest.raises(ValueError, match="threshold_direction"):
        covenant_status(1, 1, "==", 0)


def _measurements(rows):
    return pd.DataFrame(
        [
            {"deal_id": DEAL, "period_start": s, "period_end": e, "metric_name": m, "metric_value_scaled": v}
            for (s, e), m, v in rows
        ]
    )


def _covenants():
    return pd.DataFrame(
        [
            {
                "covenant_id": LEVERAGE,
                "deal_id": DEAL,
                "formula": "total_debt / ebitda",
                "threshold_value_scaled": 450,
                "threshold_direction": "<=",
                "frequency": "QUARTERLY",
            },
            {
                "covenant_id": COVERAGE,
                "deal_id": DEAL,
                "formula": "ebitda / interest_expense",
                "threshold_value_scaled": 250,
                "threshold_direction": ">=",
                "frequency": "QUARTERLY",
            },
        ]
    )


def test_evaluation_per_covenant_and_period():
    measurements = _measurements(
        [
            (Q1, "total_debt", 1_000_000_000),
            (Q1, "ebitda", 300_000_000),
            (Q1, "interest_expense", 120_000_000),
            (Q2, "total_debt", 1_400_000_000),
            (Q2, "ebitda", 300_000_000),
        ]
    )
    result = evaluate_covenants(_covenants(), measurements, tolerance=10)
    rows = {(r.covenant_id, r.period_start): r for r in result.itertuples()}
    # Q1 leverage: 1.0e9 / 3.0e8 = 3.333 → 333; 450 − 333 = 117 > 10 → OK
    assert rows[(LEVERAGE, Q1[0])].calculated_value_scaled == 333
    assert rows[(LEVERAGE, Q1[0])].status == "OK"
    # Q1 coverage: 3.0e8 / 1.2e8 = 2.5 → 250 = threshold → compliant, inside the band → NEAR_BREACH
    assert rows[(COVERAGE, Q1[0])].calculated_value_scaled == 250
    assert rows[(COVERAGE, Q1[0])].status == "NEAR_BREACH"
    # Q2 leverage: 1.4e9 / 3.0e8 = 4.6667 → 466.67 → 467 > 450 → BREACH
    assert rows[(LEVERAGE, Q2[0])].calculated_value_scaled == 467
    assert rows[(LEVERAGE, Q2[0])].status == "BREACH"
    # Q2 coverage: interest_expense was not reported → MISSING_DATA naming it, no value
    missing = rows[(COVERAGE, Q2[0])]
    assert missing.status == "MISSING_DATA"
    assert missing.reason == "missing metric(s) for the period: interest_expense"
    assert pd.isna(missing.calculated_value_scaled)
    assert len(result) == 4


def test_division_by_zero_is_an_error_with_the_reason():
    measurements = _measurements([(Q1, "total_debt", 5), (Q1, "ebitda", 0)])
    result = evaluate_covenants(_covenants().iloc[:1], measurements, tolerance=10)
    (row,) = result.itertuples()
    assert row.status == "ERROR"
    assert row.reason == "division by zero: ebitda evaluates to 0"


def test_annual_covenants_are_tested_at_year_end_only():
    assert is_period_due("QUARTERLY", *Q1)
    assert not is_period_due("ANNUAL", *Q1)
    assert is_period_due("ANNUAL", dt.date(2024, 10, 1), dt.date(2024, 12, 31))
    assert is_period_due("ANNUAL", dt.date(2023, 7, 1), dt.date(2024, 6, 30))  # a year-long period


def test_restatus_with_another_tolerance_keeps_missing_and_error():
    # 441 vs ≤ 450: headroom 9. Tolerance 10 → NEAR_BREACH; tolerance 5 → OK.
    assert restatus([441, None], [450, 450], ["<=", "<="], ["NEAR_BREACH", "MISSING_DATA"], 5) == [
        "OK",
        "MISSING_DATA",
    ]
    assert restatus([441], [450], ["<="], ["OK"], 10) == ["NEAR_BREACH"]
