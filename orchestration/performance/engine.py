"""Everything one performance file yields, as frames shaped like the analytics tables.

`prepare` resolves periods and the portfolio's daily and period returns once; `returns_frames`,
`contribution_frames` and `attribution_frames` materialize every basis, annualization basis,
weighting, linking, Brinson model and period so the API only selects (issue: "Input").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from orchestration.performance.attribution import (
    SEPARATOR,
    benchmark_side,
    benchmark_total,
    daily_effects,
    group_label,
    key_sets,
    link_effects,
    portfolio_side,
)
from orchestration.performance.backend import DECIMAL_CONTEXT, Backend, Number, backend_for
from orchestration.performance.contribution import (
    PositionMatrix,
    daily_contributions,
    link_lines,
    period_bounds,
    position_matrix,
    position_returns,
)
from orchestration.performance.inputs import (
    ANNUALIZATION_BASES,
    BRINSON_MODELS,
    FEES_LINE,
    METRIC_BASES,
    RETURN_BASES,
    WEIGHTINGS,
    PerformanceInput,
    ReturnBasis,
)
from orchestration.performance.periods import Period, resolve_periods
from orchestration.performance.returns import annualize, daily_returns, modified_dietz, should_annualize, twr, years

BP = 10_000


@dataclass
class Prepared:
    """Periods, row bounds and the portfolio/benchmark returns every frame builder shares."""

    inp: PerformanceInput
    b: Backend
    dates: list[dt.date]
    periods: list[Period]
    bounds: list[tuple[int, int]]
    daily: dict[ReturnBasis, np.ndarray]
    period_returns: dict[ReturnBasis, list[Number]]
    bench_daily: np.ndarray
    bench_has_day: np.ndarray
    bench_period: list[Number]
    notes: list[str] = field(default_factory=list)

    _matrix: PositionMatrix | None = None

    @property
    def matrix(self) -> PositionMatrix:
        """Position series on the portfolio calendar, built once for contributions and attribution."""
        if self._matrix is None:
            self._matrix = position_matrix(self.b, self.inp.positions, self.dates)
        return self._matrix

    @property
    def has_benchmark(self) -> bool:
        return self.inp.benchmark is not None and bool(self.inp.benchmark.rows)


def prepare(inp: PerformanceInput) -> Prepared:
    """Resolve periods (convention 5) and compute daily and period TWRs for both bases (2, 4)."""
    with _mode_context(inp.config.precision_mode == "DECIMAL_STRICT"):
        return _prepare(inp)


def _prepare(inp: PerformanceInput) -> Prepared:
    b = backend_for(inp.config.precision_mode)
    dates = inp.dates
    try:
        periods = resolve_periods(inp.config.periods, inp.config.as_of, inp.config.inception_date)
    except ValueError as exc:
        from orchestration.core.errors import InputError

        raise InputError("PERFORMANCE_INVALID_CONFIG", str(exc), "config.periods") from exc
    bounds = [period_bounds(dates, p.start, p.end) for p in periods]
    daily = {basis: daily_returns(b, inp.series, basis) for basis in RETURN_BASES}
    period_returns = {basis: [twr(b, daily[basis][lo:hi]) for lo, hi in bounds] for basis in RETURN_BASES}
    bench_daily, has_day = benchmark_total(b, inp.benchmark, dates)
    prepared = Prepared(
        inp=inp,
        b=b,
        dates=dates,
        periods=periods,
        bounds=bounds,
        daily=daily,
        period_returns=period_returns,
        bench_daily=bench_daily,
        bench_has_day=has_day,
        bench_period=[twr(b, bench_daily[lo:hi]) for lo, hi in bounds],
        notes=list(inp.notes),
    )
    _period_notes(prepared)
    _benchmark_notes(prepared)
    return prepared


def _period_notes(p: Prepared) -> None:
    for period, (lo, hi) in zip(p.periods, p.bounds, strict=True):
        if period.clipped_to_inception:
            p.notes.append(
                f"clipped_to_inception: {period.name} starts {period.requested_start}, clipped to {period.start}"
            )
        if hi <= lo:
            p.notes.append(f"period_without_rows: {period.name} ({period.start}..{period.end}) has no daily rows")


def _benchmark_notes(p: Prepared) -> None:
    """Seed 002: benchmark days or groups missing for attribution days are noted (and leave a residual)."""
    bench = p.inp.benchmark
    if bench is None:
        return
    missing = [d for d, has in zip(p.dates, p.bench_has_day, strict=True) if not has]
    if missing:
        p.notes.append(
            f"benchmark_missing_days: {len(missing)} attribution day(s) without benchmark rows, first {missing[0]}; "
            "their active return is left in the attribution residual"
        )
    if not p.inp.positions:
        return
    held = np.asarray(p.matrix.begin_mv != 0) & p.bench_has_day[None, :]
    for key in bench.group_keys:
        labels = np.array([group_label(pos.group_keys, (key,)) for pos in p.inp.positions], dtype=object)
        groups = sorted(set(labels.tolist()) | {row.key[key] for row in bench.rows})
        covered = benchmark_side(p.b, bench, p.dates, (key,), groups).covered
        gaps: dict[str, int] = {}
        for g, group in enumerate(groups):
            count = int((held[labels == group] & ~covered[g][None, :]).sum())
            if count:
                gaps[group] = count
        if gaps:
            detail = ", ".join(f"{g} ({n} position-day(s))" for g, n in sorted(gaps.items()))
            p.notes.append(f"benchmark_missing_groups: {key}: {detail}; weight 0 and return 0 assumed")


def _out(b: Backend, values: Any) -> Any:
    """A column of results: the backend's array itself (Decimal objects or float64), never converted."""
    if isinstance(values, np.ndarray):
        return values
    return b.array(values)


def portfolio_record(p: Prepared) -> dict[str, Any]:
    """The one row of analytics.performance_portfolios: identity, effective config and diagnostics."""
    inp = p.inp
    return {
        "portfolio_id": inp.portfolio_id,
        "base_currency": inp.base_currency,
        "precision_mode": inp.config.precision_mode,
        "as_of": inp.config.as_of,
        "inception_date": inp.config.inception_date,
        "first_date": p.dates[0],
        "last_date": p.dates[-1],
        "daily_rows": len(p.dates),
        "position_count": len(inp.positions),
        "position_group_keys": inp.position_group_keys,
        "benchmark_group_keys": list(inp.benchmark.group_keys) if inp.benchmark else [],
        "period_names": [period.name for period in p.periods],
        "config": inp.config.echo(),
        "notes": p.notes,
        "residuals": {k: str(v) for k, v in inp.residuals.items()},
    }


def returns_frames(p: Prepared) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(portfolio row, daily returns, period returns per basis and annualization basis)."""
    with _context(p):
        return pd.DataFrame([portfolio_record(p)]), _daily_frame(p), _period_frame(p)


def _cumulative(b: Backend, daily: np.ndarray) -> np.ndarray:
    return np.cumprod(daily + b.one) - b.one


def _daily_frame(p: Prepared) -> pd.DataFrame:
    b, series = p.b, p.inp.series
    bench: list[Number | None] = [
        v if has else None for v, has in zip(_out(b, p.bench_daily), p.bench_has_day, strict=True)
    ]
    frame = pd.DataFrame(
        {
            "portfolio_id": p.inp.portfolio_id,
            "date": p.dates,
            **{
                name: _out(b, (getattr(d, name) for d in series))
                for name in ("begin_mv", "bod_cf", "fees", "tx_costs", "eod_cf", "end_mv")
            },
            "return_net": _out(b, p.daily["NET"]),
            "return_gross": _out(b, p.daily["GROSS"]),
            "benchmark_return": bench,
            "cumulative_net": _out(b, _cumulative(b, p.daily["NET"])),
            "cumulative_gross": _out(b, _cumulative(b, p.daily["GROSS"])),
            "cumulative_benchmark": _out(b, _cumulative(b, p.bench_daily)) if p.has_benchmark else None,
        }
    )
    return frame.astype({"benchmark_return": object, "cumulative_benchmark": object})


def _period_frame(p: Prepared) -> pd.DataFrame:
    b, cfg = p.b, p.inp.config
    rows: list[dict[str, Any]] = []
    for i, (period, (lo, hi)) in enumerate(zip(p.periods, p.bounds, strict=True)):
        count = max(hi - lo, 0)
        for basis in RETURN_BASES:
            total = p.period_returns[basis][i]
            dietz = (
                modified_dietz(b, p.inp.series, period.start, period.end)
                if (period.type == "ITD" and basis == "NET")
                else None
            )
            for ann_basis in ANNUALIZATION_BASES:
                yrs = years(b, ann_basis, period.start, period.end, count)
                do_it, short = should_annualize(
                    yrs, enabled=cfg.annualization_enabled, allow_short=cfg.annualize_short_periods
                )
                rows.append(
                    {
                        "portfolio_id": p.inp.portfolio_id,
                        "period_name": period.name,
                        "period_type": period.type,
                        "start_date": period.start,
                        "end_date": period.end,
                        "requested_start_date": period.requested_start,
                        "is_clipped_to_inception": period.clipped_to_inception,
                        "metric_basis": basis,
                        "annualization_basis": ann_basis,
                        "daily_rows": count,
                        "calendar_days": period.calendar_days,
                        "twr": b.to_output(total),
                        "years": b.to_output(yrs),
                        "annualized_return": b.to_output(annualize(b, total, yrs)) if do_it else None,
                        "is_shorter_than_one_year": short,
                        "is_annualized": do_it,
                        "modified_dietz": b.to_output(dietz),
                        "benchmark_return": b.to_output(p.bench_period[i]) if p.has_benchmark else None,
                    }
                )
    return pd.DataFrame(rows).astype(
        {"annualized_return": object, "modified_dietz": object, "benchmark_return": object}
    )


def _context(p: Prepared) -> Any:
    return _mode_context(p.b.is_decimal)


def _mode_context(is_decimal: bool) -> Any:
    """DECIMAL_CONTEXT (convention 1's precision) around Decimal work; nothing for float64."""
    return decimal.localcontext(DECIMAL_CONTEXT) if is_decimal else contextlib.nullcontext()


@dataclass
class ContributionFrames:
    positions: pd.DataFrame
    position_daily: pd.DataFrame
    lines: pd.DataFrame
    totals: pd.DataFrame


def contribution_frames(p: Prepared) -> ContributionFrames:
    """Daily weights and contributions per weighting, and linked lines per period × basis × weighting × linking."""
    with _context(p):
        return _contribution_frames(p)


def _contribution_frames(p: Prepared) -> ContributionFrames:
    b, inp = p.b, p.inp
    m = p.matrix
    r = position_returns(b, m)
    fees = b.array(d.fees for d in inp.series)
    per_weighting = {w: daily_contributions(b, m, r, fees, w) for w in WEIGHTINGS}
    n, ids = len(inp.positions), list(m.ids)
    period_names = [period.name for period in p.periods]
    line_parts: list[pd.DataFrame] = []
    total_rows: list[dict[str, Any]] = []
    for weighting, dc in per_weighting.items():
        for basis in METRIC_BASES:
            lines = dc.contributions
            line_ids = ids
            if basis == "NET":  # convention 7: the NET basis adds the __FEES__ line
                lines = np.vstack([lines, dc.fee_line[None, :]]) if n else dc.fee_line[None, :]
                line_ids = [*ids, FEES_LINE]
            if not line_ids:
                continue
            linked = link_lines(b, lines, p.daily[basis], p.bounds, p.period_returns[basis])
            for linking, values in linked.items():
                line_parts.append(
                    pd.DataFrame(
                        {
                            "period_name": np.repeat(
                                np.array(period_names, dtype=object)[None, :], len(line_ids), axis=0
                            ).ravel(),
                            "metric_basis": basis,
                            "weighting": weighting,
                            "linking": linking,
                            "position_id": np.repeat(np.array(line_ids, dtype=object), len(period_names)),
                            "contribution": _out(b, values.ravel()),
                        }
                    )
                )
                sums = values.sum(axis=0)
                for j, name in enumerate(period_names):
                    total_rows.append(
                        _line_total(
                            p, name, basis, weighting, linking, p.period_returns[basis][j], sums[j], len(line_ids)
                        )
                    )
    lines_frame = (
        pd.concat(line_parts, ignore_index=True)
        if line_parts
        else pd.DataFrame(
            columns=["period_name", "metric_basis", "weighting", "linking", "position_id", "contribution"]
        )
    )
    lines_frame.insert(0, "portfolio_id", inp.portfolio_id)
    totals = pd.DataFrame(total_rows, columns=list(_TOTAL_COLUMNS)).astype({"residual_vs_log_bp": object})
    return ContributionFrames(
        positions=_positions_frame(p),
        position_daily=_position_daily_frame(p, m, r, per_weighting),
        lines=lines_frame,
        totals=totals,
    )


_TOTAL_COLUMNS = (
    "portfolio_id",
    "period_name",
    "metric_basis",
    "weighting",
    "linking",
    "portfolio_return",
    "lines_total",
    "residual_bp",
    "residual_vs_log_bp",
    "line_count",
)


def _line_total(
    p: Prepared, period: str, basis: str, weighting: str, linking: str, total: Number, lines: Number, count: int
) -> dict[str, Any]:
    """Convention 8: residual_bp = (R − Σ lines) × 10,000; LOG adds (ln(1 + R) − Σ lines) × 10,000."""
    b = p.b
    vs_log = (b.ln1p(total) - lines) * BP if linking == "LOG" else None
    return {
        "portfolio_id": p.inp.portfolio_id,
        "period_name": period,
        "metric_basis": basis,
        "weighting": weighting,
        "linking": linking,
        "portfolio_return": b.to_output(total),
        "lines_total": b.to_output(lines),
        "residual_bp": b.to_output((total - lines) * BP),
        "residual_vs_log_bp": b.to_output(vs_log),
        "line_count": count,
    }


def _positions_frame(p: Prepared) -> pd.DataFrame:
    rows = [
        {
            "portfolio_id": p.inp.portfolio_id,
            "position_id": pos.id,
            "name": pos.name,
            "group_keys": pos.group_keys,
            "first_date": pos.dates[0] if pos.dates else None,
            "last_date": pos.dates[-1] if pos.dates else None,
            "daily_rows": len(pos.dates),
        }
        for pos in p.inp.positions
    ]
    rows.append(
        {
            "portfolio_id": p.inp.portfolio_id,
            "position_id": FEES_LINE,
            "name": "Fees (NET basis only)",
            "group_keys": {},
            "first_date": p.dates[0],
            "last_date": p.dates[-1],
            "daily_rows": len(p.dates),
        }
    )
    return pd.DataFrame(rows).astype({"first_date": object, "last_date": object})


def _position_daily_frame(p: Prepared, m: Any, r: np.ndarray, per_weighting: dict[str, Any]) -> pd.DataFrame:
    b = p.b
    pos_idx, day_idx = np.nonzero(m.present)
    dates = np.array(p.dates, dtype=object)
    columns: dict[str, Any] = {
        "position_id": np.array(m.ids, dtype=object)[pos_idx] if len(m.ids) else np.array([], dtype=object),
        "date": dates[day_idx],
    }
    for name in ("begin_mv", "bod_cf", "pnl", "eod_cf", "end_mv"):
        columns[name] = _out(b, getattr(m, name)[pos_idx, day_idx])
    columns["daily_return"] = _out(b, r[pos_idx, day_idx])
    suffix = {"BOD": "bod", "AVG_CAPITAL": "avg_capital", "TWR_DENOM": "twr_denom"}
    for weighting, dc in per_weighting.items():
        columns[f"weight_{suffix[weighting]}"] = _out(b, dc.weights[pos_idx, day_idx])
        columns[f"contribution_{suffix[weighting]}"] = _out(b, dc.contributions[pos_idx, day_idx])
    frame = pd.DataFrame(columns)
    fees = pd.DataFrame({"position_id": FEES_LINE, "date": p.dates})
    for weighting, dc in per_weighting.items():
        fees[f"contribution_{suffix[weighting]}"] = _out(b, dc.fee_line)
    frame = pd.concat([frame, fees], ignore_index=True) if len(frame) else fees.reindex(columns=frame.columns)
    frame.insert(0, "portfolio_id", p.inp.portfolio_id)
    return frame


@dataclass
class AttributionFrames:
    effects: pd.DataFrame
    totals: pd.DataFrame


_EFFECTS = ("allocation", "selection", "interaction")


def attribution_frames(p: Prepared) -> AttributionFrames:
    """Brinson BF and BHB per set of benchmark group keys, linked NONE/CARINO/LOG per period (conventions 9–11).

    A set of several keys is stored under its keys joined with `|` in the benchmark's order (say
    `sector|region`), its groups likewise (`Technology|US`); the API reorders them as asked.
    """
    with _context(p):
        return _attribution_frames(p)


def _attribution_frames(p: Prepared) -> AttributionFrames:
    b, inp = p.b, p.inp
    effect_rows: list[pd.DataFrame] = []
    total_rows: list[dict[str, Any]] = []
    bench = inp.benchmark
    if bench is None or not bench.rows:
        return AttributionFrames(
            effects=pd.DataFrame(columns=list(_EFFECT_COLUMNS)), totals=pd.DataFrame(columns=list(_ATTR_TOTAL_COLUMNS))
        )
    m = p.matrix
    r_gross = p.daily["GROSS"]  # convention 9: attribution is on the GROSS basis
    totals = list(zip(p.period_returns["GROSS"], p.bench_period, strict=True))
    names = [period.name for period in p.periods]
    for key_set in key_sets(bench.group_keys):
        key = SEPARATOR.join(key_set)
        labels = {group_label(pos.group_keys, key_set) for pos in inp.positions}
        groups = sorted(labels | {group_label(row.key, key_set) for row in bench.rows})
        w_p, r_p = portfolio_side(b, m, inp.positions, key_set, groups)
        side = benchmark_side(b, bench, p.dates, key_set, groups)
        for model in BRINSON_MODELS:
            daily = daily_effects(w_p, r_p, side, model)
            linked = {name: link_effects(b, daily[name], r_gross, side.total, p.bounds, totals) for name in _EFFECTS}
            for linking in ("NONE", "CARINO", "LOG"):
                values = {name: linked[name][linking] for name in _EFFECTS}
                per_group = values["allocation"] + values["selection"] + values["interaction"]
                effect_rows.append(
                    pd.DataFrame(
                        {
                            "period_name": np.repeat(
                                np.array(names, dtype=object)[None, :], len(groups), axis=0
                            ).ravel(),
                            "group_key": key,
                            "model": model,
                            "linking": linking,
                            "group_value": np.repeat(np.array(groups, dtype=object), len(names)),
                            **{name: _out(b, values[name].ravel()) for name in _EFFECTS},
                            "total": _out(b, per_group.ravel()),
                        }
                    )
                )
                sums = {name: values[name].sum(axis=0) for name in _EFFECTS}
                for j, name in enumerate(names):
                    total_rows.append(
                        _effect_total(p, name, key, model, linking, totals[j], {e: sums[e][j] for e in _EFFECTS})
                    )
    effects = pd.concat(effect_rows, ignore_index=True)
    effects.insert(0, "portfolio_id", inp.portfolio_id)
    return AttributionFrames(effects=effects, totals=pd.DataFrame(total_rows).astype({"residual_vs_log_bp": object}))


_EFFECT_COLUMNS = ("portfolio_id", "period_name", "group_key", "model", "linking", "group_value", *_EFFECTS, "total")
_ATTR_TOTAL_COLUMNS = (
    "portfolio_id",
    "period_name",
    "group_key",
    "model",
    "linking",
    "portfolio_return",
    "benchmark_return",
    "active_return",
    *_EFFECTS,
    "total_effects",
    "residual_bp",
    "residual_vs_log_bp",
)


def _effect_total(
    p: Prepared, period: str, key: str, model: str, linking: str, rb: tuple[Number, Number], sums: dict[str, Number]
) -> dict[str, Any]:
    """Convention 11: residual_bp = ((R − B) − Σ effects) × 10,000; LOG adds the residual against ln(1+R) − ln(1+B)."""
    b = p.b
    r, bench = rb
    total = sums["allocation"] + sums["selection"] + sums["interaction"]
    vs_log = (b.ln_ratio(r, bench) - total) * BP if linking == "LOG" else None
    return {
        "portfolio_id": p.inp.portfolio_id,
        "period_name": period,
        "group_key": key,
        "model": model,
        "linking": linking,
        "portfolio_return": b.to_output(r),
        "benchmark_return": b.to_output(bench),
        "active_return": b.to_output(r - bench),
        **{name: b.to_output(sums[name]) for name in _EFFECTS},
        "total_effects": b.to_output(total),
        "residual_bp": b.to_output(((r - bench) - total) * BP),
        "residual_vs_log_bp": b.to_output(vs_log),
    }


def as_decimal(value: Number | None) -> Decimal | None:
    """A stored value as Decimal (floats through their shortest repr) for comparisons and formatting."""
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(repr(float(value)))
