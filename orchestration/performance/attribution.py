"""Brinson attribution by one or several group keys (conventions 9 and 10) and its linking over a period (11)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from orchestration.performance.backend import Backend, Number, attribution_k
from orchestration.performance.contribution import PositionMatrix
from orchestration.performance.inputs import UNCLASSIFIED, Benchmark, BrinsonModel, Linking, Position

SEPARATOR = "|"
"""Joins the values (and names) of several group keys into one label, in the keys' order."""


def group_label(keys: dict[str, str], key_set: Sequence[str]) -> str:
    """The group of a position or benchmark row for a set of keys: its values joined with `|` in that order."""
    return SEPARATOR.join(keys.get(k, UNCLASSIFIED) for k in key_set)


def key_sets(keys: Sequence[str]) -> list[tuple[str, ...]]:
    """Every non-empty subset of the benchmark's group keys, in the benchmark's order, single keys first."""
    return [combo for size in range(1, len(keys) + 1) for combo in combinations(keys, size)]


@dataclass(frozen=True)
class BenchmarkSide:
    """Benchmark weights and returns per group and day, B_t per day, and which days have any benchmark row."""

    weights: np.ndarray
    returns: np.ndarray
    total: np.ndarray
    has_day: np.ndarray
    covered: np.ndarray


def benchmark_total(b: Backend, benchmark: Benchmark | None, dates: Sequence[dt.date]) -> tuple[np.ndarray, np.ndarray]:
    """Convention 9: B_t = Σ w_b·r_b per day, and a mask of the days that have benchmark rows."""
    index = {d: t for t, d in enumerate(dates)}
    total = b.zeros(len(dates))
    has_day = np.zeros(len(dates), dtype=bool)
    for row in benchmark.rows if benchmark else ():
        t = index[row.date]
        total[t] = total[t] + b.scalar(row.weight) * b.scalar(row.ret)
        has_day[t] = True
    return total, has_day


def benchmark_side(
    b: Backend, benchmark: Benchmark, dates: Sequence[dt.date], key_set: Sequence[str], groups: Sequence[str]
) -> BenchmarkSide:
    """Benchmark rows aggregated to a set of group keys: w = Σ weight, r = Σ weight·return / Σ weight (0 if none)."""
    index = {d: t for t, d in enumerate(dates)}
    position = {g: i for i, g in enumerate(groups)}
    weights = b.zeros((len(groups), len(dates)))
    weighted = b.zeros((len(groups), len(dates)))
    covered = np.zeros((len(groups), len(dates)), dtype=bool)
    for row in benchmark.rows:
        g, t = position[group_label(row.key, key_set)], index[row.date]
        w = b.scalar(row.weight)
        weights[g, t] = weights[g, t] + w
        weighted[g, t] = weighted[g, t] + w * b.scalar(row.ret)
        covered[g, t] = True
    total, has_day = benchmark_total(b, benchmark, dates)
    return BenchmarkSide(
        weights=weights, returns=b.safe_div(weighted, weights), total=total, has_day=has_day, covered=covered
    )


def portfolio_side(
    b: Backend, m: PositionMatrix, positions: Sequence[Position], key_set: Sequence[str], groups: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Convention 9: w_p,g = Σ_g begin_mv / Σ begin_mv and r_p,g = Σ_g pnl / Σ_g begin_mv (BOD weights, GROSS)."""
    position = {g: i for i, g in enumerate(groups)}
    begin = b.zeros((len(groups), m.begin_mv.shape[1]))
    pnl = b.zeros(begin.shape)
    for i, p in enumerate(positions):
        g = position[group_label(p.group_keys, key_set)]
        begin[g] = begin[g] + m.begin_mv[i]
        pnl[g] = pnl[g] + m.pnl[i]
    total = begin.sum(axis=0) if len(groups) else b.zeros(begin.shape[1])
    return b.safe_div(begin, total[None, :]), b.safe_div(pnl, begin)


def daily_effects(w_p: np.ndarray, r_p: np.ndarray, bench: BenchmarkSide, model: BrinsonModel) -> dict[str, np.ndarray]:
    """Convention 10 per group and day: allocation, selection and interaction of one Brinson model.

    BF allocation (w_p − w_b)(r_b − B_t), BHB allocation (w_p − w_b)·r_b, selection w_b(r_p − r_b),
    interaction (w_p − w_b)(r_p − r_b).

    Days without any benchmark row get no effects, so their active return stays in the residual.
    """
    w_b, r_b = bench.weights, bench.returns
    active_weight = w_p - w_b
    benchmark_part = r_b - bench.total[None, :] if model == "BRINSON_FACHLER" else r_b
    allocation = active_weight * benchmark_part
    effects = {
        "allocation": allocation,
        "selection": w_b * (r_p - r_b),
        "interaction": active_weight * (r_p - r_b),
    }
    mask = bench.has_day[None, :]
    return {name: np.where(mask, value, value * 0) for name, value in effects.items()}


def link_effects(
    b: Backend,
    effects: np.ndarray,
    portfolio_daily: np.ndarray,
    bench_daily: np.ndarray,
    bounds: Sequence[tuple[int, int]],
    totals: Sequence[tuple[Number, Number]],
) -> dict[Linking, np.ndarray]:
    """Convention 11: NONE = Σ A_t; CARINO = Σ A_t·k_t/K; LOG = Σ A_t·k_t, with k(R, B) per day and K per period."""
    lo = np.array([lo for lo, _ in bounds], dtype=np.int64)
    hi = np.array([hi for _, hi in bounds], dtype=np.int64)
    k_daily = attribution_k(b, portfolio_daily, bench_daily)
    plain = b.prefix(effects)
    scaled = b.prefix(effects * k_daily[None, :])
    k_values = [attribution_k(b, r, bench) for r, bench in totals]
    k_period = b.array(k_values) if b.is_decimal else np.array(k_values, dtype=np.float64)
    log = scaled[:, hi] - scaled[:, lo]
    return {"NONE": plain[:, hi] - plain[:, lo], "CARINO": log / k_period[None, :], "LOG": log}
