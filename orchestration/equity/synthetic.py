"""A deterministic factor model of daily prices: stocks with known true betas to the factor ETFs.

ETF returns are built from independent latent shocks (SPY = market shock; every other ETF = a market loading
× the market shock + its own shock), so the ETFs are collinear like the real ones. A stock's return is
Σ_k b_k · r_ETF_k + idiosyncratic noise with loadings derived from its ticker. Its true *univariate* beta to
ETF j (what the seed's cov/var estimates) is (b Σ)_j / Σ_jj with Σ the ETFs' population covariance.
Series start at a fixed epoch and are generated whole per ticker, so a day's price never depends on when
or in which order it is asked for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from functools import lru_cache

import numpy as np
import pandas as pd

from orchestration.equity import calendar, greeks, occ

EPOCH = dt.date(2015, 1, 2)
SEED = 20240704
ETFS = ("SPY", "MTUM", "VTV", "VUG", "QUAL", "IWM", "SPLV")
MARKET_VOL = 0.010
# (market loading, own daily vol) per ETF after SPY
_ETF_SHAPE = {
    "MTUM": (1.05, 0.0050),
    "VTV": (0.85, 0.0040),
    "VUG": (1.15, 0.0045),
    "QUAL": (0.95, 0.0030),
    "IWM": (1.10, 0.0070),
    "SPLV": (0.65, 0.0040),
}
DEFAULT_RISK_FREE = 0.05


def _digest(text: str) -> np.random.Generator:
    return np.random.default_rng(int.from_bytes(hashlib.sha256(f"{SEED}:{text}".encode()).digest()[:8], "little"))


@lru_cache(maxsize=1)
def session_index() -> pd.DatetimeIndex:
    """Every session from the epoch to the end of the calendar."""
    end = calendar.xnys().last_session.date()
    return pd.DatetimeIndex(pd.to_datetime(calendar.sessions(EPOCH, end)))


@lru_cache(maxsize=1)
def mixing() -> np.ndarray:
    """L (7 × 7): ETF returns = latent shocks @ L; row k = latent shock k's effect on each ETF."""
    mix = np.zeros((len(ETFS), len(ETFS)))
    mix[0, :] = [1.0] + [_ETF_SHAPE[e][0] for e in ETFS[1:]]
    for k in range(1, len(ETFS)):
        mix[k, k] = 1.0
    return mix


@lru_cache(maxsize=1)
def latent_vols() -> np.ndarray:
    return np.array([MARKET_VOL] + [_ETF_SHAPE[e][1] for e in ETFS[1:]])


@lru_cache(maxsize=1)
def etf_returns() -> np.ndarray:
    """(sessions × 7) daily simple returns of the ETFs."""
    rng = _digest("latent")
    shocks = rng.standard_normal((len(session_index()), len(ETFS))) * latent_vols()
    return shocks @ mixing() + 0.0003


def etf_covariance() -> np.ndarray:
    """Population covariance Σ of the ETF returns: Lᵀ diag(σ²) L."""
    return mixing().T @ np.diag(latent_vols() ** 2) @ mixing()


def loadings(ticker: str) -> np.ndarray:
    """Multivariate loadings b of a stock on the seven ETFs (deterministic from the ticker)."""
    if ticker in ETFS:
        out = np.zeros(len(ETFS))
        out[ETFS.index(ticker)] = 1.0
        return out
    rng = _digest(f"loadings:{ticker}")
    out = rng.uniform(-0.35, 0.35, len(ETFS))
    out[0] = rng.uniform(0.5, 1.4)
    return out


def idiosyncratic_vol(ticker: str) -> float:
    return 0.0 if ticker in ETFS else float(_digest(f"idio:{ticker}").uniform(0.008, 0.02))


def true_betas(ticker: str) -> dict[str, float]:
    """The population univariate beta of the stock to each ETF: (b Σ)_j / Σ_jj."""
    sigma = etf_covariance()
    values = loadings(ticker) @ sigma / np.diag(sigma)
    return {etf: float(v) for etf, v in zip(ETFS, values, strict=True)}


def annual_volatility(ticker: str) -> float:
    """True annualised volatility of the stock's returns (used to price its options)."""
    b = loadings(ticker)
    daily = math.sqrt(float(b @ etf_covariance() @ b) + idiosyncratic_vol(ticker) ** 2)
    return daily * math.sqrt(252)


@lru_cache(maxsize=4096)
def closes(ticker: str) -> pd.Series:
    """The whole close series of a stock or ETF, indexed by session."""
    rng = _digest(f"noise:{ticker}")
    noise = rng.standard_normal(len(session_index())) * idiosyncratic_vol(ticker)
    returns = etf_returns() @ loadings(ticker) + noise
    start = 100.0 if ticker in ETFS else float(_digest(f"start:{ticker}").uniform(20, 400))
    path = start * np.cumprod(1.0 + np.clip(returns, -0.5, 0.5))
    return pd.Series(path, index=session_index(), name=ticker)


def option_close(symbol: str, day: dt.date, risk_free_rate: float = DEFAULT_RISK_FREE) -> float:
    """Black-Scholes value of an OCC option off its underlying's synthetic close and true volatility."""
    option = occ.parse_occ(symbol)
    spot = float(closes(option.root).loc[pd.Timestamp(day)])
    flag = "c" if option.option_type == "C" else "p"
    t = greeks.year_fraction(day, option.expiry)
    return greeks.black_scholes_price(
        flag, spot, float(option.strike), t, risk_free_rate, annual_volatility(option.root)
    )


def bars(ticker: str, start: dt.date, end: dt.date, risk_free_rate: float = DEFAULT_RISK_FREE) -> pd.DataFrame:
    """OHLCV rows for the sessions in [start, end] (open/high/low derived from the closes)."""
    if start < EPOCH:
        start = EPOCH
    instrument = occ.parse_symbol(ticker)
    if instrument.option is not None:
        days = calendar.sessions(start, min(end, instrument.option.expiry))
        close = pd.Series([option_close(instrument.symbol, d, risk_free_rate) for d in days], dtype=float)
        previous = close.shift(1).fillna(close)
        index_days = days
    else:
        series = closes(instrument.symbol)
        window = series.loc[pd.Timestamp(start) : pd.Timestamp(end)]
        full_previous = series.shift(1).fillna(series)
        previous = full_previous.loc[window.index].reset_index(drop=True)
        close = window.reset_index(drop=True)
        index_days = [d.date() for d in window.index]
    rng_volume = _digest(f"volume:{ticker}").integers(100_000, 5_000_000)
    frame = pd.DataFrame(
        {
            "ticker": instrument.symbol,
            "price_date": index_days,
            "open": previous.to_numpy(),
            "high": np.maximum(previous, close).to_numpy() * 1.004,
            "low": np.minimum(previous, close).to_numpy() * 0.996,
            "close": close.to_numpy(),
            "volume": int(rng_volume),
        }
    )
    return frame
