"""Portfolio risk metrics through empyrical-reloaded, on the portfolio's daily return.

Daily return r_t = total daily P&L_t / gross market value at the previous session's close (so a long/short
book's return is measured on the capital at risk). Beta to SPY, annualised volatility (√252) and Sharpe
(annual risk-free rate / 252 per day) use the last `risk_window` returns; maximum drawdown the last
`drawdown_window`; 1-day 95% VaR is reported as a positive loss fraction of gross value (× gross for $):
parametric −(μ + z₀.₀₅σ), historical −5th percentile (empyrical), factor-model z·√(eᵀ B Σ Bᵀ e) in dollars.
Beta, volatility, Sharpe and both return-based VaRs need at least `min_observations` returns (factors.yaml,
default 20); with fewer they are NaN (served null) and `reasons` says why, metric by metric.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import empyrical
import numpy as np
import pandas as pd
from scipy.stats import norm


@dataclass(frozen=True)
class RiskMetrics:
    """One portfolio's metrics on one day; NaN where the history is too short, with the reason in `reasons`."""

    n_returns: int
    daily_return: float
    beta_spy: float
    annual_volatility: float
    sharpe_ratio: float
    max_drawdown: float
    var_95_parametric: float
    var_95_historical: float
    reasons: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


ESTIMATES = ("beta_spy", "annual_volatility", "sharpe_ratio", "var_95_parametric", "var_95_historical")
"""The metrics estimated from the return sample, so held to `min_observations`."""


def too_few(count: int, required: int, what: str = "daily returns") -> str:
    """The reason a metric is null: how many observations there were and how many it needs."""
    return f"{count} {what} < {required} required (min_observations)"


def portfolio_returns(daily_pnl: pd.Series, gross_market_value: pd.Series) -> pd.Series:
    """r_t = P&L_t / gross_{t−1} on consecutive sessions (dates as index, sorted)."""
    previous_gross = gross_market_value.shift(1)
    returns = daily_pnl / previous_gross
    return returns[previous_gross > 0].dropna()


def compute_metrics(
    returns: pd.Series,
    spy_returns: pd.Series,
    *,
    risk_free_rate: float,
    risk_window: int = 60,
    drawdown_window: int = 90,
    confidence: float = 0.95,
    min_observations: int = 20,
) -> RiskMetrics:
    """Metrics of the latest windows of `returns` (dates index); SPY returns aligned by date.

    Fewer than `min_observations` returns (beta: returns aligned with SPY's) leave a metric NaN with its reason;
    max drawdown, a realised figure rather than an estimate, needs two returns.
    """
    recent = returns.tail(risk_window)
    n = len(recent)
    nan = math.nan
    min_observations = max(min_observations, 2)
    if n < min_observations:
        short = dict.fromkeys(ESTIMATES, too_few(n, min_observations))
        drawdown = float(empyrical.max_drawdown(returns.tail(drawdown_window))) if n >= 2 else nan
        if n < 2:
            short["max_drawdown"] = f"{n} daily returns < 2 required"
        return RiskMetrics(n, float(recent.iloc[-1]) if n else nan, nan, nan, nan, drawdown, nan, nan, short)
    aligned = pd.concat([recent, spy_returns], axis=1, join="inner").dropna()
    reasons: dict[str, str] = {}
    if len(aligned) >= min_observations:
        beta = float(empyrical.beta(aligned.iloc[:, 0], aligned.iloc[:, 1]))
    else:
        beta = nan
        reasons["beta_spy"] = too_few(len(aligned), min_observations, "returns aligned with SPY's")
    mu = float(recent.mean())
    sigma = float(recent.std(ddof=1))
    z = float(norm.ppf(1 - confidence))
    sharpe = float(empyrical.sharpe_ratio(recent, risk_free=risk_free_rate / 252))
    if not math.isfinite(sharpe):  # returns without dispersion (e.g. every day at the entry-price fallback)
        sharpe = nan
        reasons["sharpe_ratio"] = f"the {n} daily returns have zero volatility: the Sharpe ratio is undefined"
    return RiskMetrics(
        n_returns=n,
        daily_return=float(recent.iloc[-1]),
        beta_spy=beta,
        annual_volatility=float(empyrical.annual_volatility(recent)),
        sharpe_ratio=sharpe,
        max_drawdown=float(empyrical.max_drawdown(returns.tail(drawdown_window))),
        var_95_parametric=-(mu + z * sigma),
        var_95_historical=-float(empyrical.value_at_risk(recent, cutoff=1 - confidence)),
        reasons=reasons,
    )


def factor_var(
    exposures: np.ndarray, betas: np.ndarray, factor_covariance: np.ndarray, confidence: float = 0.95
) -> float:
    """z·√(eᵀ B Σ Bᵀ e): e dollar (delta-adjusted) exposures, B positions × factors, Σ factor covariance."""
    e = np.where(np.isfinite(exposures), exposures, 0.0)
    b = np.where(np.isfinite(betas), betas, 0.0)
    loading = e @ b
    variance = float(loading @ factor_covariance @ loading)
    return float(-norm.ppf(1 - confidence) * math.sqrt(max(variance, 0.0)))
