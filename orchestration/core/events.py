"""The events outbox (issue 17): events written in the same transaction as the rows they announce.

An asset that writes a partition passes its `Event`s to the one write path (`warehouse.replace_partitions(...,
events=...)`, `materialize.write(..., events=...)`); they are inserted into `ops.events` after the partition's
rows, and `NOTIFY calcbridge_events` fires at commit, so a listener never sees an event whose rows are not yet
visible, and a rolled-back write announces nothing. The payload is seed 000's WebSocket shape
`{type, timestamp, data}`; webhook bodies are built from it at delivery (`{event, timestamp, data, metadata}`).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from orchestration.core.schema import events as events_table

CHANNEL = "calcbridge_events"
"""The NOTIFY channel; the payload is `<tenant_id>:<highest event_id written>`."""

EVENT_TYPES: tuple[str, ...] = (
    "workbook.uploaded",
    "workbook.processed",
    "workbook.updated",
    "compliance.completed",
    "compliance.failed",
    "compliance.warning",
    "compliance.changed",
    "scenario.calculated",
    "reconciliation.completed",
    "reconciliation.variance_detected",
    "alert.triggered",
    "dlq.item_added",
)
"""Every event type of seed 000 (WebSocket and webhook catalogues together)."""


@dataclass(frozen=True)
class Event:
    """One event to announce: its seed type, the seed's `data` object and the workbook it concerns."""

    type: str
    data: Mapping[str, Any]
    workbook_id: str | None = None
    event_uuid: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self) -> None:
        if self.type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {self.type!r}")


def payload(event: Event, at: dt.datetime) -> dict[str, Any]:
    """Seed 000's event body: `{type, timestamp, data}` (timestamp in UTC, `Z`)."""
    stamp = at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return {"type": event.type, "timestamp": stamp, "data": _jsonable(dict(event.data))}


def _jsonable(value: Any) -> Any:
    """JSON round trip with dates as ISO strings and numpy scalars as numbers."""
    return json.loads(json.dumps(value, default=_default))


def _default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def append(
    conn: Connection,
    tenant_id: str,
    events: Sequence[Event],
    *,
    partition_key: str | None = None,
    at: dt.datetime | None = None,
) -> list[int]:
    """Insert the events on the connection's open transaction and NOTIFY at its commit; return their ids."""
    if not events:
        return []
    now = at or dt.datetime.now(dt.UTC)
    rows = [
        {
            "event_uuid": e.event_uuid,
            "tenant_id": tenant_id,
            "type": e.type,
            "workbook_id": e.workbook_id,
            "partition_key": partition_key,
            "payload": payload(e, now),
            "created_at": now,
        }
        for e in events
    ]
    inserted = conn.execute(events_table.insert().returning(events_table.c.event_id), rows)
    ids: list[int] = list(map(int, inserted.scalars().all()))
    conn.execute(sa.select(sa.func.pg_notify(CHANNEL, f"{tenant_id}:{max(ids)}")))
    return ids


def publish(engine: Engine, tenant_id: str, events: Sequence[Event], *, partition_key: str | None = None) -> list[int]:
    """`append` in a transaction of its own (events that announce no row: a failed run, a DLQ item)."""
    with engine.begin() as conn:
        return append(conn, tenant_id, events, partition_key=partition_key)
