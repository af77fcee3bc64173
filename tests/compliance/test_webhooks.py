"""Webhook delivery against a real local HTTP server: signature, retries, Retry-After, no retry on 4xx."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from orchestration.compliance.alert_rules import AlertRule, condition_met, in_cooldown, parse_config, send_email
from orchestration.compliance.webhooks import SIGNATURE_HEADER, deliver, verify

SECRET = "whsec-test"
NOW = dt.datetime(2026, 1, 25, 10, 30, tzinfo=dt.UTC)


class Recorder(BaseHTTPRequestHandler):
    """Answers each path with a scripted sequence of statuses and records every request."""

    scripts: ClassVar[dict[str, list[tuple[int, dict[str, str]]]]] = {}
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        script = self.scripts.get(self.path, [(200, {})])
        status, headers = script.pop(0) if len(script) > 1 else script[0]
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def server() -> Iterator[str]:
    Recorder.received = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _send(url: str, sleeps: list[float]):
    data = {"workbook_id": "wb", "test_id": "oc_senior", "current_value": 114.5, "trigger_level": 115.0,
            "status": "failed"}  # fmt: skip
    return deliver(
        url, "compliance.failed", data, tenant_id="t1", webhook_id="hook-1", secret=SECRET, timestamp=NOW,
        sleep=sleeps.append,
    )  # fmt: skip


def test_seed_format_and_hmac_signature(server: str) -> None:
    Recorder.scripts = {}
    sleeps: list[float] = []
    result = _send(f"{server}/ok", sleeps)
    assert (result.status, result.attempts, result.http_status) == ("delivered", 1, 200)
    (request,) = Recorder.received
    body = json.loads(request["body"])
    assert body == {
        "event": "compliance.failed",
        "timestamp": "2026-01-25T10:30:00Z",
        "data": {"workbook_id": "wb", "test_id": "oc_senior", "current_value": 114.5, "trigger_level": 115.0,
                 "status": "failed"},
        "metadata": {"tenant_id": "t1", "webhook_id": "hook-1", "delivery_attempt": 1},
    }  # fmt: skip
    expected = "sha256=" + hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"][SIGNATURE_HEADER] == expected
    assert verify(request["body"], SECRET, request["headers"][SIGNATURE_HEADER])
    assert not verify(request["body"], "wrong", request["headers"][SIGNATURE_HEADER])
    assert sleeps == []


def test_5xx_retries_exponentially_and_each_attempt_is_resigned(server: str) -> None:
    Recorder.scripts = {"/flaky": [(500, {}), (502, {}), (200, {})]}
    sleeps: list[float] = []
    result = _send(f"{server}/flaky", sleeps)
    assert (result.status, result.attempts) == ("delivered", 3)
    assert sleeps == [1.0, 2.0]
    attempts = [json.loads(r["body"])["metadata"]["delivery_attempt"] for r in Recorder.received]
    assert attempts == [1, 2, 3]
    for r in Recorder.received:
        assert verify(r["body"], SECRET, r["headers"][SIGNATURE_HEADER])


def test_5xx_gives_up_after_three_attempts(server: str) -> None:
    Recorder.scripts = {"/down": [(503, {})]}
    sleeps: list[float] = []
    result = _send(f"{server}/down", sleeps)
    assert (result.status, result.attempts, result.http_status) == ("failed", 3, 503)
    assert sleeps == [1.0, 2.0]


def test_429_honours_retry_after(server: str) -> None:
    Recorder.scripts = {"/rate": [(429, {"Retry-After": "7"}), (200, {})]}
    sleeps: list[float] = []
    result = _send(f"{server}/rate", sleeps)
    assert (result.status, result.attempts) == ("delivered", 2)
    assert sleeps == [7.0]


def test_other_4xx_is_not_retried(server: str) -> None:
    Recorder.scripts = {"/bad": [(400, {})]}
    sleeps: list[float] = []
    result = _send(f"{server}/bad", sleeps)
    assert (result.status, result.attempts, result.http_status) == ("failed", 1, 400)
    assert sleeps == []
    assert len(Recorder.received) == 1


def test_network_errors_retry_exponentially() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: connection refused
    sleeps: list[float] = []
    result = _send(f"http://127.0.0.1:{port}/", sleeps)
    assert (result.status, result.attempts, result.http_status) == ("failed", 3, None)
    assert sleeps == [1.0, 2.0]
    assert "ConnectError" in (result.error or "")


def _rule(**overrides: Any) -> AlertRule:
    raw = {"id": "r", "name": "OC", "condition": {"metric": "oc_senior", "operator": "less_than", "threshold": 120},
           "channels": ["webhook"], "webhook_url": "http://x", "cooldown_minutes": 30, **overrides}  # fmt: skip
    return parse_config([("t.yaml", {"rules": [raw]})]).rules[0]


def test_cooldown_and_conditions() -> None:
    rule = _rule()
    assert condition_met(rule, 119.99)
    assert not condition_met(rule, 120.0)
    assert not condition_met(rule, None)
    assert not in_cooldown(rule, None, NOW)
    assert in_cooldown(rule, NOW - dt.timedelta(minutes=29, seconds=59), NOW)
    assert not in_cooldown(rule, NOW - dt.timedelta(minutes=30), NOW)


def test_invalid_rules_are_rejected() -> None:
    from orchestration.core.errors import InputError

    with pytest.raises(InputError) as info:
        _rule(condition={"metric": "x", "operator": "around", "threshold": 1})
    assert (info.value.code, info.value.where) == ("ALERT_RULE_INVALID", "t.yaml:rules[0].condition.operator")
    with pytest.raises(InputError, match="webhook channel needs webhook_url"):
        _rule(webhook_url=None)


def test_email_is_skipped_without_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CALCBRIDGE_SMTP_HOST", raising=False)
    assert send_email(["a@example.com"], "s", "b")["status"] == "skipped"
