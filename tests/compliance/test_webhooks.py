"""Webhooks against a real local HTTP server: signature, retries, Retry-After, no retry on 4xx; alert rules.

The delivery function is `orchestration.core.webhooks.deliver` (shared by every subscriber); an alert rule's
webhook channel is one subscriber of the outbox machinery: its firing writes `alert.triggered` in the same
transaction as the ops.alert_history row, the delivery (ops/deliveries.py) posts it and writes back how it went.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import hmac
import json
import socket
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.keys import create_api_key
from api.main import create_app
from orchestration.compliance import alerts, tables
from orchestration.compliance.alert_rules import AlertRule, condition_met, in_cooldown, parse_config, send_email
from orchestration.core import events
from orchestration.core.schema import events as events_table
from orchestration.core.webhooks import SIGNATURE_HEADER, Delivery, deliver, verify
from orchestration.ops import deliveries, subscriptions
from tests.api.helpers import api_settings
from tests.ops.receiver import Receiver

SECRET = "whsec-test"
NOW = dt.datetime(2026, 1, 25, 10, 30, tzinfo=dt.UTC)
STAMP = "2026-01-25T10:30:00Z"


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


def _send(url: str, sleeps: list[float]) -> Delivery:
    data = {"workbook_id": "wb", "test_id": "oc_senior", "current_value": 114.5, "trigger_level": 115.0,
            "status": "failed"}  # fmt: skip
    return deliver(
        url, "compliance.failed", data, tenant_id="t1", webhook_id="hook-1", secret=SECRET, timestamp=STAMP,
        sleep=sleeps.append, clock=lambda: NOW,
    )  # fmt: skip


def _statuses(result: Delivery) -> list[str]:
    return [a.status for a in result.attempts]


def test_seed_format_and_hmac_signature(server: str) -> None:
    Recorder.scripts = {}
    sleeps: list[float] = []
    result = _send(f"{server}/ok", sleeps)
    assert (result.status, len(result.attempts), result.http_status) == ("delivered", 1, 200)
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
    assert (result.status, len(result.attempts)) == ("delivered", 3)
    assert _statuses(result) == ["retrying", "retrying", "delivered"]
    assert sleeps == [1.0, 2.0]
    attempts = [json.loads(r["body"])["metadata"]["delivery_attempt"] for r in Recorder.received]
    assert attempts == [1, 2, 3]
    for r in Recorder.received:
        assert verify(r["body"], SECRET, r["headers"][SIGNATURE_HEADER])


def test_5xx_gives_up_after_three_attempts(server: str) -> None:
    Recorder.scripts = {"/down": [(503, {})]}
    sleeps: list[float] = []
    result = _send(f"{server}/down", sleeps)
    assert (result.status, len(result.attempts), result.http_status) == ("failed", 3, 503)
    assert _statuses(result) == ["retrying", "retrying", "failed"]
    assert sleeps == [1.0, 2.0]


def test_429_honours_retry_after_seconds_and_http_date(server: str) -> None:
    Recorder.scripts = {"/rate": [(429, {"Retry-After": "7"}), (200, {})]}
    sleeps: list[float] = []
    result = _send(f"{server}/rate", sleeps)
    assert (result.status, len(result.attempts)) == ("delivered", 2)
    assert sleeps == [7.0]
    later = email.utils.format_datetime(NOW + dt.timedelta(seconds=30), usegmt=True)  # 30 s after the clock
    Recorder.scripts = {"/date": [(429, {"Retry-After": later}), (429, {"Retry-After": later}), (429, {})]}
    sleeps = []
    result = _send(f"{server}/date", sleeps)
    assert sleeps == [30.0, 30.0]
    assert (result.status, _statuses(result)) == ("failed", ["retrying", "retrying", "failed"])


def test_other_4xx_is_not_retried(server: str) -> None:
    Recorder.scripts = {"/bad": [(400, {})]}
    sleeps: list[float] = []
    result = _send(f"{server}/bad", sleeps)
    assert (result.status, len(result.attempts), result.http_status) == ("not_retried", 1, 400)
    assert sleeps == []
    assert len(Recorder.received) == 1


def test_network_errors_retry_exponentially() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: connection refused
    sleeps: list[float] = []
    result = _send(f"http://127.0.0.1:{port}/", sleeps)
    assert (result.status, len(result.attempts), result.http_status) == ("failed", 3, None)
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


# --- An alert rule's webhook: one subscriber of the outbox machinery -------------------------------------------


def _land_results(engine: sa.Engine, tenant: str, key: str, ccc_pct: float) -> None:
    """One workbook's compliance results as the compliance asset writes them (one failed test, its metrics)."""
    common = {
        "tenant_id": tenant,
        "partition_key": key,
        "workbook_id": f"wb-{key}",
        "report_date": dt.date(2026, 1, 31),
        "deal_id": "Deal A",
        "executed_at": dt.datetime(2026, 1, 31, 18, 0, tzinfo=dt.UTC),
    }
    result = {
        "test_id": "ccc_test",
        "sort_order": 0,
        "name": "CCC",
        "category": "concentration",
        "direction": "max",
        "unit": "%",
        "status": "failed",
        "current_value": ccc_pct,
        "trigger_level": 7.5,
        "target_level": 7.5,
        "cushion": 7.5 - ccc_pct,
        "trend": "stable",
    }
    summary = {"total_tests": 1, "passed": 0, "failed": 1, "warning": 0}
    with engine.begin() as conn:
        conn.execute(tables.compliance_results.insert().values(**common, **result))
        conn.execute(
            tables.compliance_metrics.insert().values(**common, summary=summary, metrics={"ccc_pct": ccc_pct}, deal={})
        )


def _config(url: str) -> Any:
    return parse_config(
        [("t.yaml", {"rules": [
            {"id": "ccc-hook", "name": "CCC above 7.5", "condition": {"metric": "ccc_pct", "operator": "greater_than",
             "threshold": 7.5}, "severity": "critical", "channels": ["webhook"], "webhook_url": url,
             "webhook_secret_env": "CB_TEST_ALERT_SECRET", "cooldown_minutes": 5},
            {"id": "ccc-quiet", "name": "CCC above 1", "condition": {"metric": "ccc_pct", "operator": "greater_than",
             "threshold": 1}, "channels": ["email"], "cooldown_minutes": 5},
        ]})]
    )  # fmt: skip


def _history(engine: sa.Engine, tenant: str) -> dict[str, dict[str, Any]]:
    h = tables.alert_history
    with engine.connect() as conn:
        return {r.rule_id: dict(r._mapping) for r in conn.execute(sa.select(h).where(h.c.tenant_id == tenant))}


def _alert_events(engine: sa.Engine, tenant: str) -> list[Any]:
    e = events_table
    with engine.connect() as conn:
        query = sa.select(e).where(e.c.tenant_id == tenant, e.c.type == "alert.triggered").order_by(e.c.event_id)
        return list(conn.execute(query))


def _last_event_id(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(events_table.c.event_id), 0))).scalar_one())


def test_a_firing_and_its_alert_triggered_event_are_one_transaction(platform, monkeypatch) -> None:
    engine, tenant, key = platform.warehouse, f"alrt-{uuid.uuid4().hex[:6]}", "p.1"
    _land_results(engine, tenant, key, ccc_pct=9.25)
    config = _config("http://127.0.0.1:9/unused")

    def refuse(*args: Any, **kwargs: Any) -> list[int]:
        raise RuntimeError("the outbox refused the event")

    monkeypatch.setattr(events, "append", refuse)
    with pytest.raises(RuntimeError, match="outbox refused"):
        alerts.process_partition(engine, tenant, key, config, now=NOW)
    assert _history(engine, tenant) == {}  # the history row rolled back with its event
    monkeypatch.undo()

    outcome = alerts.process_partition(engine, tenant, key, config, now=NOW)
    assert sorted(f["rule_id"] for f in outcome.fired) == ["ccc-hook", "ccc-quiet"]
    history = _history(engine, tenant)
    stored = _alert_events(engine, tenant)
    assert {e.event_uuid for e in stored} == {h["alert_event_id"] for h in history.values()}
    fired = history["ccc-hook"]
    (event,) = [e for e in stored if e.event_uuid == fired["alert_event_id"]]
    assert (event.workbook_id, event.partition_key) == (f"wb-{key}", key)
    assert event.payload == {
        "type": "alert.triggered",
        "timestamp": "2026-01-25T10:30:00Z",
        "data": {"alert_event_id": fired["alert_event_id"], "rule_id": "ccc-hook", "rule_name": "CCC above 7.5",
                 "workbook_id": f"wb-{key}", "deal_id": "Deal A", "metric": "ccc_pct", "operator": "greater_than",
                 "threshold": 7.5, "value": 9.25, "severity": "critical"},
    }  # fmt: skip
    # Nothing was posted during the evaluation: the webhook channel waits in the outbox.
    assert fired["deliveries"] == [
        {"channel": "webhook", "webhook_id": "ccc-hook", "status": "queued", "attempts": 0, "http_status": None,
         "error": None, "event_uuid": fired["alert_event_id"]}
    ]  # fmt: skip
    assert history["ccc-quiet"]["deliveries"][0]["channel"] == "email"


def test_an_alert_rules_webhook_is_delivered_by_the_outbox_machinery(platform, monkeypatch, tmp_path) -> None:
    engine, tenant, key = platform.warehouse, f"alrt-{uuid.uuid4().hex[:6]}", "p.1"
    _land_results(engine, tenant, key, ccc_pct=9.25)
    cursor = deliveries.cursor_after(_last_event_id(engine))
    receiver = Receiver()
    try:
        url = receiver.script("/alert", [(503, {}), (200, {})])
        config = _config(url)
        alerts.process_partition(engine, tenant, key, config, now=NOW)
        subs = subscriptions.load_subscriptions(config_dir=tmp_path, alert_config=config)
        (hook,) = [s for s in subs if s.id == "ccc-hook"]
        assert (hook.events, hook.rule_id, hook.tenant_id) == (("alert.triggered",), "ccc-hook", "*")
        assert not [s for s in subs if s.id == "ccc-quiet"]  # an email-only rule subscribes nothing

        found = deliveries.scan(engine, cursor, subs)
        mine = [d for d in found.due if d.event.tenant_id == tenant]
        assert [d.webhook_id for d in mine] == ["ccc-hook"]  # only the webhook rule's firing, not ccc-quiet's
        monkeypatch.setenv("CB_TEST_ALERT_SECRET", "s3cret")
        sleeps: list[float] = []
        deliveries.deliver(engine, mine[0].event, hook, sleep=sleeps.append)
    finally:
        receiver.close()
    assert sleeps == [1.0]
    first, second = receiver.received("/alert")
    body = second.json
    fired = _history(engine, tenant)["ccc-hook"]
    assert body["event"] == "alert.triggered"
    assert body["data"]["rule_id"] == "ccc-hook"
    assert body["data"]["alert_event_id"] == fired["alert_event_id"]
    assert body["metadata"] == {"tenant_id": tenant, "webhook_id": "ccc-hook", "delivery_attempt": 2}
    assert first.signed_with("s3cret")
    assert second.signed_with("s3cret")
    (channel,) = fired["deliveries"]  # the history now says how it went
    assert {k: channel[k] for k in ("channel", "webhook_id", "status", "attempts", "http_status", "error")} == {
        "channel": "webhook", "webhook_id": "ccc-hook", "status": "delivered", "attempts": 2, "http_status": 200,
        "error": None,
    }  # fmt: skip
    assert channel["event_uuid"] == fired["alert_event_id"]
    # ... and /api/v1/alerts/history serves it as before (the mart is a view over ops.alert_history).
    platform.run_dbt("run", "--select", "clo_alert_firings")
    with TestClient(create_app(api_settings(), instance=platform.instance)) as client:
        key = create_api_key(engine, tenant, "alert webhook test")
        history = client.get("/api/v1/alerts/ccc-hook/history", headers={"X-API-Key": key}).json()
    (served,) = history["data"]
    assert served["id"] == fired["alert_event_id"]
    assert served["deliveries"] == [
        {"channel": "webhook", "status": "delivered", "attempts": 2, "http_status": 200, "error": None}
    ]
