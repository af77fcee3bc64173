"""`/api/v1/uploads`: every landed file (accepted or rejected) of the caller's tenant, from marts.uploads."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, TypeAdapter
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql import ColumnElement, Select

from api.deps import AppRuntime, Caller, Db, requires
from api.domains import Domain
from api.errors import error_responses, not_found
from api.marts.ops import uploads
from api.pagination import (
    Cursor,
    Order,
    Page,
    PageInfo,
    PageQuery,
    ValueKind,
    decode_cursor,
    encode_cursor,
    keyset_parameters,
    keyset_template,
)

router = APIRouter(prefix="/uploads", tags=["uploads"], dependencies=[requires("read:uploads")])

UploadStatus = Literal["accepted", "rejected"]
UploadSort = Literal["landed_at", "file_name", "size_bytes"]

SORT_COLUMNS: dict[str, tuple[ColumnElement[Any], ValueKind]] = {
    "landed_at": (uploads.c.landed_at, "datetime"),
    "file_name": (uploads.c.file_name, "text"),
    # Rejected files may have no size; -1 keeps them in one place and the keyset comparison total.
    "size_bytes": (sa.func.coalesce(uploads.c.size_bytes, -1), "int"),
}

UPLOAD_EXAMPLE: dict[str, Any] = {
    "upload_id": "5f2b9c1e-8a41-3c0d-9e77-2b1f4a6c8d90",
    "tenant_id": "acme",
    "domain": "clo",
    "file_name": "holdings_2026-01-24.xlsx",
    "display_name": "Holdings 24 Jan",
    "tags": ["monthly", "trustee-a"],
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "size_bytes": 482133,
    "partition_key": "acme.9f86d081884c7d65",
    "status": "accepted",
    "reason_code": None,
    "reason": None,
    "landed_at": "2026-01-25T10:30:00Z",
}


class UploadOut(BaseModel):
    """One landed file: accepted (one Dagster partition) or rejected by the landing sensor with a reason."""

    model_config = ConfigDict(json_schema_extra={"examples": [UPLOAD_EXAMPLE]})

    upload_id: str
    tenant_id: str
    domain: str
    file_name: str
    display_name: str | None
    tags: list[str]
    sha256: str | None
    size_bytes: int | None
    partition_key: str | None
    status: str
    reason_code: str | None
    reason: str | None
    landed_at: dt.datetime


NO_TAGS = sa.literal_column("'[]'::jsonb", JSONB)
COLUMNS = [
    sa.func.coalesce(uploads.c.tags, NO_TAGS).label("tags") if name == "tags" else uploads.c[name]
    for name in UploadOut.model_fields
]


UPLOAD_LIST = TypeAdapter(list[UploadOut])


@functools.cache
def _statements(
    sort: str, order: Order, *, after: bool, domain: bool, status: bool, counted: bool
) -> tuple[Select[Any], Select[Any]]:
    """The page statement (with a `total_count` column unless `counted`) and the count, built once per shape."""
    sort_column, _ = SORT_COLUMNS[sort]
    filters = [uploads.c.tenant_id == sa.bindparam("tenant", type_=sa.Text)]
    if domain:
        filters.append(uploads.c.domain == sa.bindparam("domain", type_=sa.Text))
    if status:
        filters.append(uploads.c.status == sa.bindparam("status", type_=sa.Text))
    count = sa.select(sa.func.count()).select_from(uploads).where(*filters)
    columns = [*COLUMNS, sort_column.label("sort_value")]
    if not counted:
        columns.append(count.scalar_subquery().label("total_count"))
    page = keyset_template(
        sa.select(*columns).where(*filters),
        sort_column=sort_column,
        id_column=uploads.c.upload_id,
        order=order,
        after=after,
    )
    return page, count


@router.get(
    "",
    summary="List uploads",
    responses=error_responses(401, 403, 422, 429, 503),
)
async def list_uploads(
    db: Db,
    runtime: AppRuntime,
    caller: Caller,
    page: PageQuery,
    sort: Annotated[UploadSort, Query(description="Sort field; ties are broken by upload_id.")] = "landed_at",
    domain: Annotated[Domain | None, Query(description="Only this landing domain.")] = None,
    status: Annotated[UploadStatus | None, Query(description="Only accepted or only rejected files.")] = None,
) -> Page[UploadOut]:
    """The caller's uploads, newest first by default, with keyset cursor pagination."""
    _, kind = SORT_COLUMNS[sort]
    after = decode_cursor(page.cursor, sort=sort, order=page.order, kind=kind) if page.cursor else None
    count_key = ("uploads", caller.tenant_id, domain, status)
    total_count = runtime.counts.get(count_key)
    stmt, count = _statements(
        sort,
        page.order,
        after=after is not None,
        domain=domain is not None,
        status=status is not None,
        counted=total_count is not None,
    )
    parameters = {"tenant": caller.tenant_id, "domain": domain, "status": status}
    result = await db.execute(stmt, parameters | keyset_parameters(after, page.limit))
    keys = tuple(result.keys())
    rows = result.all()
    has_more = len(rows) > page.limit
    rows = rows[: page.limit]
    if total_count is None:
        total_count = int(rows[0].total_count) if rows else int((await db.execute(count, parameters)).scalar_one())
        runtime.counts.put(count_key, total_count)
    cursor = None
    if has_more:
        last = rows[-1]
        cursor = encode_cursor(Cursor(sort=sort, order=page.order, value=last.sort_value, id=last.upload_id))
    data = UPLOAD_LIST.validate_python([dict(zip(keys, row, strict=True)) for row in rows])
    return Page[UploadOut](data=data, pagination=PageInfo(cursor=cursor, has_more=has_more, total_count=total_count))


@router.get(
    "/{upload_id}",
    summary="Get one upload",
    responses=error_responses(401, 403, 404, 422, 429, 503),
)
async def get_upload(
    db: Db,
    caller: Caller,
    upload_id: Annotated[str, Path(max_length=512, description="The upload's id, as listed.")],
) -> UploadOut:
    """One upload of the caller's tenant; another tenant's id is 404, exactly like an unknown one."""
    result = await db.execute(
        sa.select(*COLUMNS).where(uploads.c.upload_id == upload_id, uploads.c.tenant_id == caller.tenant_id)
    )
    row = result.first()
    if row is None:
        raise not_found("upload", upload_id)
    return UploadOut.model_validate(row._asdict())
