"""The three reads of marts.events behind /ws: a tenant's last id, its events not yet streamed, a replay page."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import Select

from api.marts.ops import events
from api.routers.ws.protocol import Subscription
from orchestration.core.events import EVENT_TYPES

COLUMNS = (events.c.event_id, events.c.event_uuid, events.c.type, events.c.workbook_id, events.c.payload)
"""What a server message is built from (`protocol.event_message`) and a subscription filters on."""


def last_event_id(tenant_id: str) -> Select[tuple[int]]:
    """The tenant's highest event id (0 before its first event): where a new feed starts streaming."""
    return sa.select(sa.func.coalesce(sa.func.max(events.c.event_id), 0)).where(events.c.tenant_id == tenant_id)


def unseen(tenant_id: str, floor: int, seen: Collection[int], limit: int) -> Select[tuple[int, str, str, str, dict]]:
    """The tenant's events above `floor` not among `seen` (those already streamed), oldest first."""
    query = sa.select(*COLUMNS).where(events.c.tenant_id == tenant_id, events.c.event_id > floor)
    if seen:
        streamed = sa.bindparam("seen", value=sorted(seen), type_=ARRAY(sa.BigInteger))
        query = query.where(events.c.event_id != sa.all_(streamed))
    return query.order_by(events.c.event_id).limit(limit)


def replay(
    tenant_id: str, after: int, subscription: Subscription, limit: int
) -> Select[tuple[int, str, str, str, dict]]:
    """One page of the tenant's events after `after` that the subscription wants (a reconnect's `since`)."""
    query = sa.select(*COLUMNS).where(events.c.tenant_id == tenant_id, events.c.event_id > after)
    if set(EVENT_TYPES) - subscription.types:
        query = query.where(events.c.type.in_(sorted(subscription.types)))
    if subscription.workbook_id is not None:
        query = query.where(events.c.workbook_id == subscription.workbook_id)
    return query.order_by(events.c.event_id).limit(limit)
