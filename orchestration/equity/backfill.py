"""`calcbridge backfill equity`: the daily chain over a chosen range of sessions for a tenant's portfolios.

Each portfolio gets one backfill, as a new portfolio file gets from the backfill sensor: a progress row in
ops.equity_backfill_progress and one single-run range run tagged with the range and the backfill id (the run
moves the row along). This module plans them and refuses a bad request with a typed error; the command runs them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from orchestration.core.errors import InputError
from orchestration.equity import calendar, store, tables
from orchestration.equity.positions import positions_on

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
BACKFILL_TAG = "calcbridge/backfill_id"
WHERE = "calcbridge backfill equity"


@dataclass(frozen=True)
class Backfill:
    """One portfolio's backfill over the sessions of a range."""

    backfill_id: str
    tenant_id: str
    portfolio_id: str
    sessions: tuple[dt.date, ...]
    symbols: int

    @property
    def start(self) -> dt.date:
        return self.sessions[0]

    @property
    def end(self) -> dt.date:
        return self.sessions[-1]

    def tags(self) -> dict[str, str]:
        """The run's tags: the partition range it covers, the backfill it moves along, its tenant and domain."""
        return {
            RANGE_START_TAG: self.start.isoformat(),
            RANGE_END_TAG: self.end.isoformat(),
            BACKFILL_TAG: self.backfill_id,
            "tenant": self.tenant_id,
            "domain": "equity",
        }


def parse_day(text: str) -> dt.date:
    """A YYYY-MM-DD date, else INVALID_DATE."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError("INVALID_DATE", f"{text!r} is not a date (YYYY-MM-DD)", WHERE) from None


def sessions_in(start: dt.date, end: dt.date, first: dt.date, last: dt.date) -> tuple[dt.date, ...]:
    """The XNYS sessions in [start, end], which must lie within the trading-day partitions [first, last]."""
    if start > end:
        raise InputError("BACKFILL_RANGE_INVALID", f"the start {start} is after the end {end}", WHERE)
    if start < first or end > last:
        raise InputError(
            "BACKFILL_RANGE_OUTSIDE_PARTITIONS",
            f"{start}..{end} is not within the trading-day partitions {first}..{last} "
            "(their start is factors.yaml calendar_start)",
            WHERE,
        )
    days = tuple(calendar.sessions(start, end))
    if not days:
        raise InputError("BACKFILL_RANGE_EMPTY", f"NYSE has no trading day in {start}..{end}", WHERE)
    return days


def portfolios_of(engine: Engine, tenant_id: str, portfolio_id: str | None) -> list[str]:
    """The tenant's landed portfolios (only `portfolio_id` when given); TENANT_NOT_FOUND / PORTFOLIO_NOT_FOUND."""
    p = tables.portfolios
    with engine.connect() as conn:
        known: list[str] = sorted(
            conn.scalars(sa.select(p.c.portfolio_id).where(p.c.tenant_id == tenant_id).distinct())
        )
    if not known:
        raise InputError("TENANT_NOT_FOUND", f"tenant {tenant_id!r} has no equity portfolio landed", WHERE)
    if portfolio_id is None:
        return known
    if portfolio_id not in known:
        raise InputError(
            "PORTFOLIO_NOT_FOUND",
            f"tenant {tenant_id!r} has no portfolio {portfolio_id!r} (it has: {', '.join(known)})",
            WHERE,
        )
    return [portfolio_id]


def backfill_id(tenant_id: str, portfolio_id: str, sessions: tuple[dt.date, ...], requested_at: dt.datetime) -> str:
    """Unique per request: the same range asked for again is a new backfill (and a new run)."""
    text = f"cli:{tenant_id}:{portfolio_id}:{sessions[0]}:{sessions[-1]}:{requested_at.isoformat()}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def plan(
    engine: Engine,
    tenant_id: str,
    portfolio_id: str | None,
    sessions: tuple[dt.date, ...],
    etfs: list[str],
    requested_at: dt.datetime,
) -> list[Backfill]:
    """One backfill per portfolio; its symbols are those held on the last session plus the factor ETFs."""
    positions = store.load_positions(engine)
    backfills = []
    for portfolio in portfolios_of(engine, tenant_id, portfolio_id):
        mine = positions[(positions["tenant_id"] == tenant_id) & (positions["portfolio_id"] == portfolio)]
        held = positions_on(mine, sessions[-1]) if len(mine) else mine
        symbols = set(held["ticker"]) | set(held["underlying"]) | set(etfs) if len(held) else set()
        key = backfill_id(tenant_id, portfolio, sessions, requested_at)
        backfills.append(Backfill(key, tenant_id, portfolio, sessions, len(symbols)))
    return backfills


def record(engine: Engine, backfill: Backfill) -> None:
    """The backfill's progress row, `pending` until its run starts."""
    store.create_backfill(
        engine,
        backfill.backfill_id,
        backfill.tenant_id,
        backfill.portfolio_id,
        backfill.symbols,
        backfill.start,
        backfill.end,
    )


def status(engine: Engine, backfill_id: str) -> str | None:
    """The progress row's status (pending, processing, completed or failed)."""
    b = tables.backfill_progress
    with engine.connect() as conn:
        return conn.scalar(sa.select(b.c.status).where(b.c.backfill_id == backfill_id))
