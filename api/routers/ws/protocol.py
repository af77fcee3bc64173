"""The /ws wire protocol: close codes, a connection's subscription, client messages parsed, server messages built.

Server messages are JSON objects with a `type`: an event (`{id, event_id, type, timestamp, data}`, seed 000's body
plus its outbox ids), `connected`, `subscribed`, `unsubscribed`, `heartbeat`, `pong` and `error` (whose `error` is
the API's envelope body: code, message, details, request_id, timestamp, documentation_url).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from api.errors import ErrorCode, ErrorDetail, envelope, utc_now
from orchestration.core.events import EVENT_TYPES


class CloseCode(IntEnum):
    """Close codes: 4000 + the HTTP status the same refusal gets from the REST API; 1013 for a client too slow."""

    UNAUTHORIZED = 4401
    FORBIDDEN = 4403
    INVALID = 4422
    TOO_MANY = 4429
    UNAVAILABLE = 4503
    TRY_AGAIN_LATER = 1013


CLOSE_ERROR_CODES: dict[CloseCode, ErrorCode] = {
    CloseCode.UNAUTHORIZED: ErrorCode.AUTH_INVALID_TOKEN,
    CloseCode.FORBIDDEN: ErrorCode.AUTH_INSUFFICIENT_PERMISSIONS,
    CloseCode.INVALID: ErrorCode.VALIDATION_ERROR,
    CloseCode.TOO_MANY: ErrorCode.RATE_LIMIT_EXCEEDED,
    CloseCode.UNAVAILABLE: ErrorCode.SERVICE_UNAVAILABLE,
    CloseCode.TRY_AGAIN_LATER: ErrorCode.SERVICE_UNAVAILABLE,
}


class ProtocolError(Exception):
    """A client message or query parameter the server cannot act on: answered by an `error` message."""

    def __init__(self, message: str, *, field_name: str = "message", detail_code: str = "INVALID") -> None:
        super().__init__(message)
        self.message = message
        self.detail = ErrorDetail(field=field_name, message=message, code=detail_code)


def stamp(at: dt.datetime | None = None) -> str:
    """A UTC timestamp as the seed writes them (`2026-01-25T10:51:00Z`)."""
    return (at or utc_now()).astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def error_message(
    code: ErrorCode, message: str, request_id: str, details: Iterable[ErrorDetail] = ()
) -> dict[str, Any]:
    """`{"type": "error", "error": {...}}`: the REST envelope's body under a message type."""
    return {"type": "error", **envelope(code, message, request_id, details)}


def event_message(row: Mapping[str, Any]) -> dict[str, Any]:
    """An outbox row as the client receives it: its stored seed body plus `id` (the since cursor) and uuid."""
    return {"id": int(row["event_id"]), "event_id": str(row["event_uuid"]), **dict(row["payload"])}


def known_types(values: Any, field_name: str) -> frozenset[str]:
    """A list of event types, every one of them in the catalogue, or ProtocolError naming the unknown ones."""
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ProtocolError(f"{field_name} must be a list of event types", field_name=field_name)
    unknown = sorted({v for v in values if v not in EVENT_TYPES})
    if unknown:
        raise ProtocolError(
            f"unknown event type(s) {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}",
            field_name=field_name,
            detail_code="UNKNOWN_EVENT_TYPE",
        )
    return frozenset(values)


def ordered(types: Iterable[str]) -> list[str]:
    """Event types in the catalogue's order (acknowledgements list them the same way every time)."""
    chosen = set(types)
    return [t for t in EVENT_TYPES if t in chosen]


@dataclass
class Subscription:
    """What a connection wants: event types (every one by default) and optionally one workbook."""

    types: set[str] = field(default_factory=lambda: set(EVENT_TYPES))
    workbook_id: str | None = None

    def matches(self, event_type: str, workbook_id: str | None) -> bool:
        """With a workbook filter, an event about no workbook (a DLQ item of a run) does not match either."""
        return event_type in self.types and (self.workbook_id is None or workbook_id == self.workbook_id)

    def acknowledgement(self, kind: str) -> dict[str, Any]:
        return {"type": kind, "events": ordered(self.types), "workbook_id": self.workbook_id}


def from_query(events: str | None, workbook_id: str | None) -> Subscription:
    """The initial subscription from `?events=a,b` (comma list; every type when absent) and `?workbook_id=`."""
    subscription = Subscription(workbook_id=workbook_id or None)
    if events is not None:
        names = [name.strip() for name in events.split(",") if name.strip()]
        subscription.types = set(known_types(names, "events"))
    return subscription


def apply(subscription: Subscription, text: str) -> dict[str, Any]:
    """Apply one client message to the subscription and return the reply; ProtocolError leaves it unchanged.

    `subscribe` adds its `events` and, when `workbook_id` is present, sets the workbook filter (`null` clears
    it); `unsubscribe` removes its `events`; `ping` is answered with `pong`.
    """
    try:
        message = json.loads(text)
    except ValueError:
        raise ProtocolError("a message must be a JSON object", detail_code="INVALID_JSON") from None
    if not isinstance(message, dict):
        raise ProtocolError("a message must be a JSON object", detail_code="INVALID_JSON")
    kind = message.get("type")
    if kind == "ping":
        return {"type": "pong", "timestamp": stamp()}
    if kind not in ("subscribe", "unsubscribe"):
        raise ProtocolError(
            f"unknown message type {kind!r}; send subscribe, unsubscribe or ping",
            field_name="type",
            detail_code="UNKNOWN_MESSAGE_TYPE",
        )
    types = known_types(message.get("events", []), "events")
    workbook = message.get("workbook_id", subscription.workbook_id) if kind == "subscribe" else None
    if workbook is not None and (not isinstance(workbook, str) or not workbook):
        raise ProtocolError("workbook_id must be a non-empty string or null", field_name="workbook_id")
    if kind == "subscribe":
        subscription.types |= types
        subscription.workbook_id = workbook
        return subscription.acknowledgement("subscribed")
    subscription.types -= types
    return subscription.acknowledgement("unsubscribed")
