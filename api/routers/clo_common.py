"""Shared pieces of the CLO routers: keyset paging, number conversion, workbook lookup, the Insight model."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

import sqlalchemy as sa
from fastapi import Depends, Path, Query
from pydantic import BaseModel, ConfigDict, TypeAdapter
from sqlalchemy.sql import ColumnElement

from api.deps import Reader
from api.errors import not_found
from api.marts import clo as t
from api.pagination import (
    DEFAULT_LIMIT,
    MAX_CURSOR_LENGTH,
    MAX_LIMIT,
    Cursor,
    Order,
    PageInfo,
    PageParams,
    decode_cursor,
    encode_cursor,
)

T = TypeVar("T")
WorkbookId = Annotated[uuid.UUID, Path(description="Workbook UUID.")]
WORKBOOK_ID = "550e8400-e29b-41d4-a716-446655440000"


async def asc_page_params(
    cursor: Annotated[
        str | None,
        Query(
            max_length=MAX_CURSOR_LENGTH, description="`pagination.cursor` of the previous page; omit for the first."
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page (max 200).")] = DEFAULT_LIMIT,
    order: Annotated[Order, Query(description="Sort direction.")] = "asc",
) -> PageParams:
    """Page parameters for row-ordered collections (holdings, sheet rows), ascending by default."""
    return PageParams(cursor=cursor, limit=limit, order=order)


AscPageQuery = Annotated[PageParams, Depends(asc_page_params)]


def number(value: Any) -> float | None:
    """Numeric (Decimal) cells as JSON numbers."""
    if value is None:
        return None
    return float(value) if isinstance(value, decimal.Decimal | int | float) else float(str(value))


def in_memory_page(items: list[T], page: PageParams, key: Callable[[T], str], sort: str) -> tuple[list[T], PageInfo]:
    """Keyset paging over a small in-memory list (profiles, aliases, functions), sorted by a unique text key."""
    ordered = sorted(items, key=key, reverse=page.order == "desc")
    if page.cursor:
        after = decode_cursor(page.cursor, sort=sort, order=page.order, kind="text")
        if page.order == "asc":
            ordered = [i for i in ordered if key(i) > after.id]
        else:
            ordered = [i for i in ordered if key(i) < after.id]
    chunk = ordered[: page.limit]
    has_more = len(ordered) > page.limit
    cursor = (
        encode_cursor(Cursor(sort=sort, order=page.order, value=key(chunk[-1]), id=key(chunk[-1])))
        if has_more
        else None
    )
    return chunk, PageInfo(cursor=cursor, has_more=has_more, total_count=len(items))


async def require_workbook(db: Reader, tenant_id: str, workbook_id: uuid.UUID | str, *columns: Any) -> Any:
    """The caller's workbook row (all columns, or those given) from marts.clo_workbooks, or 404.

    Another tenant's workbook is indistinguishable from an unknown one.
    """
    w = t.workbooks
    query = sa.select(*(columns or (w,))).where(w.c.tenant_id == tenant_id, w.c.workbook_id == str(workbook_id))
    row = (await db.execute(query)).first()
    if row is None:
        raise not_found("workbook", str(workbook_id))
    return row


async def require_landed_workbook(db: Reader, tenant_id: str, workbook_id: uuid.UUID | str) -> None:
    """404 unless the caller's tenant has landed this workbook.

    Read from marts.clo_landed_workbooks, a view over raw: the routes using it serve what Python assets write
    before any dbt build.
    """
    w = t.landed_workbooks.c
    query = sa.select(w.workbook_id).where(w.tenant_id == tenant_id, w.workbook_id == str(workbook_id)).limit(1)
    if (await db.execute(query)).first() is None:
        raise not_found("workbook", str(workbook_id))


def text_key(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """A never-null text sort key."""
    return sa.func.coalesce(sa.cast(column, sa.Text), "")


def number_key(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """A never-null sort key for a number (nulls sort as the smallest value), as a double.

    A double, not numeric: the cursor carries the value as a float, which asyncpg would bind to a numeric as
    its exact binary expansion (98.37 as 98.3700000000000045...), so the keyset comparison would repeat or skip
    the row at the page boundary; float against double round-trips exactly.
    """
    return sa.func.coalesce(sa.cast(column, sa.Float), sa.literal(-1e30, sa.Float))


def date_key(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """A never-null, lexicographically ordered date key (YYYY-MM-DD, nulls first)."""
    return sa.func.coalesce(sa.func.to_char(column, "YYYY-MM-DD"), "")


def iso(value: dt.date | None) -> str | None:
    """A date as YYYY-MM-DD, or None."""
    return value.isoformat() if value is not None else None


class InsightOut(BaseModel):
    """An insight (seed 000 Insight)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "3f2b8f0c-7f0e-5f45-9d0a-2a1c6c1b6a11",
                    "workbook_id": WORKBOOK_ID,
                    "type": "anomaly",
                    "severity": "warning",
                    "title": "Unusual spread detected",
                    "description": "Position XYZ Corp has spread 850bps, which is 3.2 standard deviations above "
                    "the portfolio average (410bps)",
                    "affected_positions": ["123456789"],
                    "recommendation": "Verify spread is correctly captured from source",
                    "status": "active",
                    "created_at": "2026-01-25T10:45:00Z",
                    "report_date": "2026-01-25",
                    "trend_data": None,
                    "data": {"field": "spread", "z_score": 3.2},
                }
            ]
        }
    )

    id: str
    workbook_id: str
    type: Literal["anomaly", "pattern", "trend", "correlation"]
    severity: Literal["info", "warning", "critical"]
    title: str
    description: str
    affected_positions: list[str]
    recommendation: str | None
    status: str
    created_at: dt.datetime
    report_date: str | None
    trend_data: list[dict[str, Any]] | None = None
    data: dict[str, Any]


INSIGHT_LIST = TypeAdapter(list[InsightOut])


def insight_fields(row: Any) -> dict[str, Any]:
    """A marts.clo_insights row as the fields of the seed's Insight (validated by the caller, once)."""
    data = row.data or {}
    return {
        "id": row.insight_id,
        "workbook_id": row.workbook_id,
        "type": row.type,
        "severity": row.severity,
        "title": row.title,
        "description": row.description,
        "affected_positions": [str(p) for p in row.affected_positions or ()],
        "recommendation": row.recommendation,
        "status": row.status,
        "created_at": row.created_at,
        "report_date": iso(row.report_date),
        "trend_data": data.get("trend_data"),
        "data": data,
    }


def insights_out(rows: Any) -> list[InsightOut]:
    """marts.clo_insights rows as validated Insights (one validation for the list)."""
    return INSIGHT_LIST.validate_python([insight_fields(r) for r in rows])
