"""Warehouse reads for reconciliation and reports: workbooks, holdings, trades, variances and their history."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from orchestration.clo import tables as clo
from orchestration.reconciliation import tables as t

HOLDING_FIELDS: tuple[str, ...] = (
    "holding_id",
    "sheet",
    "row_index",
    "cusip",
    "isin",
    "issuer_name",
    "par_amount",
    "market_value",
    "price",
    "spread",
    "coupon",
    "accrued_interest",
    "rating_moodys",
    "rating_sp",
    "rating_fitch",
    "maturity_date",
    "industry",
    "country",
    "currency",
    "is_defaulted",
    "asset_type",
    "loanx_id",
    "figi",
    "asset_id",
)
NUMERIC_HOLDING_FIELDS = ("par_amount", "market_value", "price", "spread", "coupon", "accrued_interest")


def _frame(conn: Connection, query: Any, columns: list[str] | None = None) -> pd.DataFrame:
    result = conn.execute(query)
    return pd.DataFrame(result.mappings().all(), columns=columns or list(result.keys()))


def tenant_workbooks(engine: Engine, tenant_id: str) -> pd.DataFrame:
    """The tenant's processed workbooks (candidates for a statement)."""
    w = clo.workbooks.c
    query = (
        sa.select(w.workbook_id, w.name, w.report_date, w.file_name, w.partition_key, w.landed_at, w.sidecar)
        .where(w.tenant_id == tenant_id, w.status == "processed")
        .order_by(w.report_date, w.name, w.landed_at)
    )
    with engine.connect() as conn:
        return _frame(
            conn, query, ["workbook_id", "name", "report_date", "file_name", "partition_key", "landed_at", "sidecar"]
        )


def workbook(engine: Engine, tenant_id: str, partition_key: str) -> dict[str, Any] | None:
    """One workbook row by its clo partition."""
    w = clo.workbooks
    with engine.connect() as conn:
        row = (
            conn.execute(sa.select(w).where(w.c.tenant_id == tenant_id, w.c.partition_key == partition_key))
            .mappings()
            .first()
        )
    return dict(row) if row else None


def workbook_holdings(engine: Engine, tenant_id: str, partition_key: str) -> pd.DataFrame:
    """The workbook's canonical holdings, numbers as floats, in sheet-row order."""
    h = clo.holdings.c
    query = (
        sa.select(*(getattr(h, c) for c in HOLDING_FIELDS))
        .where(h.tenant_id == tenant_id, h.partition_key == partition_key)
        .order_by(h.sheet, h.row_index)
    )
    with engine.connect() as conn:
        frame = _frame(conn, query, list(HOLDING_FIELDS))
    for column in NUMERIC_HOLDING_FIELDS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame


def trade_sheets(engine: Engine, tenant_id: str, partition_key: str) -> dict[str, list[list[Any]]]:
    """Cells of the workbook's Trades/Transactions sheets (for pending trades and the report)."""
    s = clo.sheet_rows.c
    query = (
        sa.select(s.sheet_name, s.cells)
        .where(s.tenant_id == tenant_id, s.partition_key == partition_key, s.sheet_name.op("~*")("trade|transaction"))
        .order_by(s.sheet_name, s.row_index)
    )
    sheets: dict[str, list[list[Any]]] = {}
    with engine.connect() as conn:
        for name, cells in conn.execute(query).tuples():
            sheets.setdefault(name, []).append(list(cells or []))
    return sheets


def known_variances(engine: Engine, tenant_id: str) -> dict[str, str]:
    """Every variance id of the tenant (lower case) → its reconciliation id."""
    v = t.variances.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(v.variance_id, v.reconciliation_id).where(v.tenant_id == tenant_id)).tuples()
        return {str(a).lower(): str(b) for a, b in rows}


def current_events_subquery(tenant_id: str) -> Any:
    """The latest history event per variance of a tenant (its current status), as a subquery."""
    e = t.variance_events.c
    ranked = sa.select(
        e.variance_id,
        e.status,
        e.resolution_type,
        e.explanation,
        e.action,
        e.resolved_by,
        e.rule_id,
        e.recorded_at,
        sa.func.row_number()
        .over(partition_by=e.variance_id, order_by=(e.recorded_at.desc(), e.seq.desc(), e.source.desc()))
        .label("rank"),
    ).where(e.tenant_id == tenant_id)
    return ranked.subquery("ranked")


def latest_reconciliation(engine: Engine, tenant_id: str, workbook_id: str) -> dict[str, Any] | None:
    """The most recent reconciliation of a workbook (any source)."""
    r = t.reconciliations
    query = (
        sa.select(r)
        .where(r.c.tenant_id == tenant_id, r.c.workbook_id == workbook_id)
        .order_by(r.c.executed_at.desc(), r.c.partition_key)
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def current_variances_subquery(tenant_id: str) -> sa.Subquery:
    """The tenant's variances ⟕ their latest event: current status, resolution and rule (reports and the API)."""
    v = t.variances.c
    ranked = current_events_subquery(tenant_id)
    current = sa.select(ranked).where(ranked.c.rank == 1).subquery("current")
    return (
        sa.select(
            v.tenant_id,
            v.variance_id,
            v.reconciliation_id,
            v.position_key,
            v.cusip,
            v.isin,
            v.issuer_name,
            v.category,
            v.field,
            v.internal_value,
            v.external_value,
            v.difference,
            v.difference_pct,
            v.within_tolerance,
            sa.func.coalesce(current.c.status, v.initial_status).label("status"),
            sa.func.coalesce(current.c.resolution_type, v.resolution_type).label("resolution_type"),
            sa.func.coalesce(current.c.explanation, v.explanation).label("explanation"),
            sa.func.coalesce(current.c.action, v.action).label("action"),
            current.c.resolved_by,
            current.c.recorded_at.label("resolved_at"),
            v.auto_rule_id,
            sa.func.coalesce(current.c.rule_id, v.auto_rule_id).label("rule_id"),
        )
        .select_from(t.variances.outerjoin(current, current.c.variance_id == v.variance_id))
        .where(v.tenant_id == tenant_id)
        .subquery("variances")
    )


def reconciliation_variances(engine: Engine, tenant_id: str, reconciliation_id: str) -> pd.DataFrame:
    """A reconciliation's variances with their current status and resolution."""
    c = current_variances_subquery(tenant_id).c
    query = (
        sa.select(
            c.variance_id,
            c.position_key,
            c.cusip,
            c.isin,
            c.issuer_name,
            c.category,
            c.field,
            c.internal_value,
            c.external_value,
            c.difference,
            c.difference_pct,
            c.within_tolerance,
            c.status,
            c.resolution_type,
            c.auto_rule_id,
            c.explanation,
            c.resolved_by,
        )
        .where(c.reconciliation_id == reconciliation_id)
        .order_by(c.position_key, c.category, c.field)
    )
    with engine.connect() as conn:
        frame = _frame(conn, query)
    for column in ("difference", "difference_pct"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame


def compliance_for(engine: Engine, tenant_id: str, workbook_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The workbook's compliance results and the deal's history across report dates (empty when not built)."""
    try:
        from orchestration.compliance import tables as compliance
    except ImportError:
        return pd.DataFrame(), pd.DataFrame()
    c = compliance.compliance_results.c
    current_q = sa.select(compliance.compliance_results).where(c.tenant_id == tenant_id, c.workbook_id == workbook_id)
    try:
        with engine.connect() as conn:
            current = _frame(conn, current_q.order_by(c.sort_order))
            if current.empty:
                return current, pd.DataFrame()
            deal = str(current["deal_id"].iloc[0])
            history = _frame(
                conn,
                sa.select(c.report_date, c.test_id, c.name, c.current_value, c.cushion_pct, c.status)
                .where(c.tenant_id == tenant_id, c.deal_id == deal)
                .order_by(c.report_date, c.test_id),
            )
    except sa.exc.ProgrammingError:
        return pd.DataFrame(), pd.DataFrame()
    history = history.drop_duplicates(["report_date", "test_id"], keep="last")
    return current, history


def deal_of(name: Any, sidecar: Any) -> str:
    """The deal a workbook belongs to: sidecar `deal` (a name or `{name: ...}`), else the workbook name."""
    deal = sidecar.get("deal") if isinstance(sidecar, dict) else None
    if isinstance(deal, dict):
        deal = deal.get("name") or deal.get("id")
    return str(deal or name)


def latest_per_deal(workbooks: pd.DataFrame) -> pd.DataFrame:
    """Per (tenant, deal), the workbook with the latest report date (then the latest landing)."""
    if workbooks.empty:
        return workbooks.assign(deal=pd.Series(dtype=str))
    frame = workbooks.assign(deal=[deal_of(n, s) for n, s in zip(workbooks["name"], workbooks["sidecar"], strict=True)])
    frame = frame.sort_values(["report_date", "landed_at"], na_position="first", kind="stable")
    return frame.groupby(["tenant_id", "deal"], sort=True).tail(1).reset_index(drop=True)


def all_processed_workbooks(engine: Engine) -> pd.DataFrame:
    """Every tenant's processed workbooks (for the monthly report schedule)."""
    w = clo.workbooks.c
    query = sa.select(w.tenant_id, w.workbook_id, w.name, w.report_date, w.partition_key, w.landed_at, w.sidecar).where(
        w.status == "processed"
    )
    with engine.connect() as conn:
        return _frame(
            conn, query, ["tenant_id", "workbook_id", "name", "report_date", "partition_key", "landed_at", "sidecar"]
        )


def reconciled_since(engine: Engine, since: Any) -> pd.DataFrame:
    """Reconciliations executed after `since` (None: all), oldest first: which workbook reports are stale."""
    r = t.reconciliations.c
    query = sa.select(r.tenant_id, r.reconciliation_id, r.workbook_partition_key, r.executed_at).order_by(r.executed_at)
    if since is not None:
        query = query.where(r.executed_at > since)
    with engine.connect() as conn:
        return _frame(conn, query, ["tenant_id", "reconciliation_id", "workbook_partition_key", "executed_at"])
