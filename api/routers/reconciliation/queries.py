"""Warehouse reads of the reconciliation routes (tenant-scoped): runs, positions, current variances, events."""

from __future__ import annotations

import uuid
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api.errors import not_found
from api.pagination import PageInfo, PageParams, keyset
from api.routers.clo_common import text_key
from api.runtime import Runtime
from orchestration.reconciliation import store
from orchestration.reconciliation import tables as t


def require_reconciliation(db: Connection, tenant_id: str, reconciliation_id: uuid.UUID | str) -> Any:
    """The caller's reconciliation, or 404 (another tenant's is indistinguishable from an unknown one)."""
    r = t.reconciliations.c
    row = db.execute(
        sa.select(t.reconciliations).where(r.tenant_id == tenant_id, r.reconciliation_id == str(reconciliation_id))
    ).first()
    if row is None:
        raise not_found("reconciliation", str(reconciliation_id))
    return row


def workbook_reconciliations_page(
    db: Connection, runtime: Runtime, page: PageParams, tenant_id: str, workbook_id: uuid.UUID
) -> tuple[list[Any], PageInfo]:
    """One keyset page of the workbook's reconciliation rows, by executed_at."""
    r = t.reconciliations.c
    return keyset(
        db,
        runtime.counts,
        page,
        columns=[t.reconciliations],
        filters=[r.tenant_id == tenant_id, r.workbook_id == str(workbook_id)],
        count_from=t.reconciliations,
        sort="executed_at",
        sort_expr=r.executed_at,
        kind="datetime",
        id_expr=r.reconciliation_id,
        count_key=("reconciliations", tenant_id, str(workbook_id)),
        build=lambda row: row,
    )


def current_review(db: Connection, tenant_id: str, reconciliation_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Per run, as of now: positions still requiring review, positions reviewed, variances by current status.

    The rule of `reconciliation.engine.current_summary` (which the reports use), in SQL: a position needs review
    when a variance outside tolerance has no auto rule; it requires review while one of those is `open`.
    """
    if not reconciliation_ids:
        return {}
    vs = store.current_variances_subquery(tenant_id)
    needs = sa.and_(sa.not_(sa.func.coalesce(vs.c.within_tolerance, False)), vs.c.auto_rule_id.is_(None))
    still_open = sa.and_(needs, vs.c.status == "open")
    positions = (
        sa.select(
            vs.c.reconciliation_id,
            sa.func.bool_or(needs).label("needs"),
            sa.func.bool_or(still_open).label("open"),
        )
        .where(vs.c.reconciliation_id.in_(reconciliation_ids))
        .group_by(vs.c.reconciliation_id, vs.c.position_key)
        .subquery("positions")
    )
    p = positions.c
    out: dict[str, dict[str, Any]] = {
        rid: {"requires_review": 0, "reviewed": 0, "variances_by_status": {}} for rid in reconciliation_ids
    }
    for rid, requires, reviewed in db.execute(
        sa.select(
            p.reconciliation_id,
            sa.func.count().filter(p.open),
            sa.func.count().filter(sa.and_(p.needs, sa.not_(p.open))),
        ).group_by(p.reconciliation_id)
    ):
        out[rid].update(requires_review=int(requires), reviewed=int(reviewed))
    for rid, status, count in db.execute(
        sa.select(vs.c.reconciliation_id, vs.c.status, sa.func.count())
        .where(vs.c.reconciliation_id.in_(reconciliation_ids))
        .group_by(vs.c.reconciliation_id, vs.c.status)
    ):
        out[rid]["variances_by_status"][status] = int(count)
    return out


def unmatched_positions(db: Connection, tenant_id: str, reconciliation_id: str, limit: int) -> list[Any]:
    """Up to `limit` positions of the run found on one side only, internal first, by position key."""
    p = t.positions.c
    return list(
        db.execute(
            sa.select(p.position_key, p.match_status, p.cusip, p.isin, p.issuer_name, p.internal_par, p.external_par)
            .where(p.tenant_id == tenant_id, p.reconciliation_id == reconciliation_id, p.match_status != "matched")
            .order_by(p.match_status, p.position_key)
            .limit(limit)
        ).all()
    )


def first_variances(db: Connection, tenant_id: str, reconciliation_id: str, limit: int) -> tuple[list[Any], int]:
    """The run's first `limit` current variances in position order, and how many it has in all."""
    vs = store.current_variances_subquery(tenant_id)
    filters = [vs.c.reconciliation_id == reconciliation_id]
    variances = db.execute(
        sa.select(vs).where(*filters).order_by(vs.c.position_key, vs.c.variance_id).limit(limit)
    ).all()
    count = db.execute(sa.select(sa.func.count()).select_from(vs).where(*filters)).scalar_one()
    return list(variances), int(count)


def variances_page(
    db: Connection,
    runtime: Runtime,
    page: PageParams,
    tenant_id: str,
    reconciliation_id: str,
    category: str | None,
    status: str | None,
    within_tolerance: bool | None,
) -> tuple[list[Any], PageInfo]:
    """One keyset page of the run's current variances by position, filtered (category without `_variance`)."""
    vs = store.current_variances_subquery(tenant_id)
    filters = [vs.c.reconciliation_id == reconciliation_id]
    if category is not None:
        filters.append(vs.c.category == category.removesuffix("_variance"))
    if status is not None:
        filters.append(vs.c.status == status)
    if within_tolerance is not None:
        filters.append(vs.c.within_tolerance.is_(within_tolerance))
    return keyset(
        db,
        runtime.counts,
        page,
        columns=[vs],
        filters=filters,
        count_from=vs,
        sort="position",
        sort_expr=text_key(vs.c.position_key),
        kind="text",
        id_expr=vs.c.variance_id,
        count_key=("variances", tenant_id, reconciliation_id, category, status, within_tolerance),
        build=lambda row: row,
    )


def require_variance(db: Connection, tenant_id: str, reconciliation_id: str, variance_id: uuid.UUID) -> Any:
    """The run's variance with its current status, or 404."""
    vs = store.current_variances_subquery(tenant_id)
    found = db.execute(
        sa.select(vs).where(vs.c.reconciliation_id == reconciliation_id, vs.c.variance_id == str(variance_id))
    ).first()
    if found is None:
        raise not_found("variance", str(variance_id))
    return found


def variance_events(db: Connection, tenant_id: str, variance_id: uuid.UUID) -> list[Any]:
    """Every event of the variance's append-only history, oldest first."""
    e = t.variance_events.c
    return list(
        db.execute(
            sa.select(t.variance_events)
            .where(e.tenant_id == tenant_id, e.variance_id == str(variance_id))
            .order_by(e.recorded_at, e.seq, e.source.desc())
        ).all()
    )


def report_frame(db: Connection, tenant_id: str, reconciliation_id: str) -> pd.DataFrame:
    """Every current variance of the run as the export's frame (numeric differences, auto_rule_id as rule_id)."""
    vs = store.current_variances_subquery(tenant_id)
    frame_rows = (
        db.execute(
            sa.select(vs)
            .where(vs.c.reconciliation_id == reconciliation_id)
            .order_by(vs.c.position_key, vs.c.variance_id)
        )
        .mappings()
        .all()
    )
    # The export's auto_rule_id is the rule of the latest event (else the rule that auto-resolved it).
    frame = (
        pd.DataFrame(frame_rows, columns=list(vs.c.keys()))
        .drop(columns=["auto_rule_id"])
        .rename(columns={"rule_id": "auto_rule_id"})
    )
    for column in ("difference", "difference_pct"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame
