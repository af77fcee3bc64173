"""Position contributions (convention 7) and their linking over a period (convention 8)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from orchestration.performance.backend import Backend, Number, carino_k
from orchestration.performance.inputs import Linking, Position, Weighting


@dataclass(frozen=True)
class PositionMatrix:
    """Position series as (positions × days) arrays aligned on the portfolio's dates; absent days are 0."""

    ids: tuple[str, ...]
    begin_mv: np.ndarray
    bod_cf: np.ndarray
    pnl: np.ndarray
    eod_cf: np.ndarray
    end_mv: np.ndarray
    present: np.ndarray


def position_matrix(b: Backend, positions: Sequence[Position], dates: Sequence[dt.date]) -> PositionMatrix:
    """Stack every position's series onto the portfolio calendar."""
    index = {d: t for t, d in enumerate(dates)}
    shape = (len(positions), len(dates))
    rows = [i for i, position in enumerate(positions) for _ in position.dates]
    cols = [index[d] for position in positions for d in position.dates]
    present = np.zeros(shape, dtype=bool)
    present[rows, cols] = True
    arrays: dict[str, np.ndarray] = {}
    for name in ("begin_mv", "bod_cf", "pnl", "eod_cf", "end_mv"):
        array = b.zeros(shape)
        array[rows, cols] = b.array([v for position in positions for v in getattr(position, name)])
        arrays[name] = array
    return PositionMatrix(ids=tuple(p.id for p in positions), present=present, **arrays)


def position_returns(b: Backend, m: PositionMatrix) -> np.ndarray:
    """Convention 3: r_i = pnl_i / begin_mv_i, and 0 when begin_mv_i is 0."""
    return b.safe_div(m.pnl, m.begin_mv)


def capital(b: Backend, m: PositionMatrix, weighting: Weighting) -> np.ndarray:
    """Convention 7: BOD = begin_mv; AVG_CAPITAL = (begin_mv − bod_cf) + ½(bod_cf + eod_cf); TWR_DENOM = |begin_mv|."""
    if weighting == "BOD":
        return m.begin_mv
    if weighting == "AVG_CAPITAL":
        half = b.scalar("0.5")
        return (m.begin_mv - m.bod_cf) + half * (m.bod_cf + m.eod_cf)
    return b.abs(m.begin_mv)


@dataclass(frozen=True)
class DailyContributions:
    """One weighting's daily weights and contributions (positions × days) and the NET fee line (days)."""

    weighting: Weighting
    weights: np.ndarray
    contributions: np.ndarray
    fee_line: np.ndarray


def daily_contributions(
    b: Backend, m: PositionMatrix, returns: np.ndarray, fees: np.ndarray, weighting: Weighting
) -> DailyContributions:
    """Convention 7: c_i,t = w_i,t × r_i,t with w = cap / Σ cap; the NET fee line is fees_t / Σ cap.

    Fees are negative for charges (seed 002), so a charge gives a negative fee line and a rebate a positive one.
    """
    cap = capital(b, m, weighting)
    total = cap.sum(axis=0) if cap.shape[0] else b.zeros(cap.shape[1])
    weights = b.safe_div(cap, total[None, :])
    return DailyContributions(
        weighting=weighting,
        weights=weights,
        contributions=weights * returns,
        fee_line=b.safe_div(fees, total),
    )


def period_bounds(dates: Sequence[dt.date], start: dt.date, end: dt.date) -> tuple[int, int]:
    """Row indices [lo, hi) of the dates inside the inclusive period [start, end]."""
    import bisect

    return bisect.bisect_left(dates, start), bisect.bisect_right(dates, end)


def link_lines(
    b: Backend,
    lines: np.ndarray,
    portfolio_daily: np.ndarray,
    bounds: Sequence[tuple[int, int]],
    period_returns: Sequence[Number],
) -> dict[Linking, np.ndarray]:
    """Convention 8: linked line values (lines × periods) for NONE, CARINO and LOG.

    NONE = Σ_t c; CARINO = Σ_t c·k(R_t)/k(R); LOG = Σ_t c·k(R_t), with k(x) = ln(1 + x)/x, k(0) = 1, the
    portfolio's daily returns R_t of the selected basis and each period's own R (every period relinked).
    Period sums come from prefix sums, so each line is summed once whatever the number of periods.
    """
    lo = np.array([lo for lo, _ in bounds], dtype=np.int64)
    hi = np.array([hi for _, hi in bounds], dtype=np.int64)
    k_daily = carino_k(b, portfolio_daily)
    plain = b.prefix(lines)
    scaled = b.prefix(lines * k_daily[None, :])
    k_period = (
        b.array(carino_k(b, r) for r in period_returns)
        if b.is_decimal
        else np.array([carino_k(b, r) for r in period_returns], dtype=np.float64)
    )
    log = scaled[:, hi] - scaled[:, lo]
    return {"NONE": plain[:, hi] - plain[:, lo], "CARINO": log / k_period[None, :], "LOG": log}
