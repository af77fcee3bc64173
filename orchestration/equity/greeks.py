"""Black-Scholes Greeks per position through `vollib`, with the seed's mock table as the marked fallback.

Units (vollib's analytical Greeks): delta per $1 of the underlying, gamma per $1², theta per calendar day,
vega per 1 volatility point (0.01), rho per 1 rate point (0.01). Position Greeks = per-contract Greeks ×
quantity × multiplier; a stock has delta +1 per share (so a short has position delta = quantity < 0).
Volatility is the underlying's 30-session historical volatility (annualised, √252), the seed's proxy.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import vollib.black_scholes as bs
import vollib.black_scholes.greeks.analytical as analytical

GREEKS = ("delta", "gamma", "theta", "vega", "rho")

MOCK_GREEKS: dict[str, dict[str, float]] = {
    "LC": {"delta": 0.6, "gamma": 0.02, "theta": -0.5, "vega": 0.3, "rho": 0.0},
    "SC": {"delta": -0.4, "gamma": -0.02, "theta": 0.5, "vega": -0.3, "rho": 0.0},
    "LP": {"delta": -0.4, "gamma": 0.02, "theta": -0.5, "vega": 0.3, "rho": 0.0},
    "SP": {"delta": 0.3, "gamma": -0.02, "theta": 0.5, "vega": -0.3, "rho": 0.0},
}
"""Seed 004's mock Greeks table (already signed for the position's side); used only when inputs are missing."""


@dataclass(frozen=True)
class ContractGreeks:
    """Greeks of one long contract (or one share)."""

    delta: float
    gamma: float
    theta: float
    vega: float
    rho: float


def year_fraction(day: dt.date, expiry: dt.date) -> float:
    """Time to expiry in years, ACT/365 calendar days."""
    return (expiry - day).days / 365.0


def black_scholes_price(flag: str, spot: float, strike: float, t: float, r: float, sigma: float) -> float:
    """Option value; intrinsic value at or after expiry."""
    if t <= 0:
        return max(spot - strike, 0.0) if flag == "c" else max(strike - spot, 0.0)
    return float(bs.black_scholes(flag, spot, strike, t, r, sigma))


def contract_greeks(flag: str, spot: float, strike: float, t: float, r: float, sigma: float) -> ContractGreeks:
    """Analytical Black-Scholes Greeks of one long option (flag 'c' or 'p')."""
    return ContractGreeks(
        delta=float(analytical.delta(flag, spot, strike, t, r, sigma)),
        gamma=float(analytical.gamma(flag, spot, strike, t, r, sigma)),
        theta=float(analytical.theta(flag, spot, strike, t, r, sigma)),
        vega=float(analytical.vega(flag, spot, strike, t, r, sigma)),
        rho=float(analytical.rho(flag, spot, strike, t, r, sigma)),
    )


def historical_volatility(closes: pd.Series, window: int = 30) -> float:
    """Annualised volatility of the last `window` daily log returns (√252); NaN with fewer than 2 returns."""
    series = closes.dropna().astype(float)
    returns = np.log(series / series.shift(1)).dropna().tail(window)
    if len(returns) < 2:
        return math.nan
    return float(returns.std(ddof=1) * math.sqrt(252))


def _usable(*values: float) -> bool:
    return all(v is not None and math.isfinite(v) and v > 0 for v in values)


def position_greeks(
    positions: pd.DataFrame, day: dt.date, risk_free_rate: float, volatility: dict[str, float]
) -> pd.DataFrame:
    """Per-contract and position Greeks plus delta-adjusted exposure for every position.

    `positions` needs position_type, quantity, multiplier, underlying, underlying_price, strike, expiry,
    option_type. Rows get `source`: stock, black_scholes, expired (on or after its expiry date: settled, every
    Greek and the delta-adjusted exposure 0) or mock.
    """
    records = []
    for row in positions.itertuples(index=False):
        quantity = float(row.quantity)
        multiplier = float(row.multiplier)
        spot = float(row.underlying_price) if pd.notna(row.underlying_price) else math.nan
        sigma = volatility.get(str(row.underlying), math.nan)
        record: dict[str, Any] = {"volatility": math.nan, "time_to_expiry": math.nan}
        if row.position_type in ("LONG", "SHORT"):
            per = ContractGreeks(1.0, 0.0, 0.0, 0.0, 0.0)
            scale = quantity * multiplier
            source = "stock"
        else:
            t = year_fraction(day, row.expiry)
            record["time_to_expiry"] = t
            flag = "c" if row.option_type == "C" else "p"
            strike = float(row.strike)
            if t <= 0:  # settled at intrinsic value on its expiry date (valuation.py): no delta, no exposure
                per = ContractGreeks(0.0, 0.0, 0.0, 0.0, 0.0)
                scale = quantity * multiplier
                source = "expired"
            elif _usable(spot, strike, t, sigma):
                per = contract_greeks(flag, spot, strike, t, risk_free_rate, sigma)
                record["volatility"] = sigma
                scale = quantity * multiplier
                source = "black_scholes"
            else:
                per = ContractGreeks(**MOCK_GREEKS[row.position_type])
                scale = abs(quantity) * multiplier  # the mock table is already signed for the side
                source = "mock"
        record.update({g: getattr(per, g) for g in GREEKS})
        record.update({f"position_{g}": getattr(per, g) * scale for g in GREEKS})
        record["source"] = source
        if source == "expired":
            record["delta_adjusted_exposure"] = 0.0
        else:
            record["delta_adjusted_exposure"] = record["position_delta"] * spot if math.isfinite(spot) else math.nan
        records.append(record)
    result = pd.DataFrame(records, index=positions.index)
    return pd.concat([positions, result], axis=1)


def aggregate(greeks: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Position Greeks and delta-adjusted exposure summed by view: portfolio, longs, shorts.

    Longs are positions whose delta-adjusted exposure is ≥ 0 (long stock, long calls, short puts); shorts the rest.
    """
    columns = [f"position_{g}" for g in GREEKS] + ["delta_adjusted_exposure"]
    dae = greeks["delta_adjusted_exposure"].fillna(0.0)
    views = {"portfolio": greeks, "longs": greeks[dae >= 0], "shorts": greeks[dae < 0]}
    return {
        view: {c.removeprefix("position_"): float(frame[c].fillna(0.0).sum()) for c in columns} | {"count": len(frame)}
        for view, frame in views.items()
    }
