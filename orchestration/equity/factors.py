"""Factor betas: univariate OLS with intercept of each position's daily returns on each factor ETF's.

beta = cov(position, factor) / var(factor) as seed 004 defines it, computed for all positions × factors at
once from masked sums (pairs are aligned by dropping days where either return is missing, never zero-filled),
matching statsmodels OLS to floating-point precision. Also: portfolio beta and dollar exposure per factor,
the factor correlation matrix and variance inflation factors (the ETFs are strongly collinear).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

STAT_FIELDS = ("beta", "alpha", "r_squared", "t_stat", "std_error", "n_obs")


@dataclass(frozen=True)
class BetaResult:
    """Arrays of shape (positions, factors); NaN where fewer than `min_obs` aligned observations."""

    beta: np.ndarray
    alpha: np.ndarray
    r_squared: np.ndarray
    t_stat: np.ndarray
    std_error: np.ndarray
    n_obs: np.ndarray


def ols_betas(y: np.ndarray, x: np.ndarray, min_obs: int = 20) -> BetaResult:
    """Univariate OLS of every row of y (P × T) on every row of x (K × T), NaNs dropped pairwise.

    Uses centred sums (Sxx − Sx²/n …), the same estimator statsmodels' OLS computes with an intercept.
    """
    my = np.isfinite(y).astype(float)
    mx = np.isfinite(x).astype(float)
    y0 = np.where(my > 0, y, 0.0)
    x0 = np.where(mx > 0, x, 0.0)
    n = my @ mx.T
    sx = my @ x0.T
    sy = y0 @ mx.T
    sxx = my @ (x0 * x0).T
    syy = (y0 * y0) @ mx.T
    sxy = y0 @ x0.T
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_x = sx / n
        mean_y = sy / n
        cxx = sxx - sx * mean_x
        cyy = syy - sy * mean_y
        cxy = sxy - sx * mean_y
        beta = cxy / cxx
        alpha = mean_y - beta * mean_x
        ssr = np.maximum(cyy - beta * cxy, 0.0)
        std_error = np.sqrt(ssr / (n - 2) / cxx)
        t_stat = beta / std_error
        r_squared = (cxy * cxy) / (cxx * cyy)
    valid = (n >= max(min_obs, 3)) & (cxx > 0)
    nan = np.full_like(beta, np.nan)
    return BetaResult(
        beta=np.where(valid, beta, nan),
        alpha=np.where(valid, alpha, nan),
        r_squared=np.where(valid, r_squared, nan),
        t_stat=np.where(valid, t_stat, nan),
        std_error=np.where(valid, std_error, nan),
        n_obs=n.astype(int),
    )


def statsmodels_betas(y: np.ndarray, x: np.ndarray, min_obs: int = 20) -> BetaResult:
    """The reference: one statsmodels OLS per (position, factor) pair (slow; tests and the bench use it)."""
    import statsmodels.api as sm

    shape = (y.shape[0], x.shape[0])
    out = {name: np.full(shape, np.nan) for name in STAT_FIELDS}
    out["n_obs"] = np.zeros(shape)
    for i in range(shape[0]):
        for k in range(shape[1]):
            mask = np.isfinite(y[i]) & np.isfinite(x[k])
            out["n_obs"][i, k] = mask.sum()
            if mask.sum() < max(min_obs, 3):
                continue
            fit = sm.OLS(y[i][mask], sm.add_constant(x[k][mask])).fit()
            out["alpha"][i, k], out["beta"][i, k] = fit.params
            out["std_error"][i, k] = fit.bse[1]
            out["t_stat"][i, k] = fit.tvalues[1]
            out["r_squared"][i, k] = fit.rsquared
    out["n_obs"] = out["n_obs"].astype(int)
    return BetaResult(**out)


def simple_returns(prices: pd.DataFrame) -> pd.DataFrame:
    """Daily simple returns of a (dates × tickers) price frame; a gap stays NaN (no fill)."""
    return prices.astype(float) / prices.astype(float).shift(1) - 1.0


def correlation_matrix(factor_returns: pd.DataFrame) -> pd.DataFrame:
    """Pearson correlations of the factor ETFs' returns over the days all of them have."""
    return factor_returns.dropna().corr()


def variance_inflation_factors(factor_returns: pd.DataFrame) -> dict[str, float]:
    """VIF_k = 1 / (1 − R²_k) regressing factor k on the others (diagonal of the inverse correlation matrix)."""
    corr = correlation_matrix(factor_returns)
    if corr.isna().to_numpy().any() or len(corr) < 2:
        return dict.fromkeys(factor_returns.columns, float("nan"))
    inverse = np.linalg.pinv(corr.to_numpy())
    return {str(c): float(inverse[i, i]) for i, c in enumerate(corr.columns)}


def covariance(factor_returns: pd.DataFrame, ewma_lambda: float | None = None) -> np.ndarray:
    """Sample covariance of the factor returns, or the exponentially weighted one (RiskMetrics λ, zero mean)."""
    data = factor_returns.dropna().to_numpy()
    if ewma_lambda is None:
        return np.cov(data, rowvar=False, ddof=1)
    n = len(data)
    weights = (1 - ewma_lambda) * ewma_lambda ** np.arange(n - 1, -1, -1)
    weights = weights / weights.sum()
    return (data * weights[:, None]).T @ data


def portfolio_exposures(
    delta_adjusted_exposure: np.ndarray, betas: np.ndarray, gross_market_value: float
) -> tuple[np.ndarray, np.ndarray]:
    """Portfolio beta per factor = Σ (signed DAE / gross MV) × beta; dollar exposure = Σ DAE × beta.

    Positions without a beta for a factor contribute nothing to that factor (NaN treated as absent).
    """
    b = np.where(np.isfinite(betas), betas, 0.0)
    e = np.where(np.isfinite(delta_adjusted_exposure), delta_adjusted_exposure, 0.0)
    dollars = e @ b
    weights = e / gross_market_value if gross_market_value else np.zeros_like(e)
    return weights @ b, dollars
