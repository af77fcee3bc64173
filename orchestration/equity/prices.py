"""Price sources: synthetic (default), a folder of per-ticker CSV files, and Polygon.io's aggregates API.

Every source answers `fetch(tickers, start, end)` with OHLCV rows and, per ticker it could not price, a
`TickerFailure` (unknown tickers are not retried and do not sink the others). Transient faults that outlive
the client's own retries raise `TransientSourceError`, which the asset's RetryPolicy retries.
The Polygon client follows seed 004: a token bucket (default 5 requests a minute), exponential backoff with
jitter on 429 and 5xx (`min(2·2^attempt, 300) + U(0, 1)` seconds), and a 24-hour cache of end-of-day data.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import httpx
import pandas as pd

from orchestration.equity import occ, synthetic

PRICE_COLUMNS = ["ticker", "price_date", "open", "high", "low", "close", "volume"]
NEW_YORK = ZoneInfo("America/New_York")


class TransientSourceError(RuntimeError):
    """The source kept failing with a retryable status (429, 5xx, connection) after its retries."""


@dataclass(frozen=True)
class TickerFailure:
    """A ticker the source could not price: code UNKNOWN_TICKER / NO_DATA / SOURCE_ERROR, never retried."""

    ticker: str
    code: str
    message: str


@dataclass
class FetchResult:
    """Rows in PRICE_COLUMNS order plus the tickers that failed."""

    prices: pd.DataFrame
    failures: list[TickerFailure] = field(default_factory=list)
    requests: int = 0
    cache_hits: int = 0


class PriceSource(Protocol):
    """What the market_prices asset needs from a source."""

    name: str

    def fetch(self, tickers: Sequence[str], start: dt.date, end: dt.date) -> FetchResult: ...


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=PRICE_COLUMNS)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True)[PRICE_COLUMNS] if frames else _empty()


@dataclass
class SyntheticPriceSource:
    """Deterministic factor-model prices (see synthetic.py) at each ticker's anchor; options by Black-Scholes."""

    risk_free_rate: float = synthetic.DEFAULT_RISK_FREE
    unknown: frozenset[str] = frozenset()
    anchors: Mapping[str, synthetic.Anchor] = field(default_factory=dict)
    default: synthetic.Anchor = synthetic.DEFAULT_ANCHOR
    name: str = "synthetic"

    def fetch(self, tickers: Sequence[str], start: dt.date, end: dt.date) -> FetchResult:
        frames, failures = [], []
        for ticker in tickers:
            if ticker in self.unknown:
                failures.append(TickerFailure(ticker, "UNKNOWN_TICKER", f"{ticker} is not in the synthetic universe"))
                continue
            frames.append(synthetic.bars(ticker, start, end, self.risk_free_rate, self.anchors, self.default))
        return FetchResult(_concat(frames), failures)


# Column layouts of per-ticker daily files: (date, open, high, low, close, adjusted close, volume); `{t}` is
# the ticker. Yahoo's and EODHD's layouts, and R quantmod's export used by ../shared/data.
CSV_LAYOUTS: list[dict[str, str]] = [
    {
        "date": "Date",
        "open": "Open",
        "high": "High",
        "low": "Low",
        "close": "Close",
        "adj": "Adj Close",
        "volume": "Volume",
    },
    {
        "date": "Date",
        "open": "Open",
        "high": "High",
        "low": "Low",
        "close": "Close",
        "adj": "Adjusted_close",
        "volume": "Volume",
    },
    {
        "date": "Index",
        "open": "{t}.Open",
        "high": "{t}.High",
        "low": "{t}.Low",
        "close": "{t}.Close",
        "adj": "{t}.Adjusted",
        "volume": "{t}.Volume",
    },
]


def read_price_csv(path: Path, ticker: str) -> pd.DataFrame:
    """Read one per-ticker file in any known layout; `close` is the adjusted close when the file has one."""
    raw = pd.read_csv(path)
    stem = path.stem
    candidates = [{k: v.format(t=stem) for k, v in layout.items()} for layout in CSV_LAYOUTS]
    # Prefer a layout whose adjusted-close column is present, then any with a date and a close.
    ordered = [c for c in candidates if c["adj"] in raw.columns] + candidates
    for names in ordered:
        if names["date"] in raw.columns and names["close"] in raw.columns:
            close = raw[names["adj"]] if names["adj"] in raw.columns else raw[names["close"]]
            frame = pd.DataFrame(
                {
                    "ticker": ticker,
                    "price_date": pd.to_datetime(raw[names["date"]]).dt.date,
                    "open": pd.to_numeric(raw.get(names["open"]), errors="coerce"),
                    "high": pd.to_numeric(raw.get(names["high"]), errors="coerce"),
                    "low": pd.to_numeric(raw.get(names["low"]), errors="coerce"),
                    "close": pd.to_numeric(close, errors="coerce"),
                    "volume": pd.to_numeric(raw.get(names["volume"]), errors="coerce"),
                }
            )
            return frame.dropna(subset=["close"]).sort_values("price_date").reset_index(drop=True)
    raise ValueError(f"{path.name}: unknown column layout {list(raw.columns)[:8]}")


@dataclass
class CsvPriceSource:
    """A folder (searched recursively) of `<TICKER>.csv` files; `BRK.B` also matches `BRK-B.csv`."""

    folder: Path
    name: str = "csv"
    _files: dict[str, Path] | None = None
    _loaded: dict[str, pd.DataFrame] = field(default_factory=dict)

    def _index(self) -> dict[str, Path]:
        if self._files is None:
            self._files = {p.stem.upper(): p for p in sorted(Path(self.folder).rglob("*.csv"))}
        return self._files

    def series(self, ticker: str) -> pd.DataFrame | None:
        if ticker not in self._loaded:
            path = self._index().get(ticker.upper()) or self._index().get(ticker.upper().replace(".", "-"))
            if path is None:
                return None
            self._loaded[ticker] = read_price_csv(path, ticker)
        return self._loaded[ticker]

    def fetch(self, tickers: Sequence[str], start: dt.date, end: dt.date) -> FetchResult:
        frames, failures = [], []
        for ticker in tickers:
            try:
                series = self.series(ticker)
            except ValueError as error:
                failures.append(TickerFailure(ticker, "SOURCE_ERROR", str(error)))
                continue
            if series is None:
                failures.append(TickerFailure(ticker, "UNKNOWN_TICKER", f"no {ticker}.csv under {self.folder}"))
                continue
            window = series[(series["price_date"] >= start) & (series["price_date"] <= end)]
            frames.append(window)
        return FetchResult(_concat(frames), failures)


class Clock(Protocol):
    """Time for the rate limiter and backoff, injectable so tests never really sleep."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class TokenBucket:
    """`rate` tokens per `per` seconds, at most `capacity` saved up; acquire() waits (on the clock) for one."""

    def __init__(self, rate: float, per: float = 60.0, capacity: float = 1.0, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self.fill_rate = rate / per
        self.capacity = capacity
        self.tokens = capacity
        self.updated = self.clock.monotonic()

    def acquire(self) -> float:
        """Take one token; return the seconds waited."""
        now = self.clock.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.fill_rate)
        self.updated = now
        waited = 0.0
        if self.tokens < 1.0:
            # Sleep exactly until the next token is due, then take it (no float re-check loop).
            waited = (1.0 - self.tokens) / self.fill_rate
            self.clock.sleep(waited)
            self.updated = self.clock.monotonic()
            self.tokens = 1.0
        self.tokens -= 1.0
        return waited


def exponential_backoff(attempt: int, rand: Callable[[float, float], float] = random.uniform) -> float:
    """Seed 004's wait before retry `attempt` (0-based): min(2·2^attempt, 300) + U(0, 1) seconds."""
    return min(2 * (2**attempt), 300) + rand(0, 1)


class Cache(Protocol):
    """Key → JSON payload with a time to live (the market_data_cache table in production)."""

    def get(self, key: str) -> Any | None: ...

    def put(self, key: str, payload: Any, ttl_seconds: float) -> None: ...


class MemoryCache:
    """A dict cache on an injectable clock (tests, and the default when no warehouse is given)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self.items: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any | None:
        item = self.items.get(key)
        if item is None or item[0] <= self.clock.monotonic():
            return None
        return item[1]

    def put(self, key: str, payload: Any, ttl_seconds: float) -> None:
        self.items[key] = (self.clock.monotonic() + ttl_seconds, payload)


@dataclass
class PolygonClient:
    """Polygon.io `/v2/aggs/ticker/{ticker}/range/1/day/{from}/{to}` with rate limit, backoff and cache."""

    api_key: str
    base_url: str = "https://api.polygon.io"
    requests_per_minute: float = 5.0
    max_retries: int = 5
    cache_ttl_seconds: float = 24 * 3600
    clock: Clock = field(default_factory=SystemClock)
    cache: Cache | None = None
    rand: Callable[[float, float], float] = random.uniform
    transport: httpx.BaseTransport | None = None
    name: str = "polygon"
    requests: int = 0
    cache_hits: int = 0
    waits: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bucket = TokenBucket(self.requests_per_minute, 60.0, 1.0, self.clock)
        if self.cache is None:
            self.cache = MemoryCache(self.clock)
        self.http = httpx.Client(base_url=self.base_url, timeout=30.0, transport=self.transport)

    @staticmethod
    def provider_symbol(ticker: str) -> str:
        """Options are `O:<OCC>` at Polygon; stocks and ETFs as they are."""
        return f"O:{ticker}" if occ.parse_symbol(ticker).is_option else ticker

    def aggregates(self, ticker: str, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
        """Daily bars (raw Polygon `results`), from the cache when fresh; raises LookupError when unknown."""
        symbol = self.provider_symbol(ticker)
        key = f"polygon:aggs:{symbol}:{start.isoformat()}:{end.isoformat()}"
        assert self.cache is not None
        cached = self.cache.get(key)
        if cached is not None:
            self.cache_hits += 1
            return list(cached)
        path = f"/v2/aggs/ticker/{symbol}/range/1/day/{start.isoformat()}/{end.isoformat()}"
        params: dict[str, str | int] = {"adjusted": "true", "sort": "asc", "limit": 50000, "apiKey": self.api_key}
        for attempt in range(self.max_retries + 1):
            self.waits.append(self.bucket.acquire())
            self.requests += 1
            try:
                response = self.http.get(path, params=params)
            except httpx.TransportError as error:
                status, detail = 0, str(error)
            else:
                status, detail = response.status_code, response.text[:200]
                if status == 200:
                    body = response.json()
                    results = body.get("results") or []
                    if not results and body.get("status") not in ("OK", "DELAYED"):
                        raise LookupError(f"{symbol}: {body.get('status')} {body.get('message', '')}".strip())
                    self.cache.put(key, results, self.cache_ttl_seconds)
                    return list(results)
                if status == 404:
                    raise LookupError(f"{symbol}: unknown ticker (HTTP 404)")
                if status not in (429,) and status < 500:
                    raise LookupError(f"{symbol}: HTTP {status} {detail}")
            if attempt == self.max_retries:
                raise TransientSourceError(f"{symbol}: gave up after {attempt + 1} attempts (last {status} {detail})")
            self.clock.sleep(exponential_backoff(attempt, self.rand))
        raise AssertionError("unreachable")

    def fetch(self, tickers: Sequence[str], start: dt.date, end: dt.date) -> FetchResult:
        frames, failures = [], []
        before_requests, before_hits = self.requests, self.cache_hits
        for ticker in tickers:
            try:
                results = self.aggregates(ticker, start, end)
            except LookupError as error:
                failures.append(TickerFailure(ticker, "UNKNOWN_TICKER", str(error)))
                continue
            if not results:
                failures.append(TickerFailure(ticker, "NO_DATA", f"{ticker}: no bars from {start} to {end}"))
                continue
            frames.append(bars_frame(ticker, results))
        return FetchResult(_concat(frames), failures, self.requests - before_requests, self.cache_hits - before_hits)


def bars_frame(ticker: str, results: list[dict[str, Any]]) -> pd.DataFrame:
    """Polygon fields o/h/l/c/v/t (t = bar start, ms since epoch UTC) as open/high/low/close/volume/date."""
    return pd.DataFrame(
        {
            "ticker": ticker,
            "price_date": [dt.datetime.fromtimestamp(r["t"] / 1000, tz=NEW_YORK).date() for r in results],
            "open": [float(r["o"]) for r in results],
            "high": [float(r["h"]) for r in results],
            "low": [float(r["l"]) for r in results],
            "close": [float(r["c"]) for r in results],
            "volume": [float(r.get("v", 0)) for r in results],
        }
    )
