"""The XNYS trading calendar: sessions, previous sessions and holidays (never weekday arithmetic)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import exchange_calendars as xcals
import pandas as pd


@lru_cache(maxsize=1)
def xnys() -> xcals.ExchangeCalendar:
    """The NYSE calendar from 2014 to the end of next year (built once per process)."""
    end = pd.Timestamp(dt.date.today().year + 1, 12, 31)
    return xcals.get_calendar("XNYS", start=pd.Timestamp("2014-01-02"), end=end)


def _ts(day: dt.date) -> pd.Timestamp:
    return pd.Timestamp(day)


def is_session(day: dt.date) -> bool:
    """True when NYSE trades on `day`."""
    return bool(xnys().is_session(_ts(day)))


def sessions(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every session in [start, end]."""
    if end < start:
        return []
    return [d.date() for d in xnys().sessions_in_range(_ts(start), _ts(end))]


def previous_session(day: dt.date) -> dt.date:
    """The last session strictly before `day` (day need not be a session)."""
    return xnys().date_to_session(_ts(day - dt.timedelta(days=1)), direction="previous").date()


def session_on_or_before(day: dt.date) -> dt.date:
    """`day` when it is a session, else the session before it."""
    return xnys().date_to_session(_ts(day), direction="previous").date()


def sessions_back(day: dt.date, count: int) -> list[dt.date]:
    """The `count` sessions ending at `day` (inclusive when it is a session), oldest first."""
    last = session_on_or_before(day)
    window = xnys().sessions_window(_ts(last), -count)
    return [d.date() for d in window]


def holidays(start: dt.date, end: dt.date) -> list[dt.date]:
    """Weekdays in [start, end] on which NYSE is closed (the partition exclusions)."""
    weekdays = pd.bdate_range(start, end)
    open_days = set(sessions(start, end))
    return [d.date() for d in weekdays if d.date() not in open_days]


def last_session_of_previous_month(day: dt.date) -> dt.date:
    """The reference close for month-to-date P&L."""
    return previous_session(day.replace(day=1))


def last_session_of_previous_year(day: dt.date) -> dt.date:
    """The reference close for year-to-date P&L."""
    return previous_session(dt.date(day.year, 1, 1))
