"""Request context: request ids, the read-only method guard, HEAD/OPTIONS, last-resort 500s and metrics."""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Iterable
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import READ_ONLY_METHODS, ErrorCode, envelope_bytes, method_not_allowed_message
from api.metrics import UNMATCHED_ROUTE, Metrics

log = logging.getLogger("api.requests")

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
"""A caller's id is echoed only when it is short and plain; anything else is replaced by a fresh one."""


def new_request_id() -> str:
    """A fresh id; ids only correlate logs, so a fast non-cryptographic generator is enough."""
    return f"req_{random.getrandbits(128):032x}"


def _has_nul(scope: Scope) -> bool:
    """A NUL byte anywhere in the path or query (Postgres text cannot hold one, so no route could answer it)."""
    query: bytes = scope.get("query_string", b"")
    return "\x00" in scope.get("path", "") or b"%00" in query or b"\x00" in query


class RequestContextMiddleware:
    """Outermost app middleware: every response, errors included, carries X-Request-ID and is measured."""

    MAX_REMEMBERED_PATHS = 4096

    def __init__(self, app: ASGIApp, *, templates: Iterable[str], metrics: Metrics) -> None:
        self.app = app
        self.templates = [(template, compile_path(template)[0]) for template in templates]
        self._seen: dict[str, str | None] = {}
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = Headers(scope=scope).get(REQUEST_ID_HEADER)
        request_id = given if given and REQUEST_ID_PATTERN.match(given) else new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        method: str = scope["method"]
        inner: Scope = scope if method != "HEAD" else {**scope, "method": "GET"}
        status = 500
        response_started = False

        async def send_with_context(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            elif message["type"] == "http.response.body" and method == "HEAD":
                message = {**message, "body": b""}
            await send(message)

        try:
            if method not in ("GET", "HEAD", "OPTIONS"):
                await self._reply(send_with_context, 405, ErrorCode.METHOD_NOT_ALLOWED, request_id, method, scope)
            elif _has_nul(scope):
                await self._reply(send_with_context, 422, ErrorCode.VALIDATION_ERROR, request_id, method, scope)
            elif method == "OPTIONS":
                await self._options(send_with_context, request_id, scope)
            else:
                await self.app(inner, receive, send_with_context)
        except Exception:
            log.exception("unhandled error answering %s %s (request %s)", method, scope.get("path"), request_id)
            if response_started:
                raise
            await self._reply(send_with_context, 500, ErrorCode.PROCESSING_ERROR, request_id, method, scope)
        finally:
            template = self._template(scope) or UNMATCHED_ROUTE
            self.metrics.observe(method, template, status, time.perf_counter() - started)

    def _template(self, scope: Scope) -> str | None:
        """The template of the route this path reaches, if any: the metrics label, never the raw path.

        Remembered per path (a bounded map), so a hot route is not matched against every template each time.
        """
        path = scope.get("path", "")
        if path in self._seen:
            return self._seen[path]
        template = next((template for template, regex in self.templates if regex.match(path)), None)
        if len(self._seen) >= self.MAX_REMEMBERED_PATHS:
            self._seen.clear()
        self._seen[path] = template
        return template

    async def _options(self, send: Send, request_id: str, scope: Scope) -> None:
        if self._template(scope) is None:
            await self._reply(send, 404, ErrorCode.RESOURCE_NOT_FOUND, request_id, "OPTIONS", scope)
            return
        await send({"type": "http.response.start", "status": 204, "headers": [(b"allow", READ_ONLY_METHODS.encode())]})
        await send({"type": "http.response.body", "body": b""})

    @staticmethod
    async def _reply(send: Send, status: int, code: ErrorCode, request_id: str, method: str, scope: Scope) -> None:
        messages = {
            405: method_not_allowed_message(method),
            404: f"no route matches {method} {scope.get('path')}",
            500: "internal error; quote the request id when reporting it",
            422: "a path or query parameter contains a NUL byte (%00), which no identifier or value may hold",
        }
        body = envelope_bytes(code, messages[status], request_id)
        headers: list[tuple[bytes, bytes]] = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        if status == 405:
            headers.append((b"allow", READ_ONLY_METHODS.encode()))
        start: dict[str, Any] = {"type": "http.response.start", "status": status, "headers": headers}
        await send(start)
        await send({"type": "http.response.body", "body": body})
