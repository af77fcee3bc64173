"""Webhook deliveries end to end on the real platform: events published to the outbox, the sensor's requests, the
delivery job posting to a real local receiver (HMAC checked here), every attempt in ops.webhook_deliveries and
served by /api/v1/webhooks/deliveries, an exhausted delivery failing its run into /api/v1/dlq, and the
dlq.item_added announcement (never delivered for a failed delivery, so a dead receiver cannot loop).

Expectations are worked out by hand: the seed's schedule (1 s, 2 s; Retry-After), the seed's body, the HMAC of the
raw body computed in the receiver.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml
from fastapi.testclient import TestClient

import api.main as api_main
from api.keys import create_api_key
from api.routers import webhooks as webhooks_router
from orchestration.compliance.alert_rules import parse_config
from orchestration.core import events
from orchestration.core.errors import InputError
from orchestration.core.resources import WarehouseResource
from orchestration.core.schema import events as events_table
from orchestration.ops import deliveries, subscriptions
from orchestration.ops.definitions import WebhookSenderResource, webhook_delivery_job
from orchestration.ops.sensors import WEBHOOK_SENSOR, announce_dead_letters, delivery_request
from orchestration.ops.subscriptions import Subscription
from orchestration.ops.tables import webhook_deliveries
from tests.api.helpers import api_settings
from tests.ops.receiver import Receiver

SECRET_A, SECRET_B = "secret-of-a", "secret-of-b"
CLOCK = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class World:
    a: str
    b: str
    receiver: Receiver
    client: TestClient
    headers: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def world(platform: Any) -> Iterator[World]:
    """Two tenants, a receiver, and the API with the webhooks router mounted (as api/routers registers it)."""
    suffix = uuid.uuid4().hex[:6]
    a, b = f"hooka-{suffix}", f"hookb-{suffix}"
    receiver = Receiver()
    platform.run_dbt("run", "--select", "stg_webhook_deliveries", "webhook_deliveries")
    with pytest.MonkeyPatch.context() as patch:
        if webhooks_router.router not in api_main.API_V1_ROUTERS:
            patch.setattr(api_main, "API_V1_ROUTERS", (*api_main.API_V1_ROUTERS, webhooks_router.router))
        app = api_main.create_app(api_settings(), instance=platform.instance)
    client = TestClient(app)
    client.__enter__()
    headers = {t: {"X-API-Key": create_api_key(platform.warehouse, t, "webhook tests")} for t in (a, b)}
    try:
        yield World(a, b, receiver, client, headers)
    finally:
        client.__exit__(None, None, None)
        receiver.close()


def _subscriptions(folder: Path, entries: list[dict[str, Any]]) -> tuple[Subscription, ...]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hooks.yaml").write_text(yaml.safe_dump({"subscriptions": entries}))
    return subscriptions.load_subscriptions(folder, parse_config([]))


def _entry(hook_id: str, tenant: str, url: str, events_: list[str], secret_env: str = "CB_HOOK_A") -> dict[str, Any]:
    return {"id": hook_id, "tenant_id": tenant, "url": url, "secret_env": secret_env, "events": events_}


def _last_event_id(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(events_table.c.event_id), 0))).scalar_one())


def _publish(engine: sa.Engine, tenant: str, event_type: str, data: dict[str, Any]) -> deliveries.StoredEvent:
    (event_id,) = events.publish(engine, tenant, [events.Event(event_type, data)])
    stored = deliveries.load_event(engine, event_id)
    assert stored is not None
    return stored


def _attempts(engine: sa.Engine, **where: Any) -> list[dict[str, Any]]:
    t = webhook_deliveries
    query = sa.select(t).where(*(t.c[k] == v for k, v in where.items())).order_by(t.c.attempted_at, t.c.attempt)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def _deliver(platform: Any, event: deliveries.StoredEvent, hook: Subscription, sleeps: list[float]) -> Any:
    return deliveries.deliver(
        platform.warehouse, event, hook, sleep=sleeps.append, clock=lambda: CLOCK, environ={"CB_HOOK_A": SECRET_A}
    )


def test_the_seed_body_is_signed_and_every_attempt_is_recorded(platform, world, tmp_path) -> None:
    """500, 500, 200: three attempts 1 s and 2 s apart, each re-signed; each recorded before the next wait."""
    url = world.receiver.script("/flaky", [(500, {}), (500, {}), (200, {})])
    (hook,) = _subscriptions(tmp_path, [_entry("flaky-a", world.a, url, ["compliance.failed"])])
    data = {"workbook_id": "wb-1", "test_id": "oc_senior", "current_value": 114.5, "status": "failed"}
    event = _publish(platform.warehouse, world.a, "compliance.failed", data)
    sleeps: list[float] = []
    visible_while_waiting: list[int] = []

    def sleep(seconds: float) -> None:  # another connection sees each attempt while the delivery waits
        sleeps.append(seconds)
        visible_while_waiting.append(len(_attempts(platform.warehouse, event_id=event.event_id)))

    delivery = deliveries.deliver(
        platform.warehouse, event, hook, sleep=sleep, clock=lambda: CLOCK, environ={"CB_HOOK_A": SECRET_A}
    )
    assert delivery.status == "delivered"
    assert sleeps == [1.0, 2.0]
    assert visible_while_waiting == [1, 2]
    posts = world.receiver.received("/flaky")
    assert [p.json["metadata"]["delivery_attempt"] for p in posts] == [1, 2, 3]
    for post in posts:
        assert post.signed_with(SECRET_A)
        assert not post.signed_with(SECRET_B)
        assert post.headers["X-CalcBridge-Event"] == "compliance.failed"
        assert post.headers["X-CalcBridge-Event-Id"] == event.event_uuid
        assert post.headers["X-CalcBridge-Delivery"] == delivery.delivery_id
    assert posts[0].json == {
        "event": "compliance.failed",
        "timestamp": event.timestamp,
        "data": data,
        "metadata": {"tenant_id": world.a, "webhook_id": "flaky-a", "delivery_attempt": 1},
    }
    rows = _attempts(platform.warehouse, event_id=event.event_id)
    assert [(r["attempt"], r["status"], r["http_status"], r["delay_seconds"], r["error"]) for r in rows] == [
        (1, "retrying", 500, 1.0, "HTTP 500"),
        (2, "retrying", 500, 2.0, "HTTP 500"),
        (3, "delivered", 200, None, None),
    ]
    assert {(r["tenant_id"], r["webhook_id"], r["event_uuid"], r["event_type"]) for r in rows} == {
        (world.a, "flaky-a", event.event_uuid, "compliance.failed")
    }
    assert {r["delivery_id"] for r in rows} == {delivery.delivery_id}
    assert all(r["attempted_at"] == CLOCK for r in rows)


def test_429_waits_what_retry_after_says(platform, world, tmp_path) -> None:
    url = world.receiver.script("/rate", [(429, {"Retry-After": "7"}), (200, {})])
    (hook,) = _subscriptions(tmp_path, [_entry("rate-a", world.a, url, ["workbook.updated"])])
    event = _publish(platform.warehouse, world.a, "workbook.updated", {"workbook_id": "wb-2"})
    sleeps: list[float] = []
    assert _deliver(platform, event, hook, sleeps).status == "delivered"
    assert sleeps == [7.0]
    rows = _attempts(platform.warehouse, event_id=event.event_id)
    assert [(r["status"], r["http_status"], r["delay_seconds"]) for r in rows] == [
        ("retrying", 429, 7.0),
        ("delivered", 200, None),
    ]


def test_404_is_one_attempt_not_retried_and_a_typed_failure(platform, world, tmp_path) -> None:
    url = world.receiver.script("/gone", [(404, {})])
    (hook,) = _subscriptions(tmp_path, [_entry("gone-a", world.a, url, ["workbook.updated"])])
    event = _publish(platform.warehouse, world.a, "workbook.updated", {"workbook_id": "wb-3"})
    sleeps: list[float] = []
    with pytest.raises(InputError) as info:
        _deliver(platform, event, hook, sleeps)
    assert info.value.code == "WEBHOOK_DELIVERY_FAILED"
    assert info.value.where == f"{tmp_path}/hooks.yaml:subscriptions[0]"
    assert sleeps == []
    assert len(world.receiver.received("/gone")) == 1
    rows = _attempts(platform.warehouse, event_id=event.event_id)
    assert [(r["attempt"], r["status"], r["http_status"], r["delay_seconds"]) for r in rows] == [
        (1, "not_retried", 404, None)
    ]


def test_a_missing_secret_posts_nothing(platform, world, tmp_path) -> None:
    url = world.receiver.script("/unsigned", [(200, {})])
    (hook,) = _subscriptions(tmp_path, [_entry("unsigned-a", world.a, url, ["workbook.updated"], "CB_UNSET_VAR")])
    event = _publish(platform.warehouse, world.a, "workbook.updated", {"workbook_id": "wb-4"})
    with pytest.raises(InputError) as info:
        deliveries.deliver(platform.warehouse, event, hook, sleep=lambda s: None, environ={})
    assert (info.value.code, info.value.where) == (
        "WEBHOOK_SECRET_MISSING",
        f"{tmp_path}/hooks.yaml:subscriptions[0].secret_env",
    )
    assert world.receiver.received("/unsigned") == []
    assert _attempts(platform.warehouse, event_id=event.event_id) == []


def test_the_scan_is_per_tenant_and_type_and_survives_a_late_commit(platform, world, tmp_path) -> None:
    engine = platform.warehouse
    hooks = _subscriptions(
        tmp_path,
        [
            _entry("scan-a", world.a, world.receiver.url + "/scan-a", ["compliance.failed", "workbook.updated"]),
            _entry("scan-b", world.b, world.receiver.url + "/scan-b", ["compliance.failed"]),
        ],
    )
    cursor = deliveries.cursor_after(_last_event_id(engine))
    with engine.connect() as held:  # a writer whose transaction took its id first and commits last
        transaction = held.begin()
        (late_id,) = events.append(held, world.a, [events.Event("workbook.updated", {"workbook_id": "late"})])
        first = _publish(engine, world.a, "compliance.failed", {"test_id": "t1"})
        other = _publish(engine, world.a, "scenario.calculated", {"scenario_id": "s"})  # nobody subscribes
        t0 = time.time()
        tick = deliveries.scan(engine, cursor, hooks, now=t0)
        assert [(d.event.event_id, d.webhook_id) for d in tick.due] == [(first.event_id, "scan-a")]
        request = delivery_request(tick.due[0])
        assert request.run_key == f"webhook:{first.event_uuid}:scan-a"
        assert request.tags == {"tenant": world.a, "webhook_id": "scan-a", "event_id": str(first.event_id)}
        assert request.run_config == {"ops": {"deliver_webhook": {"config": {"event_id": first.event_id,
                                                                              "webhook_id": "scan-a"}}}}  # fmt: skip
        again = deliveries.scan(engine, tick.cursor, hooks, now=t0 + 1)
        assert again.due == []  # nothing twice
        transaction.commit()
    assert late_id < first.event_id < other.event_id
    late = deliveries.scan(engine, again.cursor, hooks, now=t0 + 2)
    assert [(d.event.event_id, d.webhook_id) for d in late.due] == [(late_id, "scan-a")]
    settled = deliveries.scan(engine, late.cursor, hooks, now=t0 + 2 + deliveries.SETTLE_SECONDS)
    assert settled.due == []
    assert json.loads(settled.cursor) == {"after": other.event_id, "seen": []}
    b_event = _publish(engine, world.b, "compliance.failed", {"test_id": "t2"})
    tick = deliveries.scan(engine, settled.cursor, hooks, now=t0 + 3 + deliveries.SETTLE_SECONDS)
    assert [(d.event.event_id, d.webhook_id) for d in tick.due] == [(b_event.event_id, "scan-b")]


def _run(platform: Any, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
    return webhook_delivery_job.execute_in_process(
        run_config=request.run_config,
        tags=request.tags,
        instance=platform.instance,
        resources={"warehouse": WarehouseResource(), "webhook_sender": WebhookSenderResource(wait=False)},
        raise_on_error=False,
    )


def test_an_exhausted_delivery_is_a_dead_letter_announced_but_never_redelivered(
    platform, world, tmp_path, monkeypatch
) -> None:
    """Three 503: the run fails typed, /api/v1/dlq lists it, /webhooks/deliveries serves its three attempts; its
    dlq.item_added is the DLQ item as served, and goes to no subscription; tenant b's subscription gets nothing."""
    engine, receiver = platform.warehouse, world.receiver
    monkeypatch.setenv("CB_HOOK_A", SECRET_A)
    monkeypatch.setenv("CB_HOOK_B", SECRET_B)
    hooks = _subscriptions(
        tmp_path,
        [
            _entry("down-a", world.a, receiver.script("/down-a", [(503, {})]), ["compliance.failed", "dlq.item_added"]),
            _entry("ok-b", world.b, receiver.script("/ok-b", [(200, {})]), ["compliance.failed", "dlq.item_added"],
                   "CB_HOOK_B"),
        ],
    )  # fmt: skip
    monkeypatch.setattr(subscriptions, "load_subscriptions", lambda: hooks)
    failures = platform.instance.fetch_run_status_changes(
        dg.RunStatusChangeRecordsFilter(event_type=dg.DagsterEventType.RUN_FAILURE), limit=1
    ).records
    dlq_cursor = str(failures[0].storage_id) if failures else None  # announce only what fails from here on
    cursor = deliveries.cursor_after(_last_event_id(engine))
    event = _publish(engine, world.a, "compliance.failed", {"workbook_id": "wb-9", "test_id": "ccc"})

    from orchestration.definitions import defs

    tick = defs.resolve_sensor_def(WEBHOOK_SENSOR)(dg.build_sensor_context(
        instance=platform.instance, cursor=cursor, resources={"warehouse": WarehouseResource()}
    ))  # fmt: skip
    (request,) = tick.run_requests  # tenant a's subscription only
    assert request.tags["webhook_id"] == "down-a"
    result = _run(platform, request)
    assert not result.success
    run_id = result.run_id
    assert receiver.received("/ok-b") == []
    assert len(receiver.received("/down-a")) == 3

    rows = _attempts(engine, event_id=event.event_id)
    assert [(r["attempt"], r["status"], r["http_status"], r["delay_seconds"]) for r in rows] == [
        (1, "retrying", 503, 1.0),
        (2, "retrying", 503, 2.0),
        (3, "failed", 503, None),
    ]
    assert {r["run_id"] for r in rows} == {run_id}

    dlq = world.client.get("/api/v1/dlq", headers=world.headers[world.a]).json()["data"]
    (item,) = [i for i in dlq if i["id"] == run_id]
    assert item["error_type"] == "WEBHOOK_DELIVERY_FAILED"
    assert "down-a" in item["error_message"]
    assert item["task_args"]["job_name"] == "webhook_delivery_job"
    assert item["task_args"]["tenant_id"] == world.a
    assert run_id not in {
        i["id"] for i in world.client.get("/api/v1/dlq", headers=world.headers[world.b]).json()["data"]
    }

    served = world.client.get("/api/v1/webhooks/deliveries", headers=world.headers[world.a],
                              params={"webhook_id": "down-a"}).json()  # fmt: skip
    assert [(d["attempt"], d["status"], d["http_status"], d["run_id"]) for d in served["data"]] == [
        (3, "failed", 503, run_id),
        (2, "retrying", 503, run_id),
        (1, "retrying", 503, run_id),
    ]
    other = world.client.get("/api/v1/webhooks/deliveries", headers=world.headers[world.b]).json()
    assert [d for d in other["data"] if d["event_id"] == event.event_id] == []

    announced, after = announce_dead_letters(platform.instance, engine, dlq_cursor)
    assert run_id in announced
    assert run_id not in announce_dead_letters(platform.instance, engine, dlq_cursor)[0]  # announced once only
    assert announce_dead_letters(platform.instance, engine, after) == ([], after)
    e = events_table
    with engine.connect() as conn:
        mine = [e.c.tenant_id == world.a, e.c.type == "dlq.item_added", e.c.payload["data"]["id"].astext == run_id]
        (added,) = conn.execute(sa.select(e).where(*mine)).all()
    assert added.payload["data"] == world.client.get(f"/api/v1/dlq/{run_id}", headers=world.headers[world.a]).json()

    loop = deliveries.scan(engine, tick.cursor, hooks)
    assert [d for d in loop.due if d.event.event_id == added.event_id] == []  # a dead receiver cannot loop
