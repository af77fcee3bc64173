"""One trading day of the equity pipeline as plain functions over frames (the assets call these per day).

`isolated` runs a day's calculation for every portfolio at once and, only when that raises or its rows are
unfit to write, again one portfolio at a time: a portfolio whose figures cannot be computed is left out with
its typed error (a `PortfolioFailure`), and every other tenant's and portfolio's rows are still written.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from orchestration.core.errors import InputError
from orchestration.equity import calendar, factors, greeks, risk, valuation
from orchestration.equity.config import EquitySettings
from orchestration.equity.prices import TickerFailure
from orchestration.equity.tables import MARKET_TENANT

POSITION_KEYS = ["tenant_id", "portfolio_id", "position_id", "ticker", "position_type"]
PORTFOLIO = ["tenant_id", "portfolio_id"]
PortfolioKey = tuple[str, str]
Frames = tuple[pd.DataFrame, ...]
COMPUTE_ERRORS = (InputError, ArithmeticError, ValueError)
"""What one portfolio's bad figures raise: a typed input error, an overflow, a value numpy or pandas refuses."""


@dataclass(frozen=True)
class PortfolioFailure:
    """A portfolio left out of one step of one trading day, with the typed error that left it out."""

    tenant_id: str
    portfolio_id: str
    file_name: str
    day: dt.date
    step: str
    error: InputError

    @property
    def where(self) -> str:
        """Tenant, portfolio, file, day and step, then where in them the error is."""
        head = f"tenant {self.tenant_id}, portfolio {self.portfolio_id}, file {self.file_name}, {self.day}, {self.step}"
        return f"{head}: {self.error.where}" if self.error.where else head

    def as_dict(self) -> dict[str, str]:
        """JSON for the asset check's metadata and the run's failure."""
        return {
            "tenant_id": self.tenant_id,
            "portfolio_id": self.portfolio_id,
            "file_name": self.file_name,
            "day": self.day.isoformat(),
            "step": self.step,
            "code": self.error.code,
            "message": self.error.message,
            "where": self.where,
        }


def left_out(failures: Sequence[PortfolioFailure]) -> list[dict[str, Any]]:
    """One entry per failing (tenant, portfolio): its first failure, with how many days and up to which day."""
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for failure in sorted(failures, key=lambda f: f.day):
        entry = grouped.setdefault((failure.tenant_id, failure.portfolio_id), {**failure.as_dict(), "days": 0})
        entry["days"] += 1
        entry["last_day"] = failure.day.isoformat()
    return list(grouped.values())


def run_error(failures: Sequence[Mapping[str, Any]], listed: int) -> InputError:
    """The run's typed failure: every portfolio left out (`left_out` entries), the first `listed` in its details."""
    named = "; ".join(
        f"tenant {f['tenant_id']}, portfolio {f['portfolio_id']} ({f['file_name']}): {f['days']} day(s) "
        f"{f['day']}..{f['last_day']} left out at {f['step']}: {f['code']}: {f['message']}"
        for f in failures[:5]
    )
    more = f"; and {len(failures) - 5} more" if len(failures) > 5 else ""
    return InputError(
        failures[0]["code"],
        f"{len(failures)} portfolio(s) could not be computed and were left out of the daily chain: {named}{more}",
        failures[0]["where"],
        {"failures": list(failures[:listed])},
    )


def portfolio_keys(frame: pd.DataFrame) -> list[PortfolioKey]:
    """The (tenant, portfolio) pairs of a frame, sorted."""
    if frame.empty:
        return []
    pairs = frame[PORTFOLIO].drop_duplicates().itertuples(index=False)
    return sorted((str(t), str(p)) for t, p in pairs)


def only(frame: pd.DataFrame, keys: Sequence[PortfolioKey]) -> pd.DataFrame:
    """The rows of `frame` that belong to one of the portfolios `keys`."""
    if frame.empty:
        return frame
    wanted = pd.MultiIndex.from_tuples(list(keys), names=PORTFOLIO) if keys else pd.MultiIndex.from_tuples([])
    mine = pd.MultiIndex.from_frame(frame[PORTFOLIO].astype(str)).isin(wanted)
    return frame[mine].reset_index(drop=True)


def file_names(held: pd.DataFrame) -> dict[PortfolioKey, str]:
    """The governing file's name of each portfolio in `held` (positions carrying `file_name`)."""
    if held.empty or "file_name" not in held:
        return {}
    rows = held[[*PORTFOLIO, "file_name"]].drop_duplicates(PORTFOLIO).itertuples(index=False)
    return {(str(t), str(p)): str(f) for t, p, f in rows}


def typed(error: Exception) -> InputError:
    """A bad figure's error as the typed VALIDATION_ERROR it is (a typed error stays as it is)."""
    if isinstance(error, InputError):
        return error
    return InputError("VALIDATION_ERROR", f"the figures cannot be computed ({type(error).__name__}: {error})", "")


def isolated(
    keys: Sequence[PortfolioKey],
    compute: Callable[[Sequence[PortfolioKey]], Frames],
    check: Callable[[Frames], Frames],
    width: int = 1,
) -> tuple[Frames, dict[PortfolioKey, InputError]]:
    """`check(compute(keys))` for all portfolios at once; when that fails, per portfolio, leaving out the failures.

    `compute` returns the day's `width` frames for the portfolios it is given; `check` returns them validated or
    raises. Only the errors bad figures raise are caught (COMPUTE_ERRORS); anything else is a fault of the step.
    """
    try:
        return check(compute(keys)), {}
    except COMPUTE_ERRORS:
        pass
    good: list[Frames] = []
    failed: dict[PortfolioKey, InputError] = {}
    for key in keys:
        try:
            good.append(check(compute([key])))
        except COMPUTE_ERRORS as error:
            failed[key] = typed(error)
    joined = []
    for i in range(width):
        frames = [part[i] for part in good if not part[i].empty]
        joined.append(pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())
    return tuple(joined), failed


def _close(closes: pd.DataFrame, ticker: str, day: dt.date) -> float:
    if ticker not in closes.columns or day not in closes.index:
        return math.nan
    return float(closes.at[day, ticker])


def price_failures(failures: list[TickerFailure], day: dt.date, source: str) -> pd.DataFrame:
    """The day's rows of raw.equity_price_failures: every ticker the source could not price, and why."""
    return pd.DataFrame(
        [
            {
                "tenant_id": MARKET_TENANT,
                "ticker": f.ticker,
                "price_date": day,
                "error_code": f.code,
                "message": f.message,
                "source": source,
            }
            for f in failures
        ]
    )


def valuations(held: pd.DataFrame, closes: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Valuation rows of the positions held on `day`.

    `closes` (sessions × tickers) must reach back to the previous year's last session.
    """
    if held.empty:
        return pd.DataFrame()
    prev = calendar.previous_session(day)
    month_ref = calendar.last_session_of_previous_month(day)
    year_ref = calendar.last_session_of_previous_year(day)
    before = closes[closes.index < day]
    last_known = before.ffill().iloc[-1] if len(before) else pd.Series(dtype=float)
    frame = held.copy()
    frame["price"] = [_close(closes, t, day) for t in frame["ticker"]]
    frame["previous_close"] = [_close(closes, t, prev) for t in frame["ticker"]]
    frame["last_close"] = [float(last_known.get(t, math.nan)) for t in frame["ticker"]]
    frame["month_ref_date"] = month_ref
    frame["month_ref_close"] = [_close(closes, t, month_ref) for t in frame["ticker"]]
    frame["year_ref_date"] = year_ref
    frame["year_ref_close"] = [_close(closes, t, year_ref) for t in frame["ticker"]]
    frame["settlement_price"] = valuation.settlement_prices(frame, closes, day)
    references = {"previous_close": prev, "last_close": prev, "month_ref_close": month_ref, "year_ref_close": year_ref}
    out = valuation.value_positions(valuation.settle(frame, day, references), day)
    out["as_of_date"] = day
    out["quantity"] = out["quantity"].astype(float)
    out["multiplier"] = out["multiplier"].astype(int)
    columns = [
        "tenant_id",
        "as_of_date",
        "portfolio_id",
        "position_id",
        "ticker",
        "underlying",
        "position_type",
        "quantity",
        "multiplier",
        "entry_price",
        "entry_date",
        "price",
        "price_source",
        "previous_close",
        "market_value",
        "exposure",
        "cost_basis",
        "unrealized_pnl",
        "daily_pnl",
        "daily_pnl_fallback",
        "mtd_pnl",
        "ytd_pnl",
        "period_pnl_fallback",
        "mtd_pnl_fallback",
        "ytd_pnl_fallback",
        "expired",
        "realized_pnl",
        "exposure_pct_gross",
        "tags",
    ]
    return out[columns].reset_index(drop=True)


def position_greeks(held: pd.DataFrame, closes: pd.DataFrame, day: dt.date, settings: EquitySettings) -> pd.DataFrame:
    """Greeks rows for `day`.

    Volatility = the underlying's historical volatility over the last `volatility_window` sessions of `closes`
    (at least 10 returns, else the mock fallback).
    """
    if held.empty:
        return pd.DataFrame()
    window = closes[closes.index <= day].tail(settings.volatility_window + 1)
    vols: dict[str, float] = {}
    for underlying in held["underlying"].unique():
        if underlying in window.columns and window[underlying].notna().sum() >= 11:
            vols[str(underlying)] = greeks.historical_volatility(window[underlying], settings.volatility_window)
    frame = held[[*POSITION_KEYS, "underlying", "quantity", "multiplier", "strike", "expiry", "option_type"]].copy()
    frame["quantity"] = frame["quantity"].astype(float)
    frame["underlying_price"] = [_close(closes, u, day) for u in frame["underlying"]]
    out = greeks.position_greeks(frame.reset_index(drop=True), day, settings.risk_free_rate, vols)
    out["as_of_date"] = day
    out["risk_free_rate"] = settings.risk_free_rate
    columns = [
        "tenant_id",
        "as_of_date",
        "portfolio_id",
        "position_id",
        "ticker",
        "position_type",
        "source",
        "underlying_price",
        "volatility",
        "time_to_expiry",
        "risk_free_rate",
        *greeks.GREEKS,
        *(f"position_{g}" for g in greeks.GREEKS),
        "delta_adjusted_exposure",
    ]
    return out[columns]


STOCK_TYPES = ("LONG", "SHORT")


def beta_method(position_type: str) -> str:
    """`regression` for a stock (its own price returns); `underlying` for an option (its underlying's beta)."""
    return "regression" if position_type in STOCK_TYPES else "underlying"


def _position_returns(held: pd.DataFrame, closes: pd.DataFrame, sessions: list[dt.date]) -> pd.DataFrame:
    """(sessions × positions) daily price returns: a stock's own; an option's underlying's.

    An option's factor exposure is the delta-adjusted approximation: its delta-adjusted exposure times the
    underlying's beta. Its own price series is never regressed (a long put would get a negative beta and a
    negative exposure, adding long market exposure).
    """
    price_returns = factors.simple_returns(closes.reindex(sessions))
    series = {}
    for row in held.itertuples(index=False):
        ticker = row.ticker if row.position_type in STOCK_TYPES else row.underlying
        series[row.position_id] = price_returns.get(ticker, pd.Series(np.nan, index=sessions))
    return pd.DataFrame(series, index=sessions)


def factor_betas(
    held: pd.DataFrame,
    closes: pd.DataFrame,
    day_greeks: pd.DataFrame,
    gross: dict[tuple[str, str], float],
    day: dt.date,
    settings: EquitySettings,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Position betas, portfolio factor exposures and the market-wide factor diagnostics for `day`.

    The window is the last `beta_window` returns (beta_window + 1 sessions of prices ending on `day`).
    """
    sessions = calendar.sessions_back(day, settings.beta_window + 1)
    factor_returns = _factor_returns(closes, sessions, settings)
    diagnostics = _diagnostics(factor_returns, day, settings)
    if held.empty:
        return pd.DataFrame(), pd.DataFrame(), diagnostics
    returns = _position_returns(held, closes, sessions).iloc[1:]
    result = factors.ols_betas(returns.to_numpy().T, factor_returns.to_numpy().T, min_obs=settings.min_observations)
    expired = np.array(
        [valuation.is_expired(r.position_type, getattr(r, "expiry", None), day) for r in held.itertuples()]
    )
    beta = np.where(expired[:, None], np.nan, result.beta) if len(expired) else result.beta
    rows: list[dict[str, Any]] = []
    for i, row in enumerate(held.itertuples(index=False)):
        base = {
            "tenant_id": row.tenant_id,
            "as_of_date": day,
            "portfolio_id": row.portfolio_id,
            "position_id": row.position_id,
            "ticker": row.ticker,
            "method": beta_method(row.position_type),
        }
        for k, factor in enumerate(settings.factor_set):
            n = int(result.n_obs[i, k])
            ok = bool(np.isfinite(beta[i, k]))
            if expired[i]:
                rows.append(base | _expired_row(factor.name, factor.etf, n, getattr(row, "expiry", None)))
                continue
            rows.append(
                base
                | {
                    "factor": factor.name,
                    "etf": factor.etf,
                    "n_obs": n,
                    "status": "ok" if ok else "insufficient_data",
                    "reason": None if ok else f"{n} aligned daily returns < {settings.min_observations} required",
                }
                | {f: float(getattr(result, f)[i, k]) for f in factors.STAT_FIELDS if f != "n_obs"}
            )
        if not settings.short_interest.series_path:
            rows.append(base | _short_interest_row(settings.short_interest.name))
    betas = pd.DataFrame(rows)
    exposures = _portfolio_factors(held, beta, day_greeks, gross, day, settings)
    return betas, exposures, diagnostics


def _factor_returns(closes: pd.DataFrame, sessions: list[dt.date], settings: EquitySettings) -> pd.DataFrame:
    return factors.simple_returns(closes.reindex(index=sessions, columns=settings.factor_columns)).iloc[1:]


def factor_diagnostics(closes: pd.DataFrame, day: dt.date, settings: EquitySettings) -> pd.DataFrame:
    """The market-wide rows of `day`: the factor ETFs' correlations and VIFs (no tenant's positions enter)."""
    sessions = calendar.sessions_back(day, settings.beta_window + 1)
    return _diagnostics(_factor_returns(closes, sessions, settings), day, settings)


def _expired_row(factor: str, etf: str, n_obs: int, expiry_date: Any) -> dict[str, Any]:
    """An expired option's row for one factor: no beta and no exposure, with the reason."""
    nan = math.nan
    return {
        "factor": factor,
        "etf": etf,
        "n_obs": n_obs,
        "status": "expired",
        "reason": f"option expired on {expiry_date}: settled at intrinsic value, no factor exposure",
        **dict.fromkeys(("beta", "alpha", "r_squared", "t_stat", "std_error"), nan),
    }


def _short_interest_row(name: str = "Short Interest") -> dict[str, Any]:
    """The eighth factor's row when no series folder is configured: unavailable, never invented."""
    reason = "no short-interest series configured (factors.yaml short_interest.series_path); not computed"
    nan = math.nan
    return {
        "factor": name,
        "etf": None,
        "n_obs": 0,
        "status": "unavailable",
        "reason": reason,
        "beta": nan,
        "alpha": nan,
        "r_squared": nan,
        "t_stat": nan,
        "std_error": nan,
    }


def _portfolio_factors(
    held: pd.DataFrame,
    betas: np.ndarray,
    day_greeks: pd.DataFrame,
    gross: dict[tuple[str, str], float],
    day: dt.date,
    settings: EquitySettings,
) -> pd.DataFrame:
    # A position whose underlying had no price that day has a null DAE: it counts as absent, never as a crash.
    dae_by_position = (
        pd.to_numeric(day_greeks.set_index("position_id")["delta_adjusted_exposure"], errors="coerce")
        if len(day_greeks)
        else pd.Series(dtype=float)
    )
    rows = []
    held = held.reset_index(drop=True)
    for (tenant, portfolio), group in held.groupby(["tenant_id", "portfolio_id"], sort=True):
        idx = group.index.to_numpy()
        dae = np.array([float(dae_by_position.get(p, math.nan)) for p in group["position_id"]])
        port, dollars = factors.portfolio_exposures(dae, betas[idx], gross.get((tenant, portfolio), 0.0))
        for k, factor in enumerate(settings.factor_set):
            count = int((np.isfinite(betas[idx, k]) & np.isfinite(dae)).sum())
            rows.append(
                {
                    "tenant_id": tenant,
                    "as_of_date": day,
                    "portfolio_id": portfolio,
                    "factor": factor.name,
                    "etf": factor.etf,
                    "portfolio_beta": float(port[k]) if count else math.nan,
                    "dollar_exposure": float(dollars[k]) if count else math.nan,
                    "positions_with_beta": count,
                    "status": "ok" if count else "insufficient_data",
                    "reason": None if count else "no position has both a beta and a delta-adjusted exposure",
                }
            )
        if settings.short_interest.series_path:
            continue
        rows.append(
            {
                "tenant_id": tenant,
                "as_of_date": day,
                "portfolio_id": portfolio,
                "positions_with_beta": 0,
                "portfolio_beta": math.nan,
                "dollar_exposure": math.nan,
            }
            | {
                k: v
                for k, v in _short_interest_row(settings.short_interest.name).items()
                if k in ("factor", "etf", "status", "reason")
            }
        )
    return pd.DataFrame(rows)


def _diagnostics(factor_returns: pd.DataFrame, day: dt.date, settings: EquitySettings) -> pd.DataFrame:
    corr = factors.correlation_matrix(factor_returns)
    vif = factors.variance_inflation_factors(factor_returns)
    n = len(factor_returns.dropna())
    return pd.DataFrame(
        [
            {
                "tenant_id": MARKET_TENANT,
                "as_of_date": day,
                "factor": f.name,
                "etf": f.etf,
                "vif": vif.get(f.etf),
                "correlations": {str(k): (None if pd.isna(v) else float(v)) for k, v in corr[f.etf].items()}
                if f.etf in corr
                else {},
                "n_obs": n,
            }
            for f in settings.factor_set
        ]
    )


def risk_metrics(
    history: pd.DataFrame,
    spy_returns: pd.Series,
    day_greeks: pd.DataFrame,
    day_betas: pd.DataFrame,
    factor_returns: pd.DataFrame,
    day: dt.date,
    settings: EquitySettings,
) -> pd.DataFrame:
    """Per portfolio: empyrical metrics on its daily returns, and factor-model VaR from today's betas.

    `history`: per (tenant, portfolio, as_of_date) the summed daily_pnl and market_value up to `day`.
    """
    if history.empty:
        return pd.DataFrame()
    etfs = settings.factor_columns
    factor_observations = len(factor_returns[etfs].dropna())
    sample_cov = factors.covariance(factor_returns[etfs])
    ewma_cov = factors.covariance(factor_returns[etfs], settings.ewma_lambda)
    rows = []
    today = history[history["as_of_date"] == day]
    for row in today.itertuples(index=False):
        mine = history[(history["tenant_id"] == row.tenant_id) & (history["portfolio_id"] == row.portfolio_id)]
        mine = mine.sort_values("as_of_date").set_index("as_of_date")
        returns = risk.portfolio_returns(mine["daily_pnl"], mine["market_value"])
        metrics = risk.compute_metrics(
            returns,
            spy_returns,
            risk_free_rate=settings.risk_free_rate,
            risk_window=settings.risk_window,
            drawdown_window=settings.drawdown_window,
            confidence=settings.var_confidence,
            min_observations=settings.min_observations,
        )
        g = day_greeks[(day_greeks["tenant_id"] == row.tenant_id) & (day_greeks["portfolio_id"] == row.portfolio_id)]
        b = day_betas[(day_betas["tenant_id"] == row.tenant_id) & (day_betas["portfolio_id"] == row.portfolio_id)]
        matrix = b.pivot_table(index="position_id", columns="etf", values="beta").reindex(
            index=g["position_id"], columns=etfs
        )
        exposures = g["delta_adjusted_exposure"].to_numpy(dtype=float)
        values = metrics.as_dict()
        reasons: dict[str, str] = values.pop("reasons")
        why = _factor_var_reason(exposures, matrix.to_numpy(), factor_observations, settings.min_observations)
        if why is None:
            var_sample = risk.factor_var(exposures, matrix.to_numpy(), sample_cov, settings.var_confidence)
            var_ewma = risk.factor_var(exposures, matrix.to_numpy(), ewma_cov, settings.var_confidence)
        else:
            var_sample = var_ewma = math.nan
            reasons |= {"var_95_factor": why, "var_95_factor_ewma": why}
        rows.append(
            {
                "tenant_id": row.tenant_id,
                "as_of_date": day,
                "portfolio_id": row.portfolio_id,
                **values,
                "var_95_factor": var_sample,
                "var_95_factor_ewma": var_ewma,
                "gross_market_value": float(row.market_value),
                "risk_free_rate": settings.risk_free_rate,
                "status": "insufficient_data" if reasons else "ok",
                "reasons": reasons,
            }
        )
    return pd.DataFrame(rows)


def _factor_var_reason(exposures: np.ndarray, betas: np.ndarray, observations: int, required: int) -> str | None:
    """Why factor VaR cannot be computed (too few factor returns for Σ, or no exposure with a beta), else None.

    Its inputs are the factor ETFs' returns (Σ) and each position's beta, itself held to `min_observations`
    aligned returns; a position without a beta (or an expired option, DAE 0) adds nothing.
    """
    if observations < required:
        return risk.too_few(observations, required, "complete factor ETF returns")
    with_beta = np.isfinite(betas).any(axis=1) & np.isfinite(exposures) & (exposures != 0)
    if not with_beta.any():
        return "no position with an exposure has a factor beta"
    return None


def _clean(value: Any) -> float | None:
    """A figure for a JSON document: None when missing (NULL read back as None) or not finite."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def snapshots(
    day_valuations: pd.DataFrame,
    day_greeks: pd.DataFrame,
    day_factors: pd.DataFrame,
    day_risk: pd.DataFrame,
    day: dt.date,
) -> pd.DataFrame:
    """One row per portfolio: totals, exposures, P&L, Greeks by view, factor betas and risk metrics."""
    rows = []
    for (tenant, portfolio), group in day_valuations.groupby(["tenant_id", "portfolio_id"], sort=True):
        summary = valuation.summarize(group)
        g = day_greeks[(day_greeks["tenant_id"] == tenant) & (day_greeks["portfolio_id"] == portfolio)]
        f = day_factors[(day_factors["tenant_id"] == tenant) & (day_factors["portfolio_id"] == portfolio)]
        r = day_risk[(day_risk["tenant_id"] == tenant) & (day_risk["portfolio_id"] == portfolio)]
        keys = ("tenant_id", "as_of_date", "portfolio_id", "partition_key", "status", "reasons")
        metric_columns = [c for c in r.columns if c not in keys]
        rows.append(
            {
                "tenant_id": tenant,
                "as_of_date": day,
                "portfolio_id": portfolio,
                **{k: v for k, v in summary.items() if k not in ("long_count", "short_count")},
                "greeks": greeks.aggregate(g.rename(columns=lambda c: c)) if len(g) else {},
                "factor_betas": {str(x.factor): _clean(x.portfolio_beta) for x in f.itertuples()},
                "risk_metrics": {c: _clean(r.iloc[0][c]) for c in metric_columns} if len(r) else {},
            }
        )
    return pd.DataFrame(rows)
