"""Webhook deliveries of the outbox's events: which (event, subscription) pairs are due, and one delivery.

`scan` is the sensor's half: the events after the cursor that an enabled subscription matches, one delivery
each (run key `webhook:<event uuid>:<subscription id>`: one run per pair, whichever tick or process asks). The
cursor (`{"after": id, "seen": [[id, first seen], ...]}`) is the last event id handled, plus the ids above it
already handled: an event id is taken when its transaction inserts it but is visible only at its commit, so a
smaller id can appear after a larger one; the cursor moves past an id only `SETTLE_SECONDS` after the sensor
first saw it, and a late commit below it is still delivered. `deliver` is the job's half: the seed's retry
policy (core/webhooks.py), every attempt written to ops.webhook_deliveries in its own transaction as it ends,
an alert rule's firing told how its webhook went (ops.alert_history), and a typed WEBHOOK_DELIVERY_FAILED when
the receiver never took it, so the run fails and the DLQ lists it. Pure: no Dagster.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from orchestration.compliance.alerts import record_webhook_outcome
from orchestration.core import webhooks
from orchestration.core.errors import InputError
from orchestration.core.schema import events
from orchestration.ops.subscriptions import Subscription
from orchestration.ops.tables import webhook_deliveries

WEBHOOK_DELIVERY_FAILED = "WEBHOOK_DELIVERY_FAILED"
SETTLE_SECONDS = 60.0
BATCH = 500
"""Events read per tick at most."""


@dataclass(frozen=True)
class StoredEvent:
    """One row of ops.events, as a webhook delivers it."""

    event_id: int
    event_uuid: str
    tenant_id: str
    type: str
    timestamp: str
    data: dict[str, Any]
    partition_key: str | None = None


def _event(row: Any) -> StoredEvent:
    payload = row.payload or {}
    stamp = payload.get("timestamp") or webhooks.timestamp_text(row.created_at)
    data = dict(payload.get("data") or {})
    return StoredEvent(int(row.event_id), row.event_uuid, row.tenant_id, row.type, stamp, data, row.partition_key)


def load_event(engine: Engine, event_id: int) -> StoredEvent | None:
    """The outbox event with this id, if any."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(events).where(events.c.event_id == event_id)).first()
    return None if row is None else _event(row)


@dataclass(frozen=True)
class Due:
    """One delivery to make: an event to one subscription."""

    event: StoredEvent
    webhook_id: str

    @property
    def run_key(self) -> str:
        return f"webhook:{self.event.event_uuid}:{self.webhook_id}"

    @property
    def tags(self) -> dict[str, str]:
        return {"tenant": self.event.tenant_id, "webhook_id": self.webhook_id, "event_id": str(self.event.event_id)}


@dataclass(frozen=True)
class Scan:
    """A tick's deliveries and the cursor to store."""

    due: list[Due]
    cursor: str


def cursor_after(event_id: int) -> str:
    """A cursor that starts after `event_id` (e.g. the outbox's last id: deliver only what comes next)."""
    return json.dumps({"after": event_id, "seen": []})


def _state(cursor: str | None) -> tuple[int, dict[int, float]]:
    if not cursor:
        return 0, {}
    state = json.loads(cursor)
    return int(state["after"]), {int(i): float(t) for i, t in state.get("seen", [])}


def scan(
    engine: Engine,
    cursor: str | None,
    subscriptions: Sequence[Subscription],
    *,
    now: float | None = None,
    settle_seconds: float = SETTLE_SECONDS,
    limit: int = BATCH,
) -> Scan:
    """The deliveries due for events not yet handled (after the cursor, not seen), and the next cursor."""
    moment = time.time() if now is None else now
    after, seen = _state(cursor)
    query = sa.select(events).where(events.c.event_id > after).order_by(events.c.event_id).limit(limit)
    if seen:
        query = query.where(events.c.event_id.not_in(list(seen)))
    with engine.connect() as conn:
        rows = [_event(row) for row in conn.execute(query)]
    due = [
        Due(event, s.id) for event in rows for s in subscriptions if s.matches(event.tenant_id, event.type, event.data)
    ]
    seen.update({event.event_id: moment for event in rows})
    for event_id in sorted(seen):
        if seen[event_id] > moment - settle_seconds:
            break
        after = event_id
        del seen[event_id]
    return Scan(due, json.dumps({"after": after, "seen": sorted([i, t] for i, t in seen.items())}))


def _recorder(
    engine: Engine, event: StoredEvent, webhook_id: str, run_id: str | None
) -> Callable[[webhooks.Attempt], None]:
    def record(attempt: webhooks.Attempt) -> None:
        with engine.begin() as conn:
            conn.execute(
                webhook_deliveries.insert().values(
                    delivery_id=attempt.delivery_id,
                    attempt=attempt.attempt,
                    tenant_id=event.tenant_id,
                    webhook_id=webhook_id,
                    event_id=event.event_id,
                    event_uuid=event.event_uuid,
                    event_type=event.type,
                    status=attempt.status,
                    http_status=attempt.http_status,
                    error=attempt.error,
                    delay_seconds=attempt.delay_seconds,
                    run_id=run_id,
                    attempted_at=attempt.attempted_at,
                )
            )

    return record


def deliver(
    engine: Engine,
    event: StoredEvent,
    subscription: Subscription,
    *,
    run_id: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], dt.datetime] = webhooks.utc_now,
    client: httpx.Client | None = None,
    timeout: float = 10.0,
    environ: Mapping[str, str] = os.environ,
) -> webhooks.Delivery:
    """Deliver one event to one subscription, recording every attempt; typed failure unless it was delivered."""
    secret = subscription.secret(environ)
    delivery = webhooks.deliver(
        subscription.url,
        event.type,
        event.data,
        tenant_id=event.tenant_id,
        webhook_id=subscription.id,
        secret=secret,
        timestamp=event.timestamp,
        event_uuid=event.event_uuid,
        on_attempt=_recorder(engine, event, subscription.id, run_id),
        sleep=sleep,
        clock=clock,
        client=client,
        timeout=timeout,
    )
    if subscription.rule_id is not None and event.type == "alert.triggered":
        record_webhook_outcome(engine, event.event_uuid, subscription.id, delivery.as_dict())
    if delivery.status != "delivered":
        attempts = len(delivery.attempts)
        message = (
            f"{event.type} {event.event_uuid} was not delivered to {subscription.id} ({subscription.url}): "
            f"{delivery.status} after {attempts} attempt{'s' if attempts != 1 else ''}, last {delivery.error}"
        )
        details = {
            "webhook_id": subscription.id,
            "event_id": event.event_id,
            "event_type": event.type,
            "delivery_id": delivery.delivery_id,
            "http_status": delivery.http_status,
            "attempts": attempts,
        }
        raise InputError(WEBHOOK_DELIVERY_FAILED, message, subscription.source, details)
    return delivery
