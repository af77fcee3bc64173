"""`/api/v1/uploads`: every landed file (accepted or rejected) of the caller's tenant, from marts.uploads."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, TypeAdapter
from sqlalchemy.sql import ColumnElement

from api.deps import AppRuntime, Caller, Db, requires
from api.domains import Domain
from api.errors import error_responses, not_found
from api.pagination import Cursor, Page, PageInfo, PageQuery, ValueKind, decode_cursor, encode_cursor, keyset_page
from api.tables import uploads

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


COLUMNS = [uploads.c[name] for name in UploadOut.model_fields]


UPLOAD_LIST = TypeAdapter(list[UploadOut])


def _upload_values(row: sa.Row[Any]) -> dict[str, Any]:
    return {**row._mapping, "tags": row.tags or []}


@router.get(
    "",
    summary="List uploads",
    responses=error_responses(401, 403, 422, 429, 503),
)
def list_uploads(
    db: Db,
    runtime: AppRuntime,
    caller: Caller,
    page: PageQuery,
    sort: Annotated[UploadSort, Query(description="Sort field; ties are broken by upload_id.")] = "landed_at",
    domain: Annotated[Domain | None, Query(description="Only this landing domain.")] = None,
    status: Annotated[UploadStatus | None, Query(description="Only accepted or only rejected files.")] = None,
) -> Page[UploadOut]:
    """The caller's uploads, newest first by default, with keyset cursor pagination."""
    sort_column, kind = SORT_COLUMNS[sort]
    after = decode_cursor(page.cursor, sort=sort, order=page.order, kind=kind) if page.cursor else None
    filters = [uploads.c.tenant_id == caller.tenant_id]
    if domain is not None:
        filters.append(uploads.c.domain == domain)
    if status is not None:
        filters.append(uploads.c.status == status)
    count = sa.select(sa.func.count()).select_from(uploads).where(*filters)
    count_key = ("uploads", caller.tenant_id, domain, status)
    total_count = runtime.counts.get(count_key)
    columns = [*COLUMNS, sort_column.label("sort_value")]
    if total_count is None:
        columns.append(count.scalar_subquery().label("total_count"))
    stmt = keyset_page(
        sa.select(*columns).where(*filters),
        sort_column=sort_column,
        id_column=uploads.c.upload_id,
        order=page.order,
        after=after,
        limit=page.limit,
    )
    rows = db.execute(stmt).all()
    has_more = len(rows) > page.limit
    rows = rows[: page.limit]
    if total_count is None:
        total_count = int(rows[0].total_count) if rows else int(db.execute(count).scalar_one())
        runtime.counts.put(count_key, total_count)
    cursor = None
    if has_more:
        last = rows[-1]
        cursor = encode_cursor(Cursor(sort=sort, order=page.order, value=last.sort_value, id=last.upload_id))
    data = UPLOAD_LIST.validate_python([_upload_values(row) for row in rows])
    return Page[UploadOut](data=data, pagination=PageInfo(cursor=cursor, has_more=has_more, total_count=total_count))


@router.get(
    "/{upload_id}",
    summary="Get one upload",
    responses=error_responses(401, 403, 404, 422, 429, 503),
)
def get_upload(
    db: Db,
    caller: Caller,
    upload_id: Annotated[str, Path(max_length=512, description="The upload's id, as listed.")],
) -> UploadOut:
    """One upload of the caller's tenant; another tenant's id is 404, exactly like an unknown one."""
    row = db.execute(
        sa.select(*COLUMNS).where(uploads.c.upload_id == upload_id, uploads.c.tenant_id == caller.tenant_id)
    ).first()
    if row is None:
        raise not_found("upload", upload_id)
    return UploadOut.model_validate(_upload_values(row))
