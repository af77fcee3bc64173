"""One /ws connection once accepted: the replay after `since`, then live events, client messages and heartbeats.

Everything the server sends after the replay goes through one bounded queue and one writer, so acknowledgements
and events keep their order (an event offered after an `unsubscribed` reply obeys the new set) and a client that
falls `ws_queue_size` messages behind is closed (1013) rather than buffered without end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Mapping
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from api.deps import Reader
from api.errors import ErrorCode
from api.routers.ws import queries
from api.routers.ws.hub import Feed
from api.routers.ws.protocol import (
    CLOSE_ERROR_CODES,
    CloseCode,
    ProtocolError,
    Subscription,
    apply,
    error_message,
    event_message,
    stamp,
)
from api.runtime import Runtime

REPLAY_PAGE = 500
"""Events read per statement while replaying after `since`."""


def dumps(message: Mapping[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


class Client:
    """A connection's subscription, its outgoing queue, and why it is closing (if it is)."""

    def __init__(
        self, websocket: WebSocket, tenant_id: str, subscription: Subscription, request_id: str, queue_size: int
    ) -> None:
        self.websocket = websocket
        self.tenant_id = tenant_id
        self.subscription = subscription
        self.request_id = request_id
        self.queue_size = queue_size
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=queue_size)
        self.replaying = True
        self.held: list[Mapping[str, Any]] = []
        self.skip: set[int] = set()
        self.closing = asyncio.Event()
        self.close_reason: tuple[CloseCode, str] | None = None

    def offer(self, row: Mapping[str, Any]) -> None:
        """A live event from the tenant's feed: queued when the subscription wants it (held while replaying)."""
        if self.close_reason is not None or not self.subscription.matches(row["type"], row["workbook_id"]):
            return
        if self.skip and row["event_id"] in self.skip:
            self.skip.discard(row["event_id"])
            return
        if not self.replaying:
            self.put(event_message(row))
        elif len(self.held) < self.queue_size:
            self.held.append(row)
        else:
            self.overflow()

    def put(self, message: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflow()

    def overflow(self) -> None:
        self.close(CloseCode.TRY_AGAIN_LATER, f"fell {self.queue_size} messages behind; reconnect with since=<id>")

    def close(self, code: CloseCode, message: str) -> None:
        """Ask `serve` to close the connection with `code` after an error message saying why."""
        if self.close_reason is None:
            self.close_reason = (code, message)
            self.closing.set()

    async def replay(self, runtime: Runtime, since: int, feed: Feed) -> None:
        """Send the tenant's events after `since`, then go live without a gap or a duplicate (`end_replay`).

        Only ids above the feed's floor can also reach the client live, so only those are remembered.
        """
        replayed: set[int] = set()
        reader = Reader(runtime.async_engine)
        after = since
        while True:
            query = queries.replay(self.tenant_id, after, self.subscription, REPLAY_PAGE)
            rows = [dict(row) for row in (await reader.execute(query)).mappings()]
            for row in rows:
                await self.websocket.send_text(dumps(event_message(row)))
                if row["event_id"] > feed.floor:
                    replayed.add(int(row["event_id"]))
            if len(rows) < REPLAY_PAGE:
                break
            after = int(rows[-1]["event_id"])
        self.end_replay(replayed, feed)

    def end_replay(self, replayed: set[int], feed: Feed) -> None:
        """Go live: queue what the feed offered meanwhile, except what the replay sent (no await: nothing slips in).

        A replayed event the feed has not streamed yet (committed during the replay, its NOTIFY not yet read)
        will still be offered: it is remembered in `skip` and dropped then.
        """
        self.replaying = False
        held, self.held = self.held, []
        for row in held:
            if int(row["event_id"]) not in replayed:
                self.put(event_message(row))
        self.skip = {i for i in replayed if i > feed.floor and i not in feed.seen}

    async def serve(self, heartbeat_seconds: float, expires_at: float | None) -> None:
        """Run until the client leaves or `close` is asked for; then send the reason and close with its code."""
        tasks = [
            asyncio.create_task(self._read()),
            asyncio.create_task(self._write()),
            asyncio.create_task(self._beat(heartbeat_seconds)),
            asyncio.create_task(self.closing.wait()),
        ]
        if expires_at is not None:
            tasks.append(asyncio.create_task(self._expire(expires_at)))
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if self.close_reason is not None:
            code, message = self.close_reason
            await send_close(self.websocket, code, CLOSE_ERROR_CODES[code], message, self.request_id)

    async def _read(self) -> None:
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                text = (message.get("bytes") or b"").decode("utf-8", errors="replace")
            try:
                reply = apply(self.subscription, text)
            except ProtocolError as error:
                reply = error_message(ErrorCode.VALIDATION_ERROR, error.message, self.request_id, [error.detail])
            self.put(reply)

    async def _write(self) -> None:
        while True:
            message = await self.queue.get()
            await self.websocket.send_text(dumps(message))

    async def _beat(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            self.put({"type": "heartbeat", "timestamp": stamp()})

    async def _expire(self, expires_at: float) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        self.close(CloseCode.UNAUTHORIZED, "token has expired")


async def send_close(websocket: WebSocket, code: int, error: ErrorCode, message: str, request_id: str) -> None:
    """An `error` message, then the close frame with `code` (nothing when the client has already gone)."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        await websocket.send_text(dumps(error_message(error, message, request_id)))
        await websocket.close(code, reason=message.encode()[:120].decode(errors="ignore"))
