"""`/api/v1/webhooks/deliveries`: every webhook delivery attempt of the caller's tenant, from marts.webhook_deliveries.

The pipelines post the outbox's events to the subscriptions of `assets_config/webhooks/` and to the alert rules'
webhooks, with the seed's retry policy; each attempt is recorded as it ends (a view: listed at once). A delivery
that ends `failed` or `not_retried` is also a dead-letter item (`/api/v1/dlq`, error type WEBHOOK_DELIVERY_FAILED).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from api.deps import AppRuntime, Caller, Db, requires
from api.errors import error_responses
from api.marts.webhooks import webhook_deliveries as d
from api.pagination import Page, PageQuery, keyset

router = APIRouter(prefix="/webhooks", tags=["webhooks"], dependencies=[requires("read:webhooks")])

EventType = Literal[
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
]
"""Seed 000's event types (orchestration.core.events.EVENT_TYPES; a test keeps the two equal)."""
AttemptStatus = Literal["delivered", "retrying", "failed", "not_retried"]

DELIVERY_EXAMPLE: dict[str, Any] = {
    "id": "0b9c7a0e-1f0e-4f55-8f0e-2b0c0c7b6c11.2",
    "delivery_id": "0b9c7a0e-1f0e-4f55-8f0e-2b0c0c7b6c11",
    "attempt": 2,
    "webhook_id": "acme-compliance",
    "event_id": 4182,
    "event_uuid": "5f2b9c1e-8a41-4c0d-9e77-2b1f4a6c8d90",
    "event_type": "compliance.failed",
    "status": "retrying",
    "http_status": 503,
    "error": "HTTP 503",
    "delay_seconds": 2.0,
    "run_id": "5f0c7a2e-2b1d-4c3a-9e8f-1a2b3c4d5e6f",
    "attempted_at": "2026-01-25T10:31:06Z",
}


class WebhookDeliveryOut(BaseModel):
    """One delivery attempt: the subscription, the event, the attempt number and how it ended."""

    model_config = ConfigDict(json_schema_extra={"examples": [DELIVERY_EXAMPLE]})

    id: str = Field(description="`<delivery_id>.<attempt>`.")
    delivery_id: str = Field(description="The delivery (all its attempts); the X-CalcBridge-Delivery header.")
    attempt: int = Field(description="1 to 3: the body's metadata.delivery_attempt.")
    webhook_id: str = Field(description="The subscription's id (an alert rule's id for its webhook channel).")
    event_id: int = Field(description="The outbox event's id (the WebSocket stream's `id`).")
    event_uuid: str = Field(description="The event's uuid (X-CalcBridge-Event-Id): what a receiver deduplicates by.")
    event_type: EventType
    status: AttemptStatus = Field(
        description=(
            "`delivered` (2xx); `retrying` (5xx, network error or 429: another attempt follows after "
            "`delay_seconds`); `failed` (the third such attempt); `not_retried` (any other status)."
        )
    )
    http_status: int | None = Field(description="The receiver's status code; null on a network error.")
    error: str | None
    delay_seconds: float | None = Field(description="Wait before the next attempt: 1 s, 2 s, or 429's Retry-After.")
    run_id: str | None = Field(description="The delivery run (a dead-letter item's id when the delivery failed).")
    attempted_at: dt.datetime


DELIVERIES = TypeAdapter(list[WebhookDeliveryOut])
COLUMNS: tuple[Any, ...] = (
    d.c.attempt_id.label("id"),
    *(d.c[name] for name in WebhookDeliveryOut.model_fields if name != "id"),
)


@router.get("/deliveries", summary="List webhook delivery attempts", responses=error_responses(401, 403, 422, 429, 503))
async def list_deliveries(
    db: Db,
    runtime: AppRuntime,
    caller: Caller,
    page: PageQuery,
    webhook_id: Annotated[
        str | None,
        Query(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$", description="Only this subscription."),
    ] = None,
    event_type: Annotated[EventType | None, Query(description="Only attempts delivering this event type.")] = None,
    status: Annotated[AttemptStatus | None, Query(description="Only attempts that ended this way.")] = None,
) -> Page[WebhookDeliveryOut]:
    """The caller's delivery attempts, newest first by default, keyset-paginated (ties broken by id)."""
    filters = [d.c.tenant_id == caller.tenant_id]
    for column, value in ((d.c.webhook_id, webhook_id), (d.c.event_type, event_type), (d.c.status, status)):
        if value is not None:
            filters.append(column == value)
    rows, info = await keyset(
        db,
        runtime.counts,
        page,
        columns=COLUMNS,
        filters=filters,
        count_from=d,
        sort="attempted_at",
        sort_expr=d.c.attempted_at,
        kind="datetime",
        id_expr=d.c.attempt_id,
        count_key=("webhook_deliveries", caller.tenant_id, webhook_id, event_type, status),
        build=lambda row: row._asdict(),
    )
    return Page[WebhookDeliveryOut](data=DELIVERIES.validate_python(rows), pagination=info)
