"""Warehouse reads of the covenant routes (marts.covenant_*, tenant-scoped); `require_deal` also serves /ml."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.sql import ColumnElement

from api.deps import Reader
from api.errors import not_found
from api.marts import covenants as t


async def require_deal(db: Reader, tenant_id: str, deal_id: str) -> Row[Any]:
    """The caller's deal, or 404 (another tenant's deal is indistinguishable from an unknown one)."""
    d = t.deals.c
    row = (await db.execute(sa.select(t.deals).where(d.tenant_id == tenant_id, d.deal_id == deal_id))).first()
    if row is None:
        raise not_found("deal", deal_id)
    return row


async def require_covenant(db: Reader, tenant_id: str, covenant_id: str) -> Row[Any]:
    """The caller's covenant, or 404."""
    c = t.covenants.c
    row = (
        await db.execute(sa.select(t.covenants).where(c.tenant_id == tenant_id, c.covenant_id == covenant_id))
    ).first()
    if row is None:
        raise not_found("covenant", covenant_id)
    return row


RESULT_COLUMNS = (
    "covenant_id",
    "period_start",
    "period_end",
    "calculated_value_scaled",
    "covenant_name",
    "threshold_value_scaled",
    "threshold_direction",
    "reason",
    "evaluation_count",
)


def result_columns(band: int | None) -> list[ColumnElement[Any]]:
    """What a covenant result reads of marts.covenant_evaluations, status and band as stored or under `band`.

    With a band (scaled) the status and `tolerance_scaled` are those under it. The mart's headroom is
    threshold - value (<=) or value - threshold (>=): under a band the status is BREACH below 0, NEAR_BREACH
    up to the band, OK above; without a value (MISSING_DATA, ERROR) the stored status stands.
    """
    e = t.evaluations.c
    columns: list[ColumnElement[Any]] = [e[name] for name in RESULT_COLUMNS]
    if band is None:
        return [*columns, e.status, e.tolerance_scaled]
    bound = sa.literal(band, sa.BigInteger)
    status = sa.case(
        (e.headroom_scaled.is_(None), e.status),
        (e.headroom_scaled < sa.literal(0, sa.Integer), sa.literal("BREACH", sa.Text)),
        (e.headroom_scaled <= bound, sa.literal("NEAR_BREACH", sa.Text)),
        else_=sa.literal("OK", sa.Text),
    )
    return [*columns, status.label("status"), bound.label("tolerance_scaled")]
