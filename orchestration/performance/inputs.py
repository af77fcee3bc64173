"""Parse and validate a seed-002 performance file: portfolio, series, positions, benchmark and config.

Numbers are read from their JSON text into `Decimal` (never through float, convention 1). Hard
failures raise a typed `InputError` naming the date and field; soft problems (positions that do not
reconcile, benchmark gaps) become diagnostic notes and show up as residuals downstream.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, NamedTuple

import numpy as np

from orchestration.core import safe_parse
from orchestration.core.errors import InputError
from orchestration.performance.backend import PRECISION_MODES, Number, PrecisionMode
from orchestration.performance.periods import PERIOD_TYPES, PeriodSpec

MetricBasis = Literal["NET", "GROSS"]
ReturnBasis = Literal["NET", "GROSS", "PURE_GROSS"]
AnnualizationBasis = Literal["ACT_365", "BUS_252", "ACT_ACT"]
Linking = Literal["NONE", "CARINO", "LOG"]
Weighting = Literal["BOD", "AVG_CAPITAL", "TWR_DENOM"]
BrinsonModel = Literal["BRINSON_FACHLER", "BRINSON_HOOD_BEEBOWER"]

METRIC_BASES: tuple[MetricBasis, ...] = ("NET", "GROSS")
RETURN_BASES: tuple[ReturnBasis, ...] = ("NET", "GROSS", "PURE_GROSS")
"""Portfolio returns also come PURE_GROSS (tx costs added back too); contribution and attribution use METRIC_BASES."""
ANNUALIZATION_BASES: tuple[AnnualizationBasis, ...] = ("ACT_365", "BUS_252", "ACT_ACT")
LINKINGS: tuple[Linking, ...] = ("NONE", "CARINO", "LOG")
WEIGHTINGS: tuple[Weighting, ...] = ("BOD", "AVG_CAPITAL", "TWR_DENOM")
BRINSON_MODELS: tuple[BrinsonModel, ...] = ("BRINSON_FACHLER", "BRINSON_HOOD_BEEBOWER")

CENT = Decimal("0.01")
"""Continuity and reconciliation tolerance: one cent (the issue's "within a cent")."""

FEES_LINE = "__FEES__"
"""Convention 7: the NET basis's extra contribution line for fees."""


class PortfolioDay(NamedTuple):
    """One row of the portfolio series (convention 2: begin_mv after BOD flow, end_mv after EOD flow and costs).

    Seed 002 signs: fees and tx_costs are negative for charges; a positive value is a rebate.
    """

    date: dt.date
    begin_mv: Number
    bod_cf: Number
    fees: Number
    tx_costs: Number
    eod_cf: Number
    end_mv: Number


class PositionDay(NamedTuple):
    """One row of a position series; pnl is after transaction costs and before fees (convention 3)."""

    date: dt.date
    begin_mv: Number
    bod_cf: Number
    pnl: Number
    eod_cf: Number
    end_mv: Number


@dataclass(frozen=True)
class Position:
    """A position's identity, group keys and its series as columns (one entry per row, dates increasing)."""

    id: str
    name: str
    group_keys: dict[str, str]
    dates: tuple[dt.date, ...]
    begin_mv: tuple[Number, ...]
    bod_cf: tuple[Number, ...]
    pnl: tuple[Number, ...]
    eod_cf: tuple[Number, ...]
    end_mv: tuple[Number, ...]

    @property
    def series(self) -> list[PositionDay]:
        return [
            PositionDay(*row)
            for row in zip(self.dates, self.begin_mv, self.bod_cf, self.pnl, self.eod_cf, self.end_mv, strict=True)
        ]


@dataclass(frozen=True)
class BenchmarkRow:
    date: dt.date
    key: dict[str, str]
    weight: Number
    ret: Number


@dataclass(frozen=True)
class Benchmark:
    mode: str
    group_keys: tuple[str, ...]
    rows: tuple[BenchmarkRow, ...]


SIGN_CONVENTION = (
    "seed 002: fees and tx_costs are negative for a charge (a positive value is a rebate, accepted and noted); "
    "position pnl is after transaction costs and before fees (convention 3)"
)
"""The sign convention every performance figure is computed under (recorded in its lineage)."""


@dataclass(frozen=True)
class PerformanceConfig:
    """The file's config with every default filled in; `echo` is what the API reports as effective config."""

    precision_mode: PrecisionMode
    rounding: int | None
    periods: tuple[PeriodSpec, ...]
    annualization_enabled: bool
    annualization_basis: AnnualizationBasis
    annualize_short_periods: bool
    metric_basis: MetricBasis
    linking: Linking
    weighting: Weighting
    as_of: dt.date
    inception_date: dt.date

    def echo(self) -> dict[str, Any]:
        return {
            "precision_mode": self.precision_mode,
            "rounding": self.rounding,
            "periods": [p.echo() for p in self.periods],
            "annualization": {"enabled": self.annualization_enabled, "basis": self.annualization_basis},
            "annualize_periods_shorter_than_one_year": self.annualize_short_periods,
            "metric_basis": self.metric_basis,
            "linking": self.linking,
            "weighting": self.weighting,
            "as_of": self.as_of.isoformat(),
            "inception_date": self.inception_date.isoformat(),
        }


@dataclass
class PerformanceInput:
    """A validated performance file."""

    portfolio_id: str
    base_currency: str
    series: tuple[PortfolioDay, ...]
    positions: tuple[Position, ...]
    benchmark: Benchmark | None
    config: PerformanceConfig
    notes: list[str] = field(default_factory=list)
    residuals: dict[str, Number] = field(default_factory=dict)

    @property
    def dates(self) -> list[dt.date]:
        return [d.date for d in self.series]

    @property
    def position_group_keys(self) -> list[str]:
        """Every group key any position carries, in first-seen order."""
        keys: dict[str, None] = {}
        for position in self.positions:
            keys.update(dict.fromkeys(position.group_keys))
        return list(keys)


def _fail(code: str, message: str, where: str) -> InputError:
    return InputError(code, message, where)


def _reject_constant(name: str) -> Decimal:
    raise ValueError(f"{name} is not a number")


_EXACT: ContextVar[bool] = ContextVar("performance_exact_numbers", default=True)
"""True while parsing a DECIMAL_STRICT file (numbers become Decimal), False for FLOAT64 (float)."""


def load_json(text: str | bytes, where: str, *, exact: bool = True) -> Any:
    """JSON with every number read from its text: as Decimal when exact, else as the nearest float."""
    parse: Any = Decimal if exact else float
    return safe_parse.load_json(
        text,
        code="PERFORMANCE_INVALID_JSON",
        where=where,
        parse_float=parse,
        parse_int=parse,
        parse_constant=_reject_constant,
    )


def _number(value: Any, where: str, *, default: Number | None = None) -> Any:
    """A JSON number or numeric string: Decimal from its text (DECIMAL_STRICT) or the nearest float (FLOAT64)."""
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or value is None or isinstance(value, Mapping | list):
        raise _fail("PERFORMANCE_INVALID_VALUE", f"expected a number, got {value!r}", where)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise _fail("PERFORMANCE_INVALID_VALUE", f"expected a number, got {value!r}", where) from exc
    if not number.is_finite():
        raise _fail("PERFORMANCE_INVALID_VALUE", f"expected a finite number, got {value!r}", where)
    return number if _EXACT.get() else float(number)


def _date(value: Any, where: str) -> dt.date:
    if not isinstance(value, str):
        raise _fail("PERFORMANCE_INVALID_VALUE", f"expected an ISO date YYYY-MM-DD, got {value!r}", where)
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise _fail("PERFORMANCE_INVALID_VALUE", f"expected an ISO date YYYY-MM-DD, got {value!r}", where) from exc


def _int(value: Any, where: str, *, minimum: int) -> int:
    numeric = isinstance(value, Decimal | float) and math.isfinite(value)
    if numeric and value == int(value) and value >= minimum:
        return int(value)
    raise _fail("PERFORMANCE_INVALID_CONFIG", f"expected an integer ≥ {minimum}, got {value!r}", where)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail("PERFORMANCE_INVALID_VALUE", f"expected an object, got {type(value).__name__}", where)
    return value


def _list(value: Any, where: str) -> Sequence[Any]:
    if not isinstance(value, list):
        raise _fail("PERFORMANCE_INVALID_VALUE", f"expected a list, got {type(value).__name__}", where)
    return value


def _required(obj: Mapping[str, Any], name: str, where: str) -> Any:
    if name not in obj or obj[name] is None:
        raise _fail("PERFORMANCE_MISSING_FIELD", f"required field {name!r} is missing", f"{where}.{name}")
    return obj[name]


def _enum(value: Any, allowed: Sequence[str], where: str) -> Any:
    if value not in allowed:
        raise _fail("PERFORMANCE_INVALID_CONFIG", f"{value!r} is not one of {', '.join(allowed)}", where)
    return value


def _check_increasing(dates: Sequence[dt.date], where: str) -> None:
    for i in range(1, len(dates)):
        if dates[i] == dates[i - 1]:
            raise _fail("PERFORMANCE_DUPLICATE_DATE", f"date {dates[i]} appears twice", f"{where}[{i}].date")
        if dates[i] < dates[i - 1]:
            raise _fail(
                "PERFORMANCE_DATES_NOT_INCREASING",
                f"date {dates[i]} comes after {dates[i - 1]}; dates must be strictly increasing",
                f"{where}[{i}].date",
            )


def _parse_series(raw: Any) -> tuple[PortfolioDay, ...]:
    rows = _list(raw, "series")
    if not rows:
        raise _fail("PERFORMANCE_EMPTY_SERIES", "the portfolio series has no rows", "series")
    days: list[PortfolioDay] = []
    for i, item in enumerate(rows):
        where = f"series[{i}]"
        obj = _mapping(item, where)
        day = _date(_required(obj, "date", where), f"{where}.date")
        at = f"{where} ({day})"
        values = {
            name: _number(obj.get(name), f"{at}.{name}", default=0 if name != "begin_mv" else None)
            for name in ("begin_mv", "bod_cf", "fees", "tx_costs", "eod_cf")
        }
        values["end_mv"] = _number(_required(obj, "end_mv", at), f"{at}.end_mv")
        days.append(PortfolioDay(date=day, **values))
    _check_increasing([d.date for d in days], "series")
    for i, d in enumerate(days):
        at = f"series[{i}] ({d.date})"
        for name in ("begin_mv", "end_mv"):
            if getattr(d, name) < 0:
                raise _fail("PERFORMANCE_NEGATIVE_MARKET_VALUE", f"{name} is {getattr(d, name)} on {d.date}", at)
        if d.begin_mv == 0:
            raise _fail("PERFORMANCE_ZERO_BEGIN_MV", f"begin_mv is 0 on {d.date}: the day's return is undefined", at)
        net = d.end_mv - d.eod_cf
        if net <= 0 or net - d.fees <= 0 or net - d.fees - d.tx_costs <= 0:
            raise _fail(
                "PERFORMANCE_RETURN_BELOW_MINUS_100",
                f"end_mv − eod_cf (NET, GROSS or PURE_GROSS) is not positive on {d.date}: "
                "a return at or below −100% cannot be linked",
                at,
            )
        if i and abs(d.begin_mv - (days[i - 1].end_mv + d.bod_cf)) > CENT:
            expected = days[i - 1].end_mv + d.bod_cf
            raise _fail(
                "PERFORMANCE_DISCONTINUITY",
                f"begin_mv {d.begin_mv} on {d.date} is not the previous end_mv {days[i - 1].end_mv} plus bod_cf "
                f"{d.bod_cf} (= {expected}) within a cent",
                f"{at}.begin_mv",
            )
    return tuple(days)


_ZERO = 0


def _fast_number(value: Any, where: str) -> Any:
    kind = type(value)
    if (kind is Decimal and value.is_finite()) or (kind is float and math.isfinite(value)):
        return value
    return _number(value, where)


def _position_day(row: Any, at: str, pid: str, dates: Mapping[str, dt.date]) -> PositionDay:
    """One position row; the hot loop of parsing, so the common case takes the short path."""
    if type(row) is not dict:
        _mapping(row, at)
    raw_date = row.get("date")
    day = dates.get(raw_date) if type(raw_date) is str else None
    if day is None:
        parsed = _date(_required(row, "date", at), f"{at}.date")
        raise _fail("PERFORMANCE_UNKNOWN_DATE", f"position {pid!r} has a row on {parsed}, not in the series", at)
    at = f"{at} ({day})"
    begin = _fast_number(_required(row, "begin_mv", at), f"{at}.begin_mv")
    end = _fast_number(_required(row, "end_mv", at), f"{at}.end_mv")
    bod = row.get("bod_cf")
    bod = _ZERO if bod is None else _fast_number(bod, f"{at}.bod_cf")
    eod = row.get("eod_cf")
    eod = _ZERO if eod is None else _fast_number(eod, f"{at}.eod_cf")
    pnl = row.get("pnl")
    # Seed 002: pnl is used when provided, otherwise implied from begin/end and the EOD flow.
    pnl = end - eod - begin if pnl is None else _fast_number(pnl, f"{at}.pnl")
    return PositionDay(date=day, begin_mv=begin, bod_cf=bod, pnl=pnl, eod_cf=eod, end_mv=end)


Columns = tuple[tuple[Any, ...], ...]
_NUMBER_TYPES = frozenset({Decimal, float})


def _fast_columns(rows: Sequence[Any], dates: Mapping[str, dt.date]) -> Columns | None:
    """Columns of well-formed rows in bulk (the hot path of a large file), or None to take the checked path."""
    try:
        days = [dates[r["date"]] for r in rows]
        begin = [r["begin_mv"] for r in rows]
        end = [r["end_mv"] for r in rows]
        bod = [r.get("bod_cf") for r in rows]
        eod = [r.get("eod_cf") for r in rows]
        pnl = [r.get("pnl") for r in rows]
    except (KeyError, TypeError, AttributeError):
        return None
    if not {type(v) for v in (*begin, *end)} <= _NUMBER_TYPES:
        return None
    if not {type(v) for v in (*bod, *eod, *pnl)} <= _NUMBER_TYPES | {type(None)}:
        return None
    bod = [_ZERO if v is None else v for v in bod]
    eod = [_ZERO if v is None else v for v in eod]
    # Seed 002: pnl is used when provided, otherwise implied from begin/end and the EOD flow.
    pnl = [e - o - b if v is None else v for v, b, o, e in zip(pnl, begin, eod, end, strict=True)]
    if not _EXACT.get() and not np.isfinite(np.array([begin, end, bod, eod, pnl], dtype=np.float64)).all():
        return None  # a float overflow such as 1e999; the checked path names the row
    return tuple(days), tuple(begin), tuple(bod), tuple(pnl), tuple(eod), tuple(end)


def _slow_columns(rows: Sequence[Any], where: str, pid: str, dates: Mapping[str, dt.date]) -> Columns:
    """Row by row, so a bad row fails with its position, index, date and field."""
    days = [_position_day(row, f"{where}.series[{i}]", pid, dates) for i, row in enumerate(rows)]
    if not days:
        return ((),) * 6
    return tuple(tuple(column) for column in zip(*days, strict=True))


def _parse_positions(raw: Any, dates: Mapping[str, dt.date]) -> tuple[Position, ...]:
    positions: list[Position] = []
    seen: set[str] = set()
    for p, item in enumerate(_list(raw or [], "positions")):
        where = f"positions[{p}]"
        obj = _mapping(item, where)
        pid = str(_required(obj, "id", where))
        if pid in seen:
            raise _fail("PERFORMANCE_DUPLICATE_POSITION", f"position id {pid!r} appears twice", f"{where}.id")
        if pid == FEES_LINE:
            raise _fail("PERFORMANCE_INVALID_VALUE", f"{FEES_LINE} is reserved for the fee line", f"{where}.id")
        seen.add(pid)
        keys = {str(k): str(v) for k, v in _mapping(obj.get("group_keys") or {}, f"{where}.group_keys").items()}
        rows = _list(obj.get("series") or [], f"{where}.series")
        columns = _fast_columns(rows, dates) or _slow_columns(rows, where, pid, dates)
        _check_increasing(columns[0], f"{where}.series")
        positions.append(Position(pid, str(obj.get("name") or pid), keys, *columns))
    return tuple(positions)


BENCHMARK_MODES = ("BY_GROUP", "BY_INSTRUMENT")
UNCLASSIFIED = "UNCLASSIFIED"
"""The group of a position or benchmark constituent that lacks a group key."""


def _parse_benchmark(raw: Any, dates: set[dt.date], notes: list[str]) -> Benchmark | None:
    """The benchmark: BY_GROUP rows name their groups; BY_INSTRUMENT rows are constituents mapped by group_keys.

    A BY_INSTRUMENT row is a constituent (`id`, or a `key` object) whose own `group_keys` give its groups
    (a missing key is UNCLASSIFIED). Either way each row's key holds every benchmark group key, so
    attribution aggregates both alike (seed 002).
    """
    if raw is None:
        return None
    obj = _mapping(raw, "benchmark")
    mode = str(obj.get("mode") or "BY_GROUP")
    if mode not in BENCHMARK_MODES:
        notes.append(f"benchmark_mode_unsupported: {mode}; attribution needs BY_GROUP or BY_INSTRUMENT, skipped")
        return None
    by_instrument = mode == "BY_INSTRUMENT"
    items = [
        (f"benchmark.weights[{i}]", _mapping(item, f"benchmark.weights[{i}]"))
        for i, item in enumerate(_list(obj.get("weights") or [], "benchmark.weights"))
    ]
    if by_instrument and obj.get("group_keys") is None:
        found: dict[str, None] = {}
        for where, robj in items:
            found.update(dict.fromkeys(str(k) for k in _mapping(robj.get("group_keys") or {}, f"{where}.group_keys")))
        keys = tuple(found)
    else:
        keys = tuple(str(k) for k in _list(_required(obj, "group_keys", "benchmark"), "benchmark.group_keys"))
    if not keys:
        raise _fail("PERFORMANCE_INVALID_VALUE", "benchmark.group_keys is empty", "benchmark.group_keys")
    rows: list[BenchmarkRow] = []
    seen: set[tuple[dt.date, Any]] = set()
    outside = 0
    for where, robj in items:
        day = _date(_required(robj, "date", where), f"{where}.date")
        at = f"{where} ({day})"
        if by_instrument:
            ident: Any = _required(robj, "id", at) if robj.get("key") is None else robj.get("key")
            ident = (
                str(ident)
                if not isinstance(ident, Mapping)
                else tuple(sorted((str(k), str(v)) for k, v in ident.items()))
            )
            groups = _mapping(robj.get("group_keys") or {}, f"{at}.group_keys")
            key = {k: str(groups.get(k, UNCLASSIFIED)) for k in keys}
        else:
            key_map = _mapping(_required(robj, "key", at), f"{at}.key")
            missing = [k for k in keys if k not in key_map]
            if missing:
                raise _fail("PERFORMANCE_INVALID_VALUE", f"key lacks group key(s) {missing}", f"{at}.key")
            key = {k: str(key_map[k]) for k in keys}
            ident = tuple(key.values())
        if (day, ident) in seen:
            what = "constituent" if by_instrument else "key"
            raise _fail("PERFORMANCE_DUPLICATE_BENCHMARK_ROW", f"benchmark {what} {ident} appears twice on {day}", at)
        seen.add((day, ident))
        weight = _number(_required(robj, "weight", at), f"{at}.weight")
        ret = _number(_required(robj, "return", at), f"{at}.return")
        if ret <= -1:
            raise _fail("PERFORMANCE_INVALID_VALUE", f"benchmark return {ret} is at or below −100%", f"{at}.return")
        if day not in dates:
            outside += 1
            continue
        rows.append(BenchmarkRow(date=day, key=key, weight=weight, ret=ret))
    if outside:
        notes.append(f"benchmark_rows_outside_series: {outside} row(s) dated outside the portfolio series ignored")
    return Benchmark(mode=mode, group_keys=keys, rows=tuple(rows))


def _parse_periods(raw: Any) -> tuple[PeriodSpec, ...]:
    if raw is None:
        return ()
    items = raw if isinstance(raw, list) else [raw]
    specs: list[PeriodSpec] = []
    for i, item in enumerate(items):
        where = f"config.periods[{i}]" if isinstance(raw, list) else "config.periods"
        obj = _mapping(item, where)
        kind = _enum(_required(obj, "type", where), PERIOD_TYPES, f"{where}.type")
        frequency = obj.get("frequency", "DAILY")
        if frequency != "DAILY":
            raise _fail("PERFORMANCE_INVALID_CONFIG", f"frequency {frequency!r} is not supported (DAILY)", where)
        as_of = _date(obj["as_of"], f"{where}.as_of") if obj.get("as_of") is not None else None
        start = end = None
        months = days = None
        if kind == "EXPLICIT":
            start = _date(_required(obj, "start", where), f"{where}.start")
            end = _date(_required(obj, "end", where), f"{where}.end")
            if end < start:
                raise _fail("PERFORMANCE_INVALID_CONFIG", f"end {end} is before start {start}", where)
        elif kind == "ROLLING_MONTHS":
            months = _int(_required(obj, "months", where), f"{where}.months", minimum=1)
        elif kind == "ROLLING_DAYS":
            days = _int(_required(obj, "days", where), f"{where}.days", minimum=1)
        name = obj.get("name")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise _fail("PERFORMANCE_INVALID_CONFIG", "a period name must be a non-empty string", f"{where}.name")
        specs.append(PeriodSpec(type=kind, name=name, as_of=as_of, start=start, end=end, months=months, days=days))
    return tuple(specs)


def _parse_config(raw: Any, dates: Sequence[dt.date]) -> PerformanceConfig:
    obj = _mapping(raw or {}, "config")
    rounding = obj.get("rounding")
    annualization = _mapping(obj.get("annualization") or {}, "config.annualization")
    enabled = annualization.get("enabled", True)
    short = obj.get("annualize_periods_shorter_than_one_year", False)
    if not isinstance(enabled, bool) or not isinstance(short, bool):
        raise _fail("PERFORMANCE_INVALID_CONFIG", "annualization flags must be true or false", "config.annualization")
    as_of = _date(obj["as_of"], "config.as_of") if obj.get("as_of") is not None else dates[-1]
    inception = _date(obj["inception_date"], "config.inception_date") if obj.get("inception_date") else dates[0]
    if as_of < dates[0]:
        raise _fail("PERFORMANCE_INVALID_CONFIG", f"as_of {as_of} is before the first date {dates[0]}", "config.as_of")
    if inception > as_of:
        raise _fail(
            "PERFORMANCE_INVALID_CONFIG", f"inception_date {inception} is after as_of {as_of}", "config.inception_date"
        )
    return PerformanceConfig(
        precision_mode=_enum(obj.get("precision_mode", "DECIMAL_STRICT"), PRECISION_MODES, "config.precision_mode"),
        rounding=None if rounding is None else _int(rounding, "config.rounding", minimum=0),
        periods=_parse_periods(obj.get("periods")),
        annualization_enabled=enabled,
        annualization_basis=_enum(annualization.get("basis", "ACT_365"), ANNUALIZATION_BASES, "config.annualization"),
        annualize_short_periods=short,
        metric_basis=_enum(obj.get("metric_basis", "NET"), METRIC_BASES, "config.metric_basis"),
        linking=_enum(obj.get("linking", "CARINO"), LINKINGS, "config.linking"),
        weighting=_enum(obj.get("weighting", "BOD"), WEIGHTINGS, "config.weighting"),
        as_of=as_of,
        inception_date=inception,
    )


def reconcile_positions(inp: PerformanceInput) -> None:
    """Check Σ position begin_mv = portfolio begin_mv and Σ position pnl = the portfolio's gross P&L per day.

    These are the two sums the formulas rely on (position pnl is before fees, so end values need not
    add up). A gap above a cent is a note and a residual downstream, not a failure.
    """
    if not inp.positions:
        return
    index = {d.date: t for t, d in enumerate(inp.series)}
    begin = np.zeros(len(index), dtype=object)
    pnl = np.zeros(len(index), dtype=object)
    for position in inp.positions:
        rows = [index[d] for d in position.dates]
        begin[rows] += np.array(position.begin_mv, dtype=object)
        pnl[rows] += np.array(position.pnl, dtype=object)
    worst_begin: Number = 0
    worst_pnl: Number = 0
    off: list[dt.date] = []
    for t, day in enumerate(inp.series):
        gross_pnl = day.end_mv - day.eod_cf - day.begin_mv - day.fees  # fees ≤ 0 for a charge (seed 002)
        gap_begin = abs(begin[t] - day.begin_mv)
        gap_pnl = abs(pnl[t] - gross_pnl)
        worst_begin, worst_pnl = max(worst_begin, gap_begin), max(worst_pnl, gap_pnl)
        if gap_begin > CENT or gap_pnl > CENT:
            off.append(day.date)
    inp.residuals["positions_begin_mv_max_abs_difference"] = worst_begin
    inp.residuals["positions_pnl_max_abs_difference"] = worst_pnl
    if off:
        inp.notes.append(
            f"positions_do_not_reconcile: {len(off)} day(s), first {off[0]}; position sums differ from the "
            f"portfolio by up to {worst_begin} (begin_mv) and {worst_pnl} (gross pnl); contributions carry a residual"
        )


def parse_performance(text: str | bytes, where: str = "performance") -> PerformanceInput:
    """Parse and validate one performance file, or raise a typed InputError naming the date and field.

    A first fast parse reads config.precision_mode; DECIMAL_STRICT files are then re-read with every
    number as a Decimal from its text (convention 1), FLOAT64 files keep the nearest floats.
    """
    doc = _mapping(load_json(text, where, exact=False), "document")
    config = doc.get("config")
    exact = not (isinstance(config, Mapping) and config.get("precision_mode") == "FLOAT64")
    if exact:
        doc = _mapping(load_json(text, where), "document")
    token = _EXACT.set(exact)
    try:
        return _parse_document(doc)
    finally:
        _EXACT.reset(token)


def _parse_document(doc: Mapping[str, Any]) -> PerformanceInput:
    portfolio = _mapping(_required(doc, "portfolio", "document"), "portfolio")
    pid = _required(portfolio, "id", "portfolio")
    if not isinstance(pid, str) or not pid.strip():
        raise _fail("PERFORMANCE_INVALID_VALUE", "portfolio.id must be a non-empty string", "portfolio.id")
    series = _parse_series(_required(doc, "series", "document"))
    dates = [d.date for d in series]
    config = _parse_config(doc.get("config"), dates)
    notes: list[str] = []
    positions = _parse_positions(doc.get("positions"), {d.isoformat(): d for d in dates})
    benchmark = _parse_benchmark(doc.get("benchmark"), set(dates), notes)
    inp = PerformanceInput(
        portfolio_id=pid.strip(),
        base_currency=str(portfolio.get("base_currency") or "USD"),
        series=series,
        positions=positions,
        benchmark=benchmark,
        config=config,
        notes=notes,
    )
    rebate_notes(series, inp.notes)
    reconcile_positions(inp)
    return inp


def rebate_notes(series: Sequence[PortfolioDay], notes: list[str]) -> None:
    """Seed 002: fees/tx_costs are negative for charges; a positive value is a rebate, accepted and noted."""
    for name, label in (("fees", "fee_rebates"), ("tx_costs", "tx_cost_rebates")):
        rebates = [(d.date, getattr(d, name)) for d in series if getattr(d, name) > 0]
        if rebates:
            total = sum((amount for _, amount in rebates), start=rebates[0][1] * 0)
            notes.append(
                f"{label}: {len(rebates)} day(s) with positive {name} (a rebate; charges are negative), "
                f"first {rebates[0][0]}, total {total}"
            )
