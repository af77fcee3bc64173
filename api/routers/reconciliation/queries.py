"""Warehouse reads of the reconciliation routes (tenant-scoped), all over the reconciliation marts.

The marts are views: a run's counts (`reconciliation_summaries`) and each variance's current status
(`reconciliation_variances`) are computed by dbt from the analytics tables and the variance history, so they
are current the moment a resolutions file has been applied. Nothing here counts or picks a latest event.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from api.deps import Reader
from api.errors import not_found
from api.marts import reconciliation as t
from api.pagination import PageInfo, PageParams, keyset
from api.runtime import Runtime

VARIANCE_COLUMNS = [
    t.variances.c[name]
    for name in (
        "variance_id",
        "reconciliation_id",
        "position_key",
        "cusip",
        "isin",
        "issuer_name",
        "category",
        "field",
        "internal_value",
        "external_value",
        "internal_number",
        "external_number",
        "difference",
        "difference_pct",
        "within_tolerance",
        "status",
        "resolution_type",
        "explanation",
        "action",
        "resolved_by",
        "resolved_at",
        "auto_rule_id",
        "rule_id",
    )
]
"""What a variance response (and the export) reads of `marts.reconciliation_variances`."""


def _row(row: Row[Any]) -> Row[Any]:
    """Keyset pages hand their rows back as they are; the routes shape them."""
    return row


async def require_reconciliation(db: Reader, tenant_id: str, reconciliation_id: uuid.UUID | str) -> Row[Any]:
    """The caller's run with its current counts, or 404 (another tenant's is indistinguishable from an unknown)."""
    s = t.summaries.c
    row = (
        await db.execute(
            sa.select(t.summaries).where(s.tenant_id == tenant_id, s.reconciliation_id == str(reconciliation_id))
        )
    ).first()
    if row is None:
        raise not_found("reconciliation", str(reconciliation_id))
    return row


async def workbook_reconciliations_page(
    db: Reader, runtime: Runtime, page: PageParams, tenant_id: str, workbook_id: uuid.UUID
) -> tuple[list[Row[Any]], PageInfo]:
    """One keyset page of the workbook's runs (with their current counts), by executed_at."""
    s = t.summaries.c
    return await keyset(
        db,
        runtime.counts,
        page,
        columns=[t.summaries],
        filters=[s.tenant_id == tenant_id, s.workbook_id == str(workbook_id)],
        count_from=t.summaries,
        sort="executed_at",
        sort_expr=s.executed_at,
        kind="datetime",
        id_expr=s.reconciliation_id,
        count_key=("reconciliations", tenant_id, str(workbook_id)),
        build=_row,
    )


async def unmatched_positions(db: Reader, tenant_id: str, reconciliation_id: str, limit: int) -> list[Row[Any]]:
    """Up to `limit` positions of the run found on one side only, internal first, by position key."""
    p = t.positions.c
    result = await db.execute(
        sa.select(
            p.position_key,
            p.unmatched_side,
            p.cusip,
            p.isin,
            p.loanx_id,
            p.figi,
            p.asset_id,
            p.issuer_name,
            p.unmatched_par,
        )
        .where(p.tenant_id == tenant_id, p.reconciliation_id == reconciliation_id, p.unmatched_side.is_not(None))
        .order_by(p.match_status, p.position_key)
        .limit(limit)
    )
    return list(result.all())


async def run_variances(db: Reader, tenant_id: str, reconciliation_id: str, limit: int | None) -> list[Row[Any]]:
    """The run's variances with their current status in position order (the first `limit`; None: all)."""
    v = t.variances.c
    stmt = (
        sa.select(*VARIANCE_COLUMNS)
        .where(v.tenant_id == tenant_id, v.reconciliation_id == reconciliation_id)
        .order_by(v.position_key, v.variance_id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list((await db.execute(stmt)).all())


async def variances_page(
    db: Reader,
    runtime: Runtime,
    page: PageParams,
    tenant_id: str,
    reconciliation_id: str,
    filters: tuple[str | None, str | None, bool | None],
) -> tuple[list[Row[Any]], PageInfo]:
    """One keyset page of the run's current variances by position, filtered.

    `filters` is (category without `_variance`, status, within_tolerance), each None for any.
    """
    category, status, within_tolerance = filters
    v = t.variances.c
    where = [v.tenant_id == tenant_id, v.reconciliation_id == reconciliation_id]
    if category is not None:
        where.append(v.category == category)
    if status is not None:
        where.append(v.status == status)
    if within_tolerance is not None:
        where.append(v.within_tolerance.is_(within_tolerance))
    return await keyset(
        db,
        runtime.counts,
        page,
        columns=VARIANCE_COLUMNS,
        filters=where,
        count_from=t.variances,
        sort="position",
        sort_expr=v.position_key,
        kind="text",
        id_expr=v.variance_id,
        count_key=("variances", tenant_id, reconciliation_id, category, status, within_tolerance),
        build=_row,
    )


async def require_variance(db: Reader, tenant_id: str, reconciliation_id: str, variance_id: uuid.UUID) -> Row[Any]:
    """The run's variance with its current status, or 404."""
    v = t.variances.c
    found = (
        await db.execute(
            sa.select(*VARIANCE_COLUMNS).where(
                v.tenant_id == tenant_id, v.reconciliation_id == reconciliation_id, v.variance_id == str(variance_id)
            )
        )
    ).first()
    if found is None:
        raise not_found("variance", str(variance_id))
    return found


async def variance_events(db: Reader, tenant_id: str, variance_id: uuid.UUID) -> list[Row[Any]]:
    """Every event of the variance's append-only history, oldest first."""
    h = t.history.c
    result = await db.execute(
        sa.select(
            h.status, h.resolution_type, h.explanation, h.action, h.resolved_by, h.rule_id, h.source, h.recorded_at
        )
        .where(h.tenant_id == tenant_id, h.variance_id == str(variance_id))
        .order_by(h.recorded_at, h.seq, h.source.desc())
    )
    return list(result.all())
