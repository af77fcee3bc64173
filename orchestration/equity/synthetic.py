"""A deterministic factor model of daily prices: stocks with known true betas to the factor ETFs.

ETF returns are built from independent latent shocks (SPY = market shock; every other ETF = a market loading
× the market shock + its own shock), so the ETFs are collinear like the real ones. A stock's return is
Σ_k b_k · r_ETF_k + idiosyncratic noise with loadings derived from its ticker. Its true *univariate* beta to
ETF j (what the seed's cov/var estimates) is (b Σ)_j / Σ_jj with Σ the ETFs' population covariance.
Series are generated whole per ticker from a fixed epoch as a unit path (the returns), so a day's price never
depends on when or in which order it is asked for. The level is set by an `Anchor`: the path is scaled so that its
close on the anchor's session equals the anchor's level (the first entry price a landed file gives, else a
configured level), which leaves every return, beta and volatility unchanged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.signal import lfilter

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
IDIOSYNCRATIC_VOL = (0.006, 0.016)  # daily; with the factor part, stocks have 15-45 % annualised volatility
STYLE_LOADING = 0.25  # |loading| on each ETF other than SPY
IDIOSYNCRATIC_PERSISTENCE = 0.99  # AR(1) of the idiosyncratic log-price: a half-life of about 69 sessions


@dataclass(frozen=True)
class Anchor:
    """A price level on a day: the synthetic close of that day's session (or the one before) is `level`."""

    day: dt.date
    level: float


DEFAULT_ANCHOR = Anchor(EPOCH, 100.0)


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
    out = rng.uniform(-STYLE_LOADING, STYLE_LOADING, len(ETFS))
    out[0] = rng.uniform(0.5, 1.4)
    return out


def idiosyncratic_vol(ticker: str) -> float:
    return 0.0 if ticker in ETFS else float(_digest(f"idio:{ticker}").uniform(*IDIOSYNCRATIC_VOL))


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


def idiosyncratic_returns(ticker: str) -> np.ndarray:
    """Daily changes of a mean-reverting idiosyncratic log-price x_t = φ·x_{t-1} + ε_t (zero for an ETF).

    Each change has about the idiosyncratic volatility and is uncorrelated with the ETFs (so the true betas hold),
    but a stock cannot drift away from its factor path for ever: x stays within ±σ/√(1-φ²) ≈ ±8-11 % (1 sd).
    """
    shocks = _digest(f"noise:{ticker}").standard_normal(len(session_index())) * idiosyncratic_vol(ticker)
    level = lfilter([1.0], [1.0, -IDIOSYNCRATIC_PERSISTENCE], shocks)
    return np.diff(level, prepend=0.0)


@lru_cache(maxsize=4096)
def unit_path(ticker: str) -> pd.Series:
    """The cumulated returns of a stock or ETF, indexed by session (1.0 before the first return)."""
    returns = etf_returns() @ loadings(ticker) + idiosyncratic_returns(ticker)
    path = np.cumprod(1.0 + np.clip(returns, -0.5, 0.5))
    return pd.Series(path, index=session_index(), name=ticker)


def anchor_session(day: dt.date) -> pd.Timestamp:
    """The session whose close an anchor sets: `day` or the session before it, within the generated range."""
    index = session_index()
    position = int(index.searchsorted(pd.Timestamp(day), side="right")) - 1
    return index[min(max(position, 0), len(index) - 1)]


def closes(ticker: str, anchor: Anchor = DEFAULT_ANCHOR) -> pd.Series:
    """The whole close series of a stock or ETF, scaled so that its close on the anchor's session is its level."""
    unit = unit_path(ticker)
    return unit * (anchor.level / float(unit.loc[anchor_session(anchor.day)]))


def option_close(
    symbol: str, day: dt.date, risk_free_rate: float = DEFAULT_RISK_FREE, anchor: Anchor = DEFAULT_ANCHOR
) -> float:
    """Black-Scholes value of an OCC option off its underlying's synthetic close (at `anchor`) and true volatility."""
    option = occ.parse_occ(symbol)
    spot = float(closes(option.root, anchor).loc[pd.Timestamp(day)])
    flag = "c" if option.option_type == "C" else "p"
    t = greeks.year_fraction(day, option.expiry)
    return greeks.black_scholes_price(
        flag, spot, float(option.strike), t, risk_free_rate, annual_volatility(option.root)
    )


def bars(
    ticker: str,
    start: dt.date,
    end: dt.date,
    risk_free_rate: float = DEFAULT_RISK_FREE,
    anchors: Mapping[str, Anchor] | None = None,
    default: Anchor = DEFAULT_ANCHOR,
) -> pd.DataFrame:
    """OHLCV rows for the sessions in [start, end] (open/high/low derived from the closes).

    A stock is scaled by its own anchor, an option by its underlying's; tickers without one use `default`.
    """
    anchors = anchors or {}
    if start < EPOCH:
        start = EPOCH
    instrument = occ.parse_symbol(ticker)
    if instrument.option is not None:
        days = calendar.sessions(start, min(end, instrument.option.expiry))
        anchor = anchors.get(instrument.option.root, default)
        close = pd.Series([option_close(instrument.symbol, d, risk_free_rate, anchor) for d in days], dtype=float)
        previous = close.shift(1).fillna(close)
        index_days = days
    else:
        series = closes(instrument.symbol, anchors.get(instrument.symbol, default))
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
