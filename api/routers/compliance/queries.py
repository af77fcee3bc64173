"""Warehouse reads of the compliance routes (tenant-scoped), and the two the CLO workbook routes use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api.errors import not_found
from api.routers.clo_common import number
from orchestration.compliance import tables as ct


def latest_run(conn: Connection, tenant_id: str, workbook_id: str) -> Any | None:
    """The workbook's latest compliance metrics row (tenant-scoped), or None."""
    m = ct.compliance_metrics
    return conn.execute(
        sa.select(m)
        .where(m.c.tenant_id == tenant_id, m.c.workbook_id == workbook_id)
        .order_by(m.c.executed_at.desc())
        .limit(1)
    ).first()


def require_run(conn: Connection, tenant_id: str, workbook_id: str) -> Any:
    """The latest run, or the 404 every compliance route answers for a workbook without results."""
    run = latest_run(conn, tenant_id, workbook_id)
    if run is None:
        raise not_found("compliance results of workbook", workbook_id)
    return run


def deal_history(conn: Connection, tenant_id: str, deal_id: str, up_to: dt.date) -> list[Any]:
    """Every result row of the deal up to a report date (latest run per report date), oldest first."""
    r = ct.compliance_results
    rows = conn.execute(
        sa.select(r)
        .where(r.c.tenant_id == tenant_id, r.c.deal_id == deal_id, r.c.report_date <= up_to)
        .order_by(r.c.report_date, r.c.executed_at)
    ).all()
    latest: dict[tuple[dt.date, str], Any] = {}
    for row in rows:
        latest[(row.report_date, row.test_id)] = row  # later executions of the same date win
    return sorted(latest.values(), key=lambda x: (x.report_date, x.sort_order))


def test_rows(conn: Connection, run: Any) -> list[Any]:
    """A run's test rows in profile order."""
    r = ct.compliance_results
    return conn.execute(
        sa.select(r)
        .where(r.c.tenant_id == run.tenant_id, r.c.partition_key == run.partition_key)
        .order_by(r.c.sort_order)
    ).all()


def current_results(conn: Connection, tenant_id: str, workbook_id: str) -> tuple[Any, list[Any], list[Any]]:
    """The latest run, its test rows, and the deal's history with this workbook's rows for its own date."""
    run = require_run(conn, tenant_id, workbook_id)
    rows = test_rows(conn, run)
    history = list(deal_history(conn, tenant_id, run.deal_id, run.report_date))
    # this workbook's own rows replace any other run on the same report date
    history = [h for h in history if h.report_date != run.report_date] + rows
    return run, rows, history


def compliance_metrics(conn: Connection, tenant_id: str, workbook_id: str) -> dict[str, Any] | None:
    """For /workbooks/{id}/metrics: summary, deal and every intermediate of the latest run, or None."""
    run = latest_run(conn, tenant_id, workbook_id)
    if run is None:
        return None
    return {
        "executed_at": run.executed_at.isoformat(),
        "report_date": run.report_date.isoformat(),
        "deal_id": run.deal_id,
        "summary": run.summary,
        "metrics": run.metrics,
        "deal": run.deal,
    }


def holding_compliance_fields(
    conn: Connection, tenant_id: str, workbook_id: str, holding_ids: Iterable[str] | None = None
) -> dict[str, dict[str, Any]]:
    """For the holdings routes: holding_id → the compliance fields of the workbook's latest run.

    Fields: effective_rating, rating_source, rating_factor, in_ccc_bucket, years_to_maturity; optionally only
    the given holdings.
    """
    run = latest_run(conn, tenant_id, workbook_id)
    if run is None:
        return {}
    h = ct.holding_compliance
    query = sa.select(h).where(h.c.tenant_id == tenant_id, h.c.partition_key == run.partition_key)
    if holding_ids is not None:
        query = query.where(h.c.holding_id.in_(list(holding_ids)))
    return {
        row.holding_id: {
            "effective_rating": row.effective_rating,
            "rating_source": row.rating_source,
            "rating_factor": number(row.rating_factor),
            "in_ccc_bucket": row.in_ccc_bucket,
            "years_to_maturity": number(row.years_to_maturity),
        }
        for row in conn.execute(query)
    }
