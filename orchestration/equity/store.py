"""Warehouse reads and writes of the daily equity pipeline (SQLAlchemy Core; no Dagster).

Daily tables are replaced a whole trading day at a time (every tenant's rows of that partition in one
transaction), so a re-run gives the same rows and a tenant whose portfolio is gone loses its stale rows.
Prices reach the warehouse one ticker's fault at a time: a ticker the source cannot fetch, or whose bar the
prices schema refuses (a zero, negative or non-finite close), is a recorded failure and the others go on.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from orchestration.core.config import ConfigError
from orchestration.core.errors import InputError
from orchestration.equity import calendar, synthetic, tables
from orchestration.equity.config import INVALID_EQUITY_CONFIG, EquitySettings
from orchestration.equity.positions import MAX_PRICE
from orchestration.equity.prices import (
    PRICE_COLUMNS,
    CsvPriceSource,
    FetchResult,
    PriceSource,
    TickerFailure,
    TransientSourceError,
)

TRANSIENT = (TransientSourceError, sa.exc.OperationalError, sa.exc.InterfaceError)
"""Faults the asset's RetryPolicy retries: a backfill that meets one is still under way, not failed."""


def day_key(day: dt.date) -> str:
    """The partition key of a trading day."""
    return day.isoformat()


def load_positions(engine: Engine) -> pd.DataFrame:
    """Every landed position of every tenant, with its file's effective date and name (positions_on picks per day)."""
    p, f = tables.positions, tables.portfolios
    query = sa.select(p, f.c.file_name).join(
        f, sa.and_(f.c.tenant_id == p.c.tenant_id, f.c.partition_key == p.c.partition_key), isouter=True
    )
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    frame = pd.DataFrame(rows, columns=[*(c.name for c in p.columns), "file_name"])
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
            fetched, _ = valid_prices(fetch_each(source, gaps, start, end).prices)
            if not fetched.empty:
                extra = fetched.pivot_table(index="price_date", columns="ticker", values="close", aggfunc="last")
                closes = closes.combine_first(extra.reindex(index=days))
                closes = closes.reindex(index=days, columns=wanted)
    return closes.astype(float)


def synthetic_anchors(engine: Engine) -> dict[str, synthetic.Anchor]:
    """Where each stock's synthetic path is pinned: its earliest stored synthetic bar, else its first landed entry.

    The first landed entry is the stock row (never an option's premium) with the earliest entry date, ties to the
    file landed first; entry prices outside (0, MAX_PRICE] are ignored. A stored bar wins so that bars already
    written and bars fetched later lie on one path whatever lands afterwards.
    """
    p, m = tables.positions, tables.market_prices
    entries = (
        sa.select(p.c.ticker, p.c.entry_date, p.c.entry_price)
        .where(
            p.c.position_type.in_(("LONG", "SHORT")),
            p.c.entry_price > 0,
            p.c.entry_price <= MAX_PRICE,
        )
        .distinct(p.c.ticker)
        .order_by(p.c.ticker, p.c.entry_date, p.c.landed_at, p.c.partition_key, p.c.row_number)
    )
    stored = (
        sa.select(m.c.ticker, m.c.price_date, m.c.close)
        .where(m.c.source == "synthetic", sa.func.length(m.c.ticker) < 15)
        .distinct(m.c.ticker)
        .order_by(m.c.ticker, m.c.price_date)
    )
    with engine.connect() as conn:
        anchors = {
            r["ticker"]: synthetic.Anchor(r["entry_date"], float(r["entry_price"]))
            for r in conn.execute(entries).mappings()
        }
        anchors.update(
            {r["ticker"]: synthetic.Anchor(r["price_date"], float(r["close"])) for r in conn.execute(stored).mappings()}
        )
    return anchors


def with_short_interest(closes: pd.DataFrame, settings: EquitySettings) -> pd.DataFrame:
    """`closes` with the short-interest factor's series as one more column, when factors.yaml configures one.

    The series is a file of the configured folder in any layout the CSV price source reads (`series` names it);
    its simple returns are the factor's returns, regressed on like an ETF's. A configured series that cannot be
    read is a ConfigError (INVALID_EQUITY_CONFIG), not a silently missing factor.
    """
    folder, name = settings.short_interest.folder(), settings.short_interest.series
    if folder is None or closes.empty:
        return closes
    where = f"factors.yaml short_interest: {folder / name}"
    if not folder.is_dir():
        raise ConfigError(INVALID_EQUITY_CONFIG, "the short-interest series folder does not exist", where)
    start, end = min(closes.index), max(closes.index)
    result = CsvPriceSource(folder).fetch([name], start, end)
    if result.failures:
        failure = result.failures[0]
        raise ConfigError(INVALID_EQUITY_CONFIG, f"{failure.code}: {failure.message}", where)
    series = result.prices.set_index("price_date")["close"].astype(float)
    return closes.assign(**{name: series.reindex(closes.index)})


def fetch_each(source: PriceSource, tickers: Sequence[str], start: dt.date, end: dt.date) -> FetchResult:
    """The source's fetch of every ticker; when one ticker breaks the whole call, each alone (that one failing).

    A transient fault is raised for the RetryPolicy; anything else a ticker raises is its SOURCE_ERROR.
    """
    try:
        return source.fetch(tickers, start, end)
    except TRANSIENT:
        raise
    except Exception as error:  # one ticker's fault must not stop the others: each is fetched alone below
        first_error = error
    frames: list[pd.DataFrame] = []
    out = FetchResult(pd.DataFrame(columns=PRICE_COLUMNS))
    for ticker in tickers:
        try:
            one = source.fetch([ticker], start, end)
        except TRANSIENT:
            raise
        except Exception as error:  # recorded as this ticker's failure
            out.failures.append(TickerFailure(ticker, "SOURCE_ERROR", f"{type(error).__name__}: {error}"))
            continue
        frames.append(one.prices)
        out.failures.extend(one.failures)
        out.requests += one.requests
        out.cache_hits += one.cache_hits
    frames = [f for f in frames if not f.empty]
    if not frames:  # no ticker priced alone either: the source itself is at fault, not one ticker
        raise first_error
    out.prices = pd.concat(frames, ignore_index=True)[PRICE_COLUMNS]
    return out


def valid_prices(prices: pd.DataFrame) -> tuple[pd.DataFrame, dict[tuple[str, dt.date], str]]:
    """The bars the prices schema takes, and why each other (ticker, day) was refused (INVALID_PRICE).

    A close must be finite, positive and at most MAX_PRICE; open, high, low and volume finite where given;
    one bar per ticker and day.
    """
    if prices.empty:
        return prices, {}
    close = pd.to_numeric(prices["close"], errors="coerce").astype(float)
    others = prices[["open", "high", "low", "volume"]].apply(pd.to_numeric, errors="coerce").astype(float)
    reasons = pd.Series("", index=prices.index)
    reasons[~((close > 0) & (close <= float(MAX_PRICE)))] = "close is not a positive finite price within 1e9"
    reasons[others.isin([math.inf, -math.inf]).any(axis=1)] = "open, high, low or volume is infinite"
    reasons[prices.duplicated(["ticker", "price_date"], keep=False)] = "more than one bar for the day"
    bad = reasons != ""
    refused = {
        (str(row.ticker), row.price_date): f"{row.ticker} on {row.price_date}: {why} (close {row.close!r})"
        for row, why in zip(prices[bad].itertuples(index=False), reasons[bad], strict=True)
    }
    return prices[~bad].reset_index(drop=True), refused


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


def backfill_portfolio(engine: Engine, backfill_id: str | None) -> tuple[str, str] | None:
    """The (tenant, portfolio) a backfill was requested for; None outside a backfill."""
    if not backfill_id:
        return None
    b = tables.backfill_progress
    with engine.connect() as conn:
        row = conn.execute(sa.select(b.c.tenant_id, b.c.portfolio_id).where(b.c.backfill_id == backfill_id)).first()
    return (str(row.tenant_id), str(row.portfolio_id)) if row else None


def error_details(error: BaseException) -> dict[str, Any]:
    """What a failed backfill row carries: a typed error's code, message and where; else its type and text."""
    if isinstance(error, InputError):
        return {"code": error.code, "message": error.message, "where": error.where}
    return {"code": type(error).__name__, "message": str(error), "where": None}


def fail_open_backfill(engine: Engine, backfill_id: str, details: Mapping[str, Any]) -> None:
    """Mark a backfill `failed` unless it already ended (its run failed outside the steps that record it)."""
    b = tables.backfill_progress
    statement = (
        b.update()
        .where(b.c.backfill_id == backfill_id, b.c.status.in_(("pending", "processing")))
        .values(status="failed", error_details=dict(details))
    )
    with engine.begin() as conn:
        conn.execute(statement)


@dataclass
class BackfillProgress:
    """The backfill row of one run (none for a run outside a backfill), moved along as the run's steps go."""

    engine: Engine
    backfill_id: str | None

    def priced(self, *, symbols: int, failures: Sequence[TickerFailure]) -> None:
        """Prices written: symbols priced and failed, and why each failure failed; the chain goes on."""
        if self.backfill_id:
            update_backfill(
                self.engine,
                self.backfill_id,
                processed_symbols=symbols - len(failures),
                failed_symbols=len(failures),
                error_details={f.ticker: f.message for f in failures} or None,
            )

    def completed(self) -> None:
        """The run's last step wrote every day with no failure of the backfill's own portfolio."""
        if self.backfill_id:
            update_backfill(self.engine, self.backfill_id, status="completed", completed_at=dt.datetime.now(dt.UTC))


@contextmanager
def backfill_progress(engine: Engine, backfill_id: str | None, *, starts: bool = False) -> Iterator[BackfillProgress]:
    """One step of a backfill's run: `processing` as the first (`starts`) begins; `failed` when the block raises.

    The failed row carries the error (a typed error's code, message and where). A transient fault is retried by
    the asset's retry policy, so the backfill is still under way.
    """
    progress = BackfillProgress(engine, backfill_id)
    if backfill_id and starts:
        update_backfill(engine, backfill_id, status="processing", started_at=dt.datetime.now(dt.UTC))
    try:
        yield progress
    except TRANSIENT:
        raise
    except Exception as error:
        if backfill_id:
            update_backfill(engine, backfill_id, status="failed", completed_at=None, error_details=error_details(error))
        raise
