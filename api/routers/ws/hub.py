"""One per API process: a LISTEN connection on `calcbridge_events` and one feed per tenant with open sockets.

A NOTIFY (`<tenant>:<max event_id>`, sent by `orchestration.core.events.append` at its transaction's commit) wakes
that tenant's feed, which reads the tenant's events it has not streamed from marts.events once and offers each to
the tenant's connections (each filters by its subscription). No connection polls. Notifications for tenants with
no connection here are ignored; a dropped listener is reconnected and every feed catches up at once.

Ids come from one sequence, allocated at insert and visible at commit, so two concurrent writes of a tenant can
commit out of id order. A feed therefore does not stop at its highest id: it keeps reading above a floor that
trails it by `ws_late_commit_seconds`, skipping the ids it has streamed since, so a late commit is still streamed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import asyncpg
from sqlalchemy.engine import URL

from api.deps import Reader
from api.errors import ApiError, ErrorCode
from api.routers.ws import queries
from api.runtime import Runtime, api_database_url, asyncpg_connect_args
from orchestration.core.events import CHANNEL

log = logging.getLogger("api.ws")

LISTENER_APPLICATION_NAME = "calcbridge-api-events"
"""`application_name` of the LISTEN connection, followed by `:<pid>` of the API process that holds it."""
LISTENER_CHECK_SECONDS = 10.0
"""How often an idle listener proves its connection alive (a dead TCP peer sends no termination)."""
RECONNECT_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)
"""Waits between attempts to reconnect the listener (the last repeats)."""
READ_BATCH = 500
"""Events a feed reads per statement; it reads again while a batch comes back full."""


class Subscriber(Protocol):
    """A connection as a feed sees it."""

    tenant_id: str

    def offer(self, row: Mapping[str, Any]) -> None: ...


class TooManyConnectionsError(ApiError):
    """The tenant holds `ws_max_connections_per_tenant` connections on this process already."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            429,
            f"at most {limit} WebSocket connections per tenant; close one first",
            code=ErrorCode.RATE_LIMIT_EXCEEDED,
        )


@dataclass(eq=False)
class Feed:
    """A tenant's stream: its connections and what has been streamed to them."""

    tenant_id: str
    subscribers: set[Subscriber] = field(default_factory=set)
    floor: int = 0
    """Every event id at or below it has been streamed or is given up as never committing."""
    cursor: int = 0
    """The highest id streamed (or the tenant's last id when the feed started)."""
    seen: dict[int, float] = field(default_factory=dict)
    """Ids above `floor` streamed, with when (monotonic)."""
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    ready: asyncio.Future[None] | None = None
    task: asyncio.Task[None] | None = None


def _on_termination(lost: asyncio.Event, _conn: asyncpg.Connection) -> None:
    lost.set()


def listener_parameters(url: URL) -> dict[str, Any]:
    """`asyncpg.connect` keywords for the API's warehouse URL (libpq query options translated as for the pool)."""
    url, extra = asyncpg_connect_args(url)
    params: dict[str, Any] = url.translate_connect_args(username="user", database="database")
    params.update({key: value for key, value in url.query.items() if isinstance(value, str)})
    return params | extra


class EventHub:
    """The process's listener and tenant feeds; `start`/`stop` run with the app's lifespan."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self._feeds: dict[str, Feed] = {}
        self._listener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="ws-listener")

    async def stop(self) -> None:
        tasks = [t for t in (self._listener, *(f.task for f in self._feeds.values())) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._feeds.clear()

    async def register(self, subscriber: Subscriber) -> Feed:
        """Join the tenant's feed (starting it at the tenant's last event id); TooManyConnectionsError past the cap."""
        feed = self._feeds.get(subscriber.tenant_id)
        if feed is None:
            feed = self._feeds[subscriber.tenant_id] = Feed(subscriber.tenant_id)
            feed.ready = asyncio.ensure_future(self._start_feed(feed))
        if len(feed.subscribers) >= self.settings.ws_max_connections_per_tenant:
            raise TooManyConnectionsError(self.settings.ws_max_connections_per_tenant)
        feed.subscribers.add(subscriber)
        try:
            assert feed.ready is not None
            await asyncio.shield(feed.ready)
        except BaseException:
            self.unregister(subscriber)
            raise
        return feed

    def unregister(self, subscriber: Subscriber) -> None:
        """Leave the feed; the last connection out stops it (the next one starts afresh)."""
        feed = self._feeds.get(subscriber.tenant_id)
        if feed is None:
            return
        feed.subscribers.discard(subscriber)
        if not feed.subscribers:
            del self._feeds[subscriber.tenant_id]
            if feed.task is not None:
                feed.task.cancel()

    async def _start_feed(self, feed: Feed) -> None:
        try:
            result = await Reader(self.runtime.async_engine).execute(queries.last_event_id(feed.tenant_id))
        except BaseException:
            if self._feeds.get(feed.tenant_id) is feed:
                del self._feeds[feed.tenant_id]
            raise
        feed.floor = feed.cursor = int(result.scalar_one())
        feed.task = asyncio.create_task(self._run_feed(feed), name=f"ws-feed-{feed.tenant_id}")

    async def _run_feed(self, feed: Feed) -> None:
        while True:
            await feed.wake.wait()
            feed.wake.clear()
            try:
                await self._pump(feed)
            except Exception:
                log.warning("reading the events of %s failed; retrying", feed.tenant_id, exc_info=True)
                await asyncio.sleep(RECONNECT_DELAYS[-1])
                feed.wake.set()

    async def _pump(self, feed: Feed) -> None:
        """Stream every committed event of the tenant not streamed yet, in id order."""
        now = time.monotonic()
        horizon = now - self.settings.ws_late_commit_seconds
        settled = [i for i, at in feed.seen.items() if at <= horizon]
        if settled:
            feed.floor = max(feed.floor, *settled)
        feed.seen = {i: at for i, at in feed.seen.items() if i > feed.floor and at > horizon}
        reader = Reader(self.runtime.async_engine)
        while True:
            query = queries.unseen(feed.tenant_id, feed.floor, feed.seen, READ_BATCH)
            rows = [dict(row) for row in (await reader.execute(query)).mappings()]
            for row in rows:
                event_id = int(row["event_id"])
                if self.settings.ws_late_commit_seconds > 0:
                    feed.seen[event_id] = now
                else:
                    feed.floor = max(feed.floor, event_id)
                feed.cursor = max(feed.cursor, event_id)
                for subscriber in list(feed.subscribers):
                    subscriber.offer(row)
            if len(rows) < READ_BATCH:
                return

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        tenant_id, _, _ = payload.rpartition(":")
        feed = self._feeds.get(tenant_id)
        if feed is not None:  # a feed still starting reads it once it has its floor
            feed.wake.set()

    async def _connect_listener(self) -> asyncpg.Connection:
        params = listener_parameters(api_database_url(self.settings))
        params.setdefault("timeout", self.settings.connect_timeout_seconds)
        params["server_settings"] = {
            **params.get("server_settings", {}),
            "application_name": f"{LISTENER_APPLICATION_NAME}:{os.getpid()}",
        }
        return await asyncpg.connect(**params)

    async def _listen(self) -> None:
        """LISTEN for as long as the app runs: reconnect whenever the connection is lost, then catch every feed up."""
        failures = 0
        while True:
            try:
                conn = await self._connect_listener()
            except Exception as error:
                delay = RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS) - 1)]
                failures += 1
                log.warning("events listener cannot connect (%s); retrying in %ss", error, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            lost = asyncio.Event()
            conn.add_termination_listener(functools.partial(_on_termination, lost))
            try:
                await conn.add_listener(CHANNEL, self._notified)
                for feed in self._feeds.values():  # what was committed while no one listened
                    feed.wake.set()
                while not lost.is_set():
                    try:
                        await asyncio.wait_for(lost.wait(), LISTENER_CHECK_SECONDS)
                    except TimeoutError:
                        await conn.fetchval("select 1", timeout=LISTENER_CHECK_SECONDS)
                log.warning("events listener connection lost; reconnecting")
            except Exception as error:
                log.warning("events listener failed (%s); reconnecting", error)
            finally:
                if not conn.is_closed():
                    conn.terminate()
