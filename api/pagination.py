"""Keyset pagination: opaque cursors, the page envelope, and the WHERE/ORDER BY that walk a table once."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import json
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, Protocol, TypeVar

import sqlalchemy as sa
from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Result
from sqlalchemy.sql import ColumnElement, Executable, Select

from api.errors import ApiError, ErrorDetail

T = TypeVar("T")
Order = Literal["asc", "desc"]
ValueKind = Literal["text", "int", "datetime"]

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_LENGTH = 1024


CURSOR_EXAMPLE = (
    "eyJpZCI6InVwbF85Zjg2ZDA4MTg4NGM3ZDY1IiwibyI6ImRlc2MiLCJzIjoibGFuZGVkX2F0IiwidiI6"
    "IjIwMjYtMDEtMjVUMTA6MzA6MDArMDA6MDAifQ"
)


class PageInfo(BaseModel):
    """Where the page sits: the cursor for the next page (null on the last page) and the total."""

    cursor: str | None
    has_more: bool
    total_count: int


class Page(BaseModel, Generic[T]):
    """One page of a collection in seed 000's envelope."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data": [],
                    "pagination": {
                        "cursor": CURSOR_EXAMPLE,
                        "has_more": True,
                        "total_count": 1500,
                    },
                }
            ]
        }
    )

    data: list[T]
    pagination: PageInfo


@dataclass(frozen=True)
class PageParams:
    """The shared query parameters of every collection route."""

    cursor: str | None
    limit: int
    order: Order


async def page_params(
    cursor: Annotated[
        str | None,
        Query(
            max_length=MAX_CURSOR_LENGTH, description="`pagination.cursor` of the previous page; omit for the first."
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page (max 200).")] = DEFAULT_LIMIT,
    order: Annotated[Order, Query(description="Sort direction.")] = "desc",
) -> PageParams:
    """Read cursor, limit and order from the query string."""
    return PageParams(cursor=cursor, limit=limit, order=order)


PageQuery = Annotated[PageParams, Depends(page_params)]


class CountCache:
    """`total_count` per query shape for a few seconds, so paging a large table does not count it every time."""

    MAX_ENTRIES = 10_000

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._counts: dict[Hashable, tuple[int, float]] = {}

    def get(self, key: Hashable) -> int | None:
        entry = self._counts.get(key)
        return entry[0] if entry is not None and entry[1] > self._clock() else None

    def put(self, key: Hashable, count: int) -> None:
        if self._ttl <= 0:
            return
        if len(self._counts) >= self.MAX_ENTRIES:
            self._counts.clear()
        self._counts[key] = (count, self._clock() + self._ttl)


@dataclass(frozen=True)
class Cursor:
    """The position after which the next page starts: the last row's sort value and unique id."""

    sort: str
    order: Order
    value: Any
    id: str


def invalid_cursor(message: str, code: str = "INVALID_CURSOR") -> ApiError:
    return ApiError(422, "Request validation failed", details=[ErrorDetail(field="cursor", message=message, code=code)])


def _encode_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _decode_value(raw: Any, kind: ValueKind) -> Any:
    if kind == "datetime":
        if not isinstance(raw, str):
            raise ValueError("not a timestamp")
        value = dt.datetime.fromisoformat(raw)
        if value.tzinfo is None:
            raise ValueError("timestamp without a time zone")
        return value
    if kind == "int":
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise ValueError("not an integer")
        return raw
    if not isinstance(raw, str):
        raise ValueError("not a string")
    return raw


def encode_cursor(cursor: Cursor) -> str:
    """Base64url JSON without padding; opaque to clients."""
    payload = {"s": cursor.sort, "o": cursor.order, "v": _encode_value(cursor.value), "id": cursor.id}
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(token: str, *, sort: str, order: Order, kind: ValueKind | None) -> Cursor:
    """Parse a cursor issued for the same sort and order, or raise 422 VALIDATION_ERROR."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid_cursor("cursor is not one this API issued") from None
    if not isinstance(payload, dict) or set(payload) != {"s", "o", "v", "id"} or not isinstance(payload["id"], str):
        raise invalid_cursor("cursor is not one this API issued")
    if payload["s"] != sort or payload["o"] != order:
        raise invalid_cursor(
            f"cursor was issued for sort={payload['s']}&order={payload['o']}, not sort={sort}&order={order}",
            code="CURSOR_MISMATCH",
        )
    try:
        value = None if kind is None else _decode_value(payload["v"], kind)
    except ValueError as error:
        raise invalid_cursor(f"cursor value is invalid: {error}") from None
    return Cursor(sort=sort, order=order, value=value, id=payload["id"])


def keyset_page(
    stmt: Select[Any],
    *,
    sort_column: ColumnElement[Any],
    id_column: ColumnElement[Any],
    order: Order,
    after: Cursor | None,
    limit: int,
) -> Select[Any]:
    """Order by (sort, id) and start strictly after the cursor; fetch one extra row to learn `has_more`."""
    key = sa.tuple_(sort_column, id_column)
    if after is not None:
        bound = sa.tuple_(sa.literal(after.value, type_=sort_column.type), sa.literal(after.id, type_=id_column.type))
        stmt = stmt.where(key > bound if order == "asc" else key < bound)
    direction = sa.asc if order == "asc" else sa.desc
    return stmt.order_by(direction(sort_column), direction(id_column)).limit(limit + 1)


def _cursor_number(raw: Any) -> decimal.Decimal:
    """A numeric sort value from a cursor, as an exact Decimal.

    A float would bind 95.1 to a NUMERIC column as 95.0999…, so the boundary row would be served again or skipped.
    """
    try:
        value = decimal.Decimal(raw)
    except (decimal.InvalidOperation, TypeError, ValueError):
        raise invalid_cursor("cursor value is invalid: not a number") from None
    if not value.is_finite():
        raise invalid_cursor("cursor value is invalid: not a finite number")
    return value


def keyset_template(
    stmt: Select[Any], *, sort_column: ColumnElement[Any], id_column: ColumnElement[Any], order: Order, after: bool
) -> Select[Any]:
    """`keyset_page` with bound parameters (`after_value`, `after_id`, `page_rows`) instead of values.

    Built once per query shape and cached by the caller, so a hot route neither rebuilds nor re-keys its
    statement per request; `keyset_parameters` gives the values.
    """
    key = sa.tuple_(sort_column, id_column)
    if after:
        bound = sa.tuple_(
            sa.bindparam("after_value", type_=sort_column.type), sa.bindparam("after_id", type_=id_column.type)
        )
        stmt = stmt.where(key > bound if order == "asc" else key < bound)
    direction = sa.asc if order == "asc" else sa.desc
    return stmt.order_by(direction(sort_column), direction(id_column)).limit(
        sa.bindparam("page_rows", type_=sa.Integer)
    )


def keyset_parameters(after: Cursor | None, limit: int) -> dict[str, Any]:
    """The values of `keyset_template`'s parameters: one row more than the page, to learn `has_more`."""
    values: dict[str, Any] = {"page_rows": limit + 1}
    if after is not None:
        values |= {"after_value": after.value, "after_id": after.id}
    return values


SortKind = Literal["text", "int", "datetime", "number"]
"""How a sort value travels in a cursor (a number as text, so Decimal and float round-trip)."""


class Executes(Protocol):
    """The request's warehouse access (`api.deps.Reader`)."""

    async def execute(self, statement: Executable) -> Result[Any]: ...


async def keyset(
    db: Executes,
    counts: CountCache,
    page: PageParams,
    *,
    columns: Sequence[Any],
    filters: Sequence[ColumnElement[bool]],
    count_from: Any,
    sort: str,
    sort_expr: ColumnElement[Any],
    kind: SortKind,
    id_expr: ColumnElement[Any],
    count_key: tuple[Any, ...],
    build: Callable[[Any], T],
) -> tuple[list[T], PageInfo]:
    """One keyset page in (sort, id) order: `sort_expr` must never be null (coalesce it) and `id_expr` unique.

    The page, the next cursor and the total (cached in `counts` under `count_key`); every list route uses it.
    """
    after: Cursor | None = None
    if page.cursor:
        decoded = decode_cursor(page.cursor, sort=sort, order=page.order, kind="text" if kind == "number" else kind)
        value = decoded.value
        if kind == "number":
            value = _cursor_number(value)
        after = Cursor(sort=sort, order=page.order, value=value, id=decoded.id)
    stmt = keyset_page(
        sa.select(*columns, sort_expr.label("sort_value"), id_expr.label("id_value")).where(*filters),
        sort_column=sort_expr,
        id_column=id_expr,
        order=page.order,
        after=after,
        limit=page.limit,
    )
    rows = (await db.execute(stmt)).all()
    has_more = len(rows) > page.limit
    rows = rows[: page.limit]
    total = counts.get(count_key)
    if total is None:
        count = sa.select(sa.func.count()).select_from(count_from).where(*filters)
        total = int((await db.execute(count)).scalar_one())
        counts.put(count_key, total)
    cursor = None
    if has_more:
        last = rows[-1]
        value = str(last.sort_value) if kind == "number" else last.sort_value
        cursor = encode_cursor(Cursor(sort=sort, order=page.order, value=value, id=str(last.id_value)))
    return [build(row) for row in rows], PageInfo(cursor=cursor, has_more=has_more, total_count=total)
