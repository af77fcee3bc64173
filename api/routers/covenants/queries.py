"""Warehouse reads of the covenant routes (marts.covenant_*, tenant-scoped); `require_deal` also serves /ml."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api import covenants_tables as t
from api.errors import not_found


def require_deal(db: Connection, tenant_id: str, deal_id: str) -> Any:
    """The caller's deal, or 404 (another tenant's deal is indistinguishable from an unknown one)."""
    row = db.execute(sa.select(t.deals).where(t.deals.c.tenant_id == tenant_id, t.deals.c.deal_id == deal_id)).first()
    if row is None:
        raise not_found("deal", deal_id)
    return row


def require_covenant(db: Connection, tenant_id: str, covenant_id: str) -> Any:
    """The caller's covenant, or 404."""
    c = t.covenants.c
    row = db.execute(sa.select(t.covenants).where(c.tenant_id == tenant_id, c.covenant_id == covenant_id)).first()
    if row is None:
        raise not_found("covenant", covenant_id)
    return row
