"""Warehouse reads and writes of the daily equity pipeline (SQLAlchemy Core; no Dagster).

Daily tables are replaced a whole trading day at a time (every tenant's rows of that partition in one
transaction), so a re-run gives the same rows and a tenant whose portfolio is gone loses its stale rows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from orchestration.equity import calendar, tables
from orchestration.equity.prices import PriceSource, TickerFailure, TransientSourceError


def day_key(day: dt.date) -> str:
    """The partition key of a trading day."""
    return day.isoformat()


def load_positions(engine: Engine) -> pd.DataFrame:
    """Every landed position of every tenant, with its file's effective date (positions_on picks per day)."""
    p = tables.positions
    with engine.connect() as conn:
        rows = conn.execute(sa.select(p)).mappings().all()
    frame = pd.DataFrame(rows, columns=[c.name for c in p.columns])
    for column in ("quantity", "entry_price", "strike"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def read_rows(
    engine: Engine, table: sa.Table, start: dt.date, end: dt.date, *, tenant_id: str | None = None
) -> pd.DataFrame:
    """Rows of a daily table with as_of_date (or price_date) in [start, end]."""
    date_column = table.c.as_of_date if "as_of_date" in table.c else table.c.price_date
    query = sa.select(table).where(date_column >= start, date_column <= end)
    if tenant_id is not None:
        query = query.where(table.c.tenant_id == tenant_id)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return pd.DataFrame(rows, columns=[c.name for c in table.columns])


def close_history(
    engine: Engine, source: PriceSource | None, tickers: Sequence[str], start: dt.date, end: dt.date
) -> pd.DataFrame:
    """Closes (sessions × tickers) over [start, end] from market_prices.

    Sessions the table lacks for a stock or ETF are filled from the price source (cached/deterministic) so
    windows are full from a backfill's first day. Options are only read from the table.
    """
    m = tables.market_prices
    wanted = sorted(set(tickers))
    query = sa.select(m.c.ticker, m.c.price_date, m.c.close).where(
        m.c.ticker.in_(wanted), m.c.price_date >= start, m.c.price_date <= end
    )
    with engine.connect() as conn:
        rows = pd.DataFrame(conn.execute(query).all(), columns=["ticker", "price_date", "close"])
    days = calendar.sessions(start, end)
    closes = rows.pivot_table(index="price_date", columns="ticker", values="close", aggfunc="last")
    closes = closes.reindex(index=days, columns=wanted)
    if source is not None:
        stocks = [t for t in wanted if len(t) < 15]
        gaps = [t for t in stocks if closes[t].isna().any()]
        if gaps:
            fetched = source.fetch(gaps, start, end).prices
            if not fetched.empty:
                extra = fetched.pivot_table(index="price_date", columns="ticker", values="close", aggfunc="last")
                closes = closes.combine_first(extra.reindex(index=days))
                closes = closes.reindex(index=days, columns=wanted)
    return closes.astype(float)


class SqlCache:
    """The market_data_cache table as the Polygon client's cache (24 h TTL for end-of-day data)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, key: str) -> Any | None:
        c = tables.market_data_cache
        query = sa.select(c.c.payload).where(c.c.cache_key == key, c.c.expires_at > sa.func.now())
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one_or_none()

    def put(self, key: str, payload: Any, ttl_seconds: float) -> None:
        c = tables.market_data_cache
        now = dt.datetime.now(dt.UTC)
        values = {
            "cache_key": key,
            "payload": json.loads(json.dumps(payload)),
            "fetched_at": now,
            "expires_at": now + dt.timedelta(seconds=ttl_seconds),
        }
        statement = insert(c).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[c.c.cache_key],
            set_={k: statement.excluded[k] for k in ("payload", "fetched_at", "expires_at")},
        )
        with self.engine.begin() as conn:
            conn.execute(statement)


def create_backfill(
    engine: Engine, backfill_id: str, tenant_id: str, portfolio_id: str, total: int, start: dt.date, end: dt.date
) -> None:
    """Record a requested backfill as pending (idempotent on its id)."""
    b = tables.backfill_progress
    statement = insert(b).values(
        backfill_id=backfill_id,
        tenant_id=tenant_id,
        portfolio_id=portfolio_id,
        total_symbols=total,
        status="pending",
        start_date=start,
        end_date=end,
    )
    with engine.begin() as conn:
        conn.execute(statement.on_conflict_do_nothing(index_elements=[b.c.backfill_id]))


def update_backfill(engine: Engine, backfill_id: str, **values: Any) -> None:
    """Move a backfill along (status, counts, timestamps, error details)."""
    b = tables.backfill_progress
    with engine.begin() as conn:
        conn.execute(b.update().where(b.c.backfill_id == backfill_id).values(**values))


@dataclass
class BackfillProgress:
    """The backfill row of one run (none for a run outside a backfill), moved along as the run goes."""

    engine: Engine
    backfill_id: str | None

    def completed(self, *, symbols: int, failures: Sequence[TickerFailure]) -> None:
        """Every day written: symbols priced and failed, and why each failure failed."""
        if self.backfill_id:
            update_backfill(
                self.engine,
                self.backfill_id,
                status="completed",
                processed_symbols=symbols - len(failures),
                failed_symbols=len(failures),
                completed_at=dt.datetime.now(dt.UTC),
                error_details={f.ticker: f.message for f in failures} or None,
            )


@contextmanager
def backfill_progress(engine: Engine, backfill_id: str | None) -> Iterator[BackfillProgress]:
    """`processing` on entry; `failed` with the error when the block raises.

    A transient source error is retried by the asset's retry policy, so the backfill is still under way.
    """
    progress = BackfillProgress(engine, backfill_id)
    if backfill_id:
        update_backfill(engine, backfill_id, status="processing", started_at=dt.datetime.now(dt.UTC))
    try:
        yield progress
    except TransientSourceError:
        raise
    except Exception as error:
        if backfill_id:
            update_backfill(engine, backfill_id, status="failed", error_details={"error": str(error)})
        raise
