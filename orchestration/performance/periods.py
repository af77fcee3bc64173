"""Reporting periods (convention 5) and annualization years (convention 6), as pure date arithmetic."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

PeriodType = Literal["EXPLICIT", "ITD", "YTD", "QTD", "MTD", "WTD", "ROLLING_MONTHS", "ROLLING_DAYS"]
PERIOD_TYPES: tuple[PeriodType, ...] = ("EXPLICIT", "ITD", "YTD", "QTD", "MTD", "WTD", "ROLLING_MONTHS", "ROLLING_DAYS")
STANDARD_PERIODS: tuple[PeriodType, ...] = ("ITD", "YTD", "QTD", "MTD", "WTD")
"""Always computed, under their own names, at the config's as_of."""


@dataclass(frozen=True)
class PeriodSpec:
    """A period as configured: a type, an optional name and as_of, and the type's parameters."""

    type: PeriodType
    name: str | None = None
    as_of: dt.date | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    months: int | None = None
    days: int | None = None

    def default_name(self) -> str:
        """`name`, else the type with its parameters (EXPLICIT stays EXPLICIT, as in the seed)."""
        if self.name:
            return self.name
        base = str(self.type)
        if self.type == "ROLLING_MONTHS":
            base = f"ROLLING_MONTHS_{self.months}"
        elif self.type == "ROLLING_DAYS":
            base = f"ROLLING_DAYS_{self.days}"
        return f"{base}@{self.as_of}" if self.as_of is not None and self.type != "EXPLICIT" else base

    def echo(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "name": self.default_name()}
        for key in ("as_of", "start", "end"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value.isoformat()
        for key in ("months", "days"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class Period:
    """A resolved, inclusive period [start, end]; `requested_start` is the start before clipping."""

    name: str
    type: PeriodType
    start: dt.date
    end: dt.date
    requested_start: dt.date
    clipped_to_inception: bool

    @property
    def calendar_days(self) -> int:
        return (self.end - self.start).days + 1


def add_months(day: dt.date, months: int) -> dt.date:
    """Shift by whole months, clamping to the month's last day (31 Mar − 1 month = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def period_start(spec: PeriodSpec, as_of: dt.date, inception: dt.date) -> dt.date:
    """Convention 5: the unclipped first day of a period ending at as_of."""
    match spec.type:
        case "ITD":
            return inception
        case "YTD":
            return dt.date(as_of.year, 1, 1)
        case "QTD":
            return dt.date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
        case "MTD":
            return as_of.replace(day=1)
        case "WTD":
            return as_of - dt.timedelta(days=as_of.weekday())  # Monday of the ISO week
        case "ROLLING_DAYS":
            assert spec.days is not None
            return as_of - dt.timedelta(days=spec.days - 1)
        case "ROLLING_MONTHS":
            assert spec.months is not None
            return add_months(as_of, -spec.months) + dt.timedelta(days=1)
        case "EXPLICIT":
            assert spec.start is not None
            return spec.start
    raise ValueError(f"unknown period type {spec.type!r}")


def resolve_period(spec: PeriodSpec, as_of: dt.date, inception: dt.date) -> Period:
    """Resolve one spec; a start before inception is clipped to inception and flagged, not rejected."""
    end = spec.end if spec.type == "EXPLICIT" and spec.end is not None else (spec.as_of or as_of)
    requested = period_start(spec, spec.as_of or as_of, inception)
    start = max(requested, inception)
    return Period(
        name=spec.default_name(),
        type=spec.type,
        start=start,
        end=end,
        requested_start=requested,
        clipped_to_inception=requested < inception,
    )


def resolve_periods(configured: Sequence[PeriodSpec], as_of: dt.date, inception: dt.date) -> list[Period]:
    """The standard periods (ITD, YTD, QTD, MTD, WTD) at as_of, then every configured one, by unique name.

    A configured period that resolves exactly like a standard one is not repeated; two different
    periods under one name are a configuration error (ValueError).
    """
    periods: dict[str, Period] = {}
    for spec in [*(PeriodSpec(type=t) for t in STANDARD_PERIODS), *configured]:
        period = resolve_period(spec, as_of, inception)
        existing = periods.get(period.name)
        if existing is not None and existing != period:
            raise ValueError(f"two different periods are named {period.name!r}")
        periods.setdefault(period.name, period)
    return list(periods.values())


def is_leap(year: int) -> bool:
    return calendar.isleap(year)


def days_by_year_length(start: dt.date, end: dt.date) -> tuple[int, int]:
    """Inclusive days of [start, end] falling in 365-day years and in 366-day years."""
    common = leap = 0
    for year in range(start.year, end.year + 1):
        first = max(start, dt.date(year, 1, 1))
        last = min(end, dt.date(year, 12, 31))
        if last < first:
            continue
        days = (last - first).days + 1
        if is_leap(year):
            leap += days
        else:
            common += days
    return common, leap
