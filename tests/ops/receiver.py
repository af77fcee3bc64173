"""A real HTTP receiver for webhook tests: a server on a free port that answers each path with a scripted list of
statuses (the last one repeats) and records every request, so tests check bodies and HMAC signatures as a
subscriber would."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)

    def signed_with(self, secret: str) -> bool:
        """The X-CalcBridge-Signature header is HMAC-SHA256 of the raw body with `secret` (worked out here)."""
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers.get("X-CalcBridge-Signature", ""), expected)


class Receiver:
    """`script(path, [(status, headers), ...])`, then point subscriptions at `url + path`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self.requests: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
                    script = receiver._scripts.get(self.path, [(200, {})])
                    status, headers = script.pop(0) if len(script) > 1 else script[0]
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def script(self, path: str, responses: list[tuple[int, dict[str, str]]]) -> str:
        with self._lock:
            self._scripts[path] = list(responses)
        return self.url + path

    def received(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
