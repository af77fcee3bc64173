"""Minimum observations (issue 14 item 4): no risk estimate from fewer than `min_observations` daily returns.

Before: Sharpe 5.06 was served from 3 returns. Now beta, volatility, Sharpe and VaR (parametric, historical,
factor) are null with the reason below `min_observations` (factors.yaml, 20), and hand-worked numbers above it.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from orchestration.equity import calendar, pipeline, risk
from orchestration.equity.config import load_settings

SETTINGS = load_settings()
ESTIMATES = ("beta_spy", "annual_volatility", "sharpe_ratio", "var_95_parametric", "var_95_historical")
DAY = dt.date(2024, 7, 12)


def _alternating(n: int) -> pd.Series:
    """+1 %, −1 %, +1 %, … on n business days."""
    return pd.Series([0.01 if i % 2 == 0 else -0.01 for i in range(n)], index=pd.date_range("2024-01-02", periods=n))


def test_the_configured_minimum_is_20() -> None:
    assert SETTINGS.min_observations == 20


def test_three_returns_give_nulls_with_the_reason() -> None:
    r = pd.Series([0.02, 0.015, 0.01], index=pd.date_range("2024-01-02", periods=3))
    metrics = risk.compute_metrics(r, r / 2, risk_free_rate=0.05, min_observations=20)
    assert metrics.n_returns == 3
    assert metrics.daily_return == 0.01  # today's return is a fact, not an estimate: still served
    for name in ESTIMATES:
        assert math.isnan(getattr(metrics, name)), name
        assert metrics.reasons[name] == "3 daily returns < 20 required (min_observations)"
    # max drawdown is realised, not estimated: three rising days never fall below their peak
    assert metrics.max_drawdown == 0.0
    assert "max_drawdown" not in metrics.reasons


def test_nineteen_returns_are_too_few_and_twenty_are_enough() -> None:
    assert math.isnan(risk.compute_metrics(_alternating(19), _alternating(19), risk_free_rate=0.0).annual_volatility)
    assert risk.compute_metrics(_alternating(20), _alternating(20), risk_free_rate=0.0).reasons == {}


def test_twenty_returns_by_hand() -> None:
    r = _alternating(20)  # ten +0.01 and ten −0.01: mean 0
    metrics = risk.compute_metrics(r, r / 2, risk_free_rate=0.0252, min_observations=20)
    # sample sd = √(20 × 0.01² / 19) = 0.01 × √(1.0526316) = 0.010259784
    # annual volatility = 0.010259784 × √252 (15.874508) = 0.1628690
    assert metrics.annual_volatility == pytest.approx(0.162869, abs=5e-7)
    # Sharpe: daily rf 0.0252 / 252 = 0.0001; (0 − 0.0001) / 0.010259784 × 15.874508 = −0.1547256
    assert metrics.sharpe_ratio == pytest.approx(-0.1547256, abs=5e-7)
    # beta to SPY: SPY = r / 2, so cov(r, r/2) / var(r/2) = (var/2) / (var/4) = 2
    assert metrics.beta_spy == pytest.approx(2.0, abs=1e-12)
    # parametric VaR = −(0 − 1.644854 × 0.010259784) = 0.016876
    assert metrics.var_95_parametric == pytest.approx(0.016876, abs=5e-7)
    # historical VaR: the 5th percentile of ten −0.01 and ten +0.01 is −0.01 → 0.01
    assert metrics.var_95_historical == pytest.approx(0.01, abs=1e-12)
    assert metrics.reasons == {}


def test_beta_needs_enough_returns_aligned_with_spy() -> None:
    r = _alternating(25)
    metrics = risk.compute_metrics(r, (r / 2).iloc[:10], risk_free_rate=0.0)  # SPY only on 10 of the days
    assert math.isnan(metrics.beta_spy)
    assert metrics.reasons == {"beta_spy": "10 returns aligned with SPY's < 20 required (min_observations)"}
    # 13 × +0.01, 12 × −0.01: mean 0.0004; Σ(x − mean)² = 13 × 0.0096² + 12 × 0.0104² = 0.002496
    # sd = √(0.002496 / 24) = √0.000104 = 0.0101980; × √252 = 0.161889
    assert metrics.annual_volatility == pytest.approx(0.161889, abs=5e-7)


def _inputs(sessions: int, factor_rows: int) -> tuple[pd.DataFrame, ...]:
    """A portfolio with `sessions` days of P&L (gross 10,000), one position of DAE 1,000 with SPY beta 1."""
    days = calendar.sessions_back(DAY, sessions)
    history = pd.DataFrame(
        {
            "tenant_id": "t",
            "portfolio_id": "p",
            "as_of_date": days,
            "daily_pnl": [0.0] + [100.0 if i % 2 == 0 else -100.0 for i in range(sessions - 1)],
            "market_value": 10_000.0,
        }
    )
    greeks = pd.DataFrame({"tenant_id": "t", "portfolio_id": "p", "position_id": ["x"], "delta_adjusted_exposure": 1e3})
    betas = pd.DataFrame(
        {"tenant_id": "t", "portfolio_id": "p", "position_id": "x", "etf": SETTINGS.etfs}
        | {"beta": [1.0] + [np.nan] * (len(SETTINGS.etfs) - 1)}
    )
    rng = np.random.default_rng(5)
    factors = pd.DataFrame(rng.normal(0, 0.01, (factor_rows, len(SETTINGS.etfs))), columns=SETTINGS.etfs)
    factors["SPY"] = [0.01 if i % 2 == 0 else -0.01 for i in range(factor_rows)]
    spy = pd.Series(0.0, index=pd.Index(days))
    return history, spy, greeks, betas, factors


def test_the_pipeline_row_of_a_three_return_portfolio_is_null_with_reasons() -> None:
    history, spy, greeks, betas, factors = _inputs(4, 10)  # 4 sessions → 3 returns; 10 factor returns
    (row,) = pipeline.risk_metrics(history, spy, greeks, betas, factors, DAY, SETTINGS).to_dict("records")
    assert row["n_returns"] == 3
    assert row["status"] == "insufficient_data"
    assert all(math.isnan(row[name]) for name in (*ESTIMATES, "var_95_factor", "var_95_factor_ewma"))
    assert {k: row["reasons"][k] for k in ESTIMATES} == dict.fromkeys(
        ESTIMATES, "3 daily returns < 20 required (min_observations)"
    )
    assert row["reasons"]["var_95_factor"] == "10 complete factor ETF returns < 20 required (min_observations)"
    assert row["daily_return"] == pytest.approx(0.01)  # 4th day: +100 / 10,000


def test_the_pipeline_row_with_enough_returns_has_hand_worked_numbers() -> None:
    history, spy, greeks, betas, factors = _inputs(21, 60)  # 21 sessions → 20 returns of ±1 %
    (row,) = pipeline.risk_metrics(history, spy, greeks, betas, factors, DAY, SETTINGS).to_dict("records")
    assert row["status"] == "ok"
    assert row["reasons"] == {}
    assert row["n_returns"] == 20
    assert row["annual_volatility"] == pytest.approx(0.162869, abs=5e-7)  # as worked above
    # factor VaR = 1.644854 × |1,000 × 1| × sd(SPY): sd of 30 × +0.01, 30 × −0.01 = 0.01 × √(60/59) = 0.0100844
    # → 1.644854 × 1,000 × 0.0100844 = 16.5874
    assert row["var_95_factor"] == pytest.approx(16.5874, abs=5e-4)


def test_factor_var_is_null_when_no_position_has_a_beta() -> None:
    history, spy, greeks, betas, factors = _inputs(21, 60)
    betas["beta"] = np.nan
    (row,) = pipeline.risk_metrics(history, spy, greeks, betas, factors, DAY, SETTINGS).to_dict("records")
    assert math.isnan(row["var_95_factor"])
    assert row["reasons"] == {
        "var_95_factor": "no position with an exposure has a factor beta",
        "var_95_factor_ewma": "no position with an exposure has a factor beta",
    }


def test_the_snapshot_keeps_numbers_only() -> None:
    history, spy, greeks, betas, factors = _inputs(4, 10)
    risk_rows = pipeline.risk_metrics(history, spy, greeks, betas, factors, DAY, SETTINGS)
    valuations = pd.DataFrame(
        {
            "tenant_id": ["t"],
            "portfolio_id": ["p"],
            "position_type": ["LONG"],
            **{key: [1.0] for key in ("market_value", "exposure", "cost_basis", "unrealized_pnl")},
            **{key: [0.0] for key in ("daily_pnl", "mtd_pnl", "ytd_pnl")},
        }
    )
    no_factors = pd.DataFrame(columns=["tenant_id", "portfolio_id", "factor", "portfolio_beta"])
    (snapshot,) = pipeline.snapshots(valuations, greeks.iloc[:0], no_factors, risk_rows, DAY).to_dict("records")
    assert snapshot["risk_metrics"]["annual_volatility"] is None
    assert "reasons" not in snapshot["risk_metrics"]
    assert "status" not in snapshot["risk_metrics"]


def test_returns_without_dispersion_have_no_sharpe_ratio() -> None:
    """A book valued at its entry-price fallback every day (no prices past the files' last date) has 30 zero
    returns: (0 − rf) / 0 was served as −inf, which the table refuses, failing the whole day."""
    flat = pd.Series(0.0, index=pd.date_range("2024-01-02", periods=30))
    metrics = risk.compute_metrics(flat, flat, risk_free_rate=0.05, min_observations=20)
    assert metrics.annual_volatility == 0.0
    assert math.isnan(metrics.sharpe_ratio)
    assert "zero volatility" in metrics.reasons["sharpe_ratio"]
    assert metrics.var_95_parametric == 0.0
