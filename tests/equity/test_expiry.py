"""Option expiry (issue 14 item 2), worked by hand: an option across its expiry day.

Before: an expired option kept its last price, an intrinsic delta of ±1 per share and its delta-adjusted
exposure (seed 004's AAPL240119C00150000 kept $525,836 of DAE long after expiry).

The book: 2 XYZ calls strike 200 bought at 5.00 and 3 XYZ puts strike 230 sold at 12.00, both expiring on
Friday 2024-07-19; XYZ closes 208 on Thursday 18th, 212 on the 19th and 250 on Monday 22nd.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from orchestration.equity import calendar, pipeline
from orchestration.equity.config import load_settings

SETTINGS = load_settings()
BEFORE, EXPIRY, AFTER = dt.date(2024, 7, 18), dt.date(2024, 7, 19), dt.date(2024, 7, 22)
CALL, PUT = "XYZ240719C00200000", "XYZ240719P00230000"


def _held() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tenant_id": "t",
            "portfolio_id": "p",
            "position_id": ["call", "put", "stock"],
            "ticker": [CALL, PUT, "XYZ"],
            "underlying": "XYZ",
            "position_type": ["LC", "SP", "LONG"],
            "quantity": [2.0, -3.0, 10.0],
            "multiplier": [100, 100, 1],
            "entry_price": [5.0, 12.0, 190.0],
            "entry_date": dt.date(2023, 12, 1),
            "option_type": ["C", "P", None],
            "strike": [200.0, 230.0, np.nan],
            "expiry": [EXPIRY, EXPIRY, None],
            "tags": [[], [], []],
        }
    )


def _closes() -> pd.DataFrame:
    """Closes from 2023-12-29 (YTD reference) to 2024-07-22; the options trade until their expiry only."""
    days = calendar.sessions(dt.date(2023, 12, 29), AFTER)
    closes = pd.DataFrame(np.nan, index=days, columns=["XYZ", CALL, PUT])
    closes["XYZ"] = 200.0
    closes.loc[BEFORE, ["XYZ", CALL, PUT]] = [208.0, 9.0, 24.0]
    closes.loc[EXPIRY, ["XYZ", CALL, PUT]] = [212.0, 12.5, 18.5]  # the source's last option quotes
    closes.loc[AFTER, "XYZ"] = 250.0
    closes.loc[dt.date(2024, 6, 28), [CALL, PUT]] = [6.0, 13.0]  # MTD references of July
    return closes


def test_on_its_expiry_date_an_option_settles_at_intrinsic_value() -> None:
    rows = pipeline.valuations(_held(), _closes(), EXPIRY).set_index("position_id")
    call, put = rows.loc["call"], rows.loc["put"]
    # call: max(212 − 200, 0) = 12 (not the quoted 12.50); put: max(230 − 212, 0) = 18
    assert (call["price"], put["price"]) == (12.0, 18.0)
    assert call["price_source"] == put["price_source"] == "settlement"
    assert bool(call["expired"])
    assert bool(put["expired"])
    assert not bool(rows.loc["stock", "expired"])
    # daily P&L vs Thursday's close: call 2 × 100 × (12 − 9) = 600; put −3 × 100 × (18 − 24) = 1,800
    assert (call["daily_pnl"], put["daily_pnl"]) == pytest.approx((600.0, 1_800.0))
    # realised: call 2 × 100 × (12 − 5) = 1,400; put −3 × 100 × (18 − 12) = −1,800
    assert (call["realized_pnl"], put["realized_pnl"]) == pytest.approx((1_400.0, -1_800.0))
    assert call["unrealized_pnl"] == put["unrealized_pnl"] == 0.0
    assert call["market_value"] == put["market_value"] == 0.0
    assert call["exposure"] == put["exposure"] == 0.0
    assert call["exposure_pct_gross"] == 0.0
    # MTD vs 2024-06-28: call 2 × 100 × (12 − 6) = 1,200; put −3 × 100 × (18 − 13) = −1,500
    assert (call["mtd_pnl"], put["mtd_pnl"]) == pytest.approx((1_200.0, -1_500.0))
    assert not call["mtd_pnl_fallback"]
    # YTD: no option close on 2023-12-29 → P&L since entry, flagged (YTD only)
    assert call["ytd_pnl"] == pytest.approx(1_400.0)
    assert bool(call["ytd_pnl_fallback"])
    assert bool(call["period_pnl_fallback"])
    assert rows.loc["stock", "market_value"] == 10 * 212.0
    assert rows.loc["stock", "realized_pnl"] == 0.0


def test_the_day_before_expiry_the_option_is_live() -> None:
    rows = pipeline.valuations(_held(), _closes(), BEFORE).set_index("position_id")
    assert not rows["expired"].any()
    assert rows.loc["call", "market_value"] == 2 * 100 * 9.0  # 1,800
    assert rows.loc["call", "unrealized_pnl"] == 2 * 100 * (9.0 - 5.0)  # 800
    assert rows.loc["call", "realized_pnl"] == 0.0


def test_after_expiry_the_settlement_stands_and_the_underlying_no_longer_matters() -> None:
    rows = pipeline.valuations(_held(), _closes(), AFTER).set_index("position_id")
    call, put = rows.loc["call"], rows.loc["put"]
    # XYZ at 250 would make the call worth 50: it settled at 12 on the 19th and stays there
    assert (call["price"], put["price"]) == (12.0, 18.0)
    assert call["daily_pnl"] == put["daily_pnl"] == 0.0  # 12 − 12, 18 − 18
    assert not call["daily_pnl_fallback"]  # the previous "close" is the settlement, not a fallback
    assert (call["realized_pnl"], put["realized_pnl"]) == pytest.approx((1_400.0, -1_800.0))
    assert call["market_value"] == 0.0
    assert bool(call["expired"])
    assert rows.loc["stock", "daily_pnl"] == 10 * (250.0 - 212.0)  # 380


def test_an_expired_option_has_zero_greeks_and_no_exposure() -> None:
    for day in (EXPIRY, AFTER):
        greeks = pipeline.position_greeks(_held(), _closes(), day, SETTINGS).set_index("position_id")
        for option in ("call", "put"):
            row = greeks.loc[option]
            assert row["source"] == "expired"
            assert [row[f"position_{g}"] for g in ("delta", "gamma", "theta", "vega", "rho")] == [0.0] * 5
            assert row["delta_adjusted_exposure"] == 0.0
    live = pipeline.position_greeks(_held(), _closes(), BEFORE, SETTINGS).set_index("position_id")
    assert live.loc["call", "source"] == "black_scholes"
    assert live.loc["call", "position_delta"] > 0


def test_an_expired_option_has_no_factor_beta_nor_exposure() -> None:
    held = _held()
    sessions = calendar.sessions_back(EXPIRY, SETTINGS.beta_window + 1)
    rng = np.random.default_rng(11)
    returns = pd.DataFrame(rng.normal(0, 0.01, (len(sessions), len(SETTINGS.etfs))), columns=SETTINGS.etfs)
    returns["XYZ"] = 2.0 * returns["SPY"]  # XYZ's beta to Market is exactly 2
    returns.iloc[0] = 0.0
    closes = 100.0 * (1.0 + returns).cumprod()
    closes.index = sessions
    greeks = pipeline.position_greeks(held, closes, EXPIRY, SETTINGS)
    gross = {("t", "p"): 10 * float(closes.at[EXPIRY, "XYZ"])}
    betas, exposures, _ = pipeline.factor_betas(held, closes, greeks, gross, EXPIRY, SETTINGS)
    market = betas[betas["factor"] == "Market"].set_index("position_id")
    assert market.loc["stock", "beta"] == pytest.approx(2.0, abs=1e-9)
    assert market.loc["call", "status"] == market.loc["put", "status"] == "expired"
    assert market.loc[["call", "put"], "beta"].isna().all()
    assert "expired on 2024-07-19" in market.loc["call", "reason"]
    row = exposures[exposures["factor"] == "Market"].iloc[0]
    # only the stock: dollar exposure = 10 × S × 2; portfolio beta = that / gross (10 × S) = 2
    assert row["dollar_exposure"] == pytest.approx(20 * float(closes.at[EXPIRY, "XYZ"]))
    assert row["portfolio_beta"] == pytest.approx(2.0)
    assert row["positions_with_beta"] == 1
