"""Options in factor risk (issue 14): an option's exposure is its delta-adjusted exposure × its underlying's beta.

Worked by hand on a book whose stock moves exactly 1.5 × SPY, so its beta to Market is 1.5 with R² 1.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from orchestration.equity import calendar, pipeline
from orchestration.equity.config import load_settings

DAY = dt.date(2026, 11, 20)
PRICE = 200.0
SETTINGS = load_settings()


def _closes() -> pd.DataFrame:
    """61 sessions of closes: independent random ETF returns, the stock exactly 1.5 × SPY's daily return."""
    sessions = calendar.sessions_back(DAY, SETTINGS.beta_window + 1)
    rng = np.random.default_rng(7)
    returns = pd.DataFrame(rng.normal(0, 0.01, (len(sessions), len(SETTINGS.etfs))), columns=SETTINGS.etfs)
    returns["XYZ"] = 1.5 * returns["SPY"]
    returns.iloc[0] = 0.0
    closes = 100.0 * (1.0 + returns).cumprod()
    closes["XYZ"] *= PRICE / closes["XYZ"].iloc[-1]
    closes.index = sessions
    return closes


def _book() -> tuple[pd.DataFrame, pd.DataFrame, dict[tuple[str, str], float]]:
    """100 XYZ long; a long put (delta −0.4, 100 shares); a short call (delta 0.3, −100 shares)."""
    held = pd.DataFrame(
        {
            "tenant_id": "t",
            "portfolio_id": "p",
            "position_id": ["stock", "put", "call"],
            "ticker": ["XYZ", "XYZ261218P00190000", "XYZ261218C00220000"],
            "position_type": ["LONG", "LP", "SC"],
            "underlying": ["XYZ", "XYZ", "XYZ"],
        }
    )
    # DAE = delta × quantity × multiplier × underlying price: 100 × 200; −0.4 × 1 × 100 × 200; 0.3 × −1 × 100 × 200.
    dae = [100 * PRICE, -0.4 * 100 * PRICE, -0.3 * 100 * PRICE]
    greeks = pd.DataFrame(
        {"tenant_id": "t", "portfolio_id": "p", "position_id": held["position_id"], "delta_adjusted_exposure": dae}
    )
    gross = {("t", "p"): 100 * PRICE + 6.0 * 100 + 4.0 * 100}  # stock 20,000 + put 600 + |call| 400
    return held, greeks, gross


def test_an_option_takes_its_underlyings_beta_and_exposure_is_dae_times_beta() -> None:
    held, greeks, gross = _book()
    betas, exposures, _ = pipeline.factor_betas(held, _closes(), greeks, gross, DAY, SETTINGS)
    market = betas[betas["factor"] == "Market"].set_index("position_id")
    assert market.loc["stock", "beta"] == pytest.approx(1.5, abs=1e-9)
    assert market.loc["put", "beta"] == pytest.approx(1.5, abs=1e-9)  # the underlying's, not the put's own
    assert market.loc["call", "beta"] == pytest.approx(1.5, abs=1e-9)
    assert list(market["method"]) == ["regression", "underlying", "underlying"]
    row = exposures[exposures["factor"] == "Market"].iloc[0]
    # Dollar exposure = Σ DAE × β = (20,000 − 8,000 − 6,000) × 1.5 = 9,000; the stock alone 30,000.
    assert row["dollar_exposure"] == pytest.approx(9_000.0, rel=1e-9)
    # Portfolio beta = 9,000 / gross 21,000 = 0.428571…, below the stock alone (30,000 / 21,000 = 1.428571…).
    assert row["portfolio_beta"] == pytest.approx(9_000.0 / 21_000.0, rel=1e-9)
    stock_only = pipeline.factor_betas(held.iloc[:1], _closes(), greeks.iloc[:1], gross, DAY, SETTINGS)[1]
    assert row["portfolio_beta"] < stock_only[stock_only["factor"] == "Market"].iloc[0]["portfolio_beta"]


def test_a_long_put_reduces_market_exposure() -> None:
    """The defect the issue found: a put regressed on its own returns got a negative beta and a negative DAE,
    so it added long exposure. Now a long put alone is short the market."""
    held, greeks, gross = _book()
    _, exposures, _ = pipeline.factor_betas(held.iloc[[1]], _closes(), greeks.iloc[[1]], gross, DAY, SETTINGS)
    assert exposures[exposures["factor"] == "Market"].iloc[0]["dollar_exposure"] == pytest.approx(-12_000.0)


def test_a_position_without_a_delta_adjusted_exposure_is_absent_not_a_crash() -> None:
    """A day the source had no price for an underlying leaves its DAE null (the quickstart's real-price book
    backfilled past the files' last date): the factor step used float(None) and crashed the whole day."""
    held, greeks, gross = _book()
    greeks["delta_adjusted_exposure"] = pd.Series([20_000.0, None, None], dtype=object)
    _, exposures, _ = pipeline.factor_betas(held, _closes(), greeks, gross, DAY, SETTINGS)
    row = exposures[exposures["factor"] == "Market"].iloc[0]
    assert row["positions_with_beta"] == 1  # the stock: the options have a beta but no exposure
    assert row["dollar_exposure"] == pytest.approx(30_000.0)  # 20,000 × 1.5
    greeks["delta_adjusted_exposure"] = pd.Series([None, None, None], dtype=object)
    _, exposures, _ = pipeline.factor_betas(held, _closes(), greeks, gross, DAY, SETTINGS)
    row = exposures[exposures["factor"] == "Market"].iloc[0]
    assert row["status"] == "insufficient_data"
    assert "delta-adjusted exposure" in row["reason"]
