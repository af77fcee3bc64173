"""Warehouse reads of the CLO workbook routes (tenant-scoped): keyset pages, insights, anomalies, data quality."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa

from api.deps import Reader
from api.marts import clo as t
from api.pagination import PageInfo, PageParams, keyset
from api.routers.clo_common import date_key, number_key, text_key
from api.runtime import Runtime

T = TypeVar("T")


def escape_like(text: str) -> str:
    """LIKE wildcards in user text matched literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def workbooks_page(
    db: Reader,
    runtime: Runtime,
    page: PageParams,
    tenant_id: str,
    *,
    sort: str,
    tag: str | None,
    status: str | None,
    report_date_from: dt.date | None,
    report_date_to: dt.date | None,
    build: Callable[[Any], T],
) -> tuple[list[T], PageInfo]:
    """One page of the tenant's workbooks (failed ones included), filtered and sorted, ties by workbook id."""
    w = t.workbooks
    filters = [w.c.tenant_id == tenant_id]
    if tag is not None:
        filters.append(w.c.tags.contains([tag]))
    if status is not None:
        filters.append(w.c.status == status)
    if report_date_from is not None:
        filters.append(w.c.report_date >= report_date_from)
    if report_date_to is not None:
        filters.append(w.c.report_date <= report_date_to)
    sort_expr, kind = {
        "created_at": (w.c.created_at, "datetime"),
        "name": (text_key(w.c.name), "text"),
        "report_date": (date_key(w.c.report_date), "text"),
        "status": (text_key(w.c.status), "text"),
        "data_quality_score": (number_key(w.c.data_quality_score), "number"),
    }[sort]
    return await keyset(
        db,
        runtime.counts,
        page,
        columns=[w],
        filters=filters,
        count_from=w,
        sort=sort,
        sort_expr=sort_expr,
        kind=kind,  # type: ignore[arg-type]
        id_expr=w.c.workbook_id,
        count_key=("clo_workbooks", tenant_id, tag, status, report_date_from, report_date_to),
        build=build,
    )


async def sheet_rows_page(
    db: Reader,
    runtime: Runtime,
    page: PageParams,
    tenant_id: str,
    partition_key: str,
    name: str,
    *,
    build: Callable[[Any], T],
) -> tuple[list[T], PageInfo]:
    """One page of a sheet's non-empty rows by Excel row number."""
    s = t.sheet_rows
    filters = [s.c.tenant_id == tenant_id, s.c.partition_key == partition_key, s.c.sheet_name == name]
    return await keyset(
        db,
        runtime.counts,
        page,
        columns=[s.c.row_index, s.c.cells],
        filters=filters,
        count_from=s,
        sort="row_index",
        sort_expr=s.c.row_index,
        kind="int",
        id_expr=sa.func.lpad(sa.cast(s.c.row_index, sa.Text), 10, "0"),
        count_key=("clo_sheet_rows", tenant_id, partition_key, name),
        build=build,
    )


async def holdings_page(
    db: Reader,
    runtime: Runtime,
    page: PageParams,
    tenant_id: str,
    workbook_id: str,
    *,
    sort: str,
    cusip: str | None,
    issuer: str | None,
    industry: str | None,
    rating: str | None,
    is_defaulted: bool | None,
    build: Callable[[Any], T],
) -> tuple[list[T], PageInfo]:
    """One page of a workbook's canonical holdings, filtered and sorted, ties by holding id."""
    h = t.holdings
    filters = [h.c.tenant_id == tenant_id, h.c.workbook_id == workbook_id]
    if cusip is not None:
        filters.append(h.c.cusip == cusip.upper())
    if issuer is not None:
        filters.append(h.c.issuer_name.ilike(f"%{escape_like(issuer)}%", escape="\\"))
    if industry is not None:
        filters.append(sa.func.lower(h.c.industry) == industry.lower())
    if rating is not None:
        filters.append(sa.or_(h.c.rating_moodys == rating, h.c.rating_sp == rating, h.c.rating_fitch == rating))
    if is_defaulted is not None:
        filters.append(h.c.is_defaulted.is_(is_defaulted))
    sort_expr, kind = {
        "row_index": (h.c.row_index, "int"),
        "cusip": (text_key(h.c.cusip), "text"),
        "issuer_name": (text_key(h.c.issuer_name), "text"),
        "par_amount": (number_key(h.c.par_amount), "number"),
        "market_value": (number_key(h.c.market_value), "number"),
        "price": (number_key(h.c.price), "number"),
        "spread": (number_key(h.c.spread), "number"),
        "maturity_date": (date_key(h.c.maturity_date), "text"),
    }[sort]
    return await keyset(
        db,
        runtime.counts,
        page,
        columns=[h],
        filters=filters,
        count_from=h,
        sort=sort,
        sort_expr=sort_expr,
        kind=kind,  # type: ignore[arg-type]
        id_expr=h.c.holding_id,
        count_key=("clo_holdings", tenant_id, workbook_id, cusip, issuer, industry, rating, is_defaulted),
        build=build,
    )


async def quality(db: Reader, tenant_id: str, workbook_id: str) -> Any:
    """The workbook's marts.clo_data_quality row, or None."""
    q = t.data_quality
    query = sa.select(q).where(q.c.tenant_id == tenant_id, q.c.workbook_id == workbook_id)
    return (await db.execute(query)).first()


async def insight_rows(
    db: Reader, tenant_id: str, workbook_id: str, *, type: str | None, severity: str | None
) -> list[Any]:
    """A workbook's insights, optionally of one type and severity, most severe first."""
    i = t.insights
    filters = [i.c.tenant_id == tenant_id, i.c.workbook_id == workbook_id]
    if type is not None:
        filters.append(i.c.type == type)
    if severity is not None:
        filters.append(i.c.severity == severity)
    query = sa.select(i).where(*filters).order_by(i.c.severity_rank.desc(), i.c.type, i.c.insight_id)
    return list((await db.execute(query)).all())


async def anomaly_rows(db: Reader, tenant_id: str, workbook_id: str) -> list[Any]:
    """Every anomaly of a workbook, largest |z| first."""
    a = t.anomalies
    query = (
        sa.select(a)
        .where(a.c.tenant_id == tenant_id, a.c.workbook_id == workbook_id)
        .order_by(a.c.abs_z_score.desc(), a.c.anomaly_id)
    )
    return list((await db.execute(query)).all())


async def anomalies_page(
    db: Reader,
    runtime: Runtime,
    page: PageParams,
    tenant_id: str,
    workbook_id: str,
    *,
    field: str | None,
    build: Callable[[Any], T],
) -> tuple[list[T], PageInfo]:
    """One page of a workbook's anomalies by |z| score, optionally of one numeric field."""
    a = t.anomalies
    filters = [a.c.tenant_id == tenant_id, a.c.workbook_id == workbook_id]
    if field is not None:
        filters.append(a.c.field == field)
    return await keyset(
        db,
        runtime.counts,
        page,
        columns=[a],
        filters=filters,
        count_from=a,
        sort="abs_z_score",
        sort_expr=a.c.abs_z_score,
        kind="number",
        id_expr=a.c.anomaly_id,
        count_key=("clo_anomalies", tenant_id, workbook_id, field),
        build=build,
    )


async def patterns_page(
    db: Reader, runtime: Runtime, page: PageParams, tenant_id: str, workbook_id: str, *, build: Callable[[Any], T]
) -> tuple[list[T], PageInfo]:
    """One page of a workbook's pattern insights by severity."""
    i = t.insights
    filters = [i.c.tenant_id == tenant_id, i.c.workbook_id == workbook_id, i.c.type == "pattern"]
    return await keyset(
        db,
        runtime.counts,
        page,
        columns=[i],
        filters=filters,
        count_from=i,
        sort="severity",
        sort_expr=i.c.severity_rank,
        kind="int",
        id_expr=i.c.insight_id,
        count_key=("clo_patterns", tenant_id, workbook_id),
        build=build,
    )
