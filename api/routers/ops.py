"""`/api/v1/dlq`: the caller's dead-letter queue (Dagster runs that failed and will not be retried)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Caller, Instance, requires
from api.domains import Domain
from api.errors import error_responses, not_found
from api.pagination import Cursor, Page, PageInfo, PageQuery, decode_cursor, encode_cursor, invalid_cursor
from orchestration.core import dlq

router = APIRouter(prefix="/dlq", tags=["dlq"], dependencies=[requires("read:dlq")])

RUN_ID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
DlqSort = Literal["created_at"]

DLQ_ITEM_EXAMPLE: dict[str, Any] = {
    "id": "5f0c7a2e-2b1d-4c3a-9e8f-1a2b3c4d5e6f",
    "task_type": "asset",
    "task_id": "5f0c7a2e-2b1d-4c3a-9e8f-1a2b3c4d5e6f",
    "partition": "acme.9f86d081884c7d65",
    "created_at": "2026-01-25T10:30:00Z",
    "failed_at": "2026-01-25T10:30:45Z",
    "retry_count": 0,
    "max_retries": 2,
    "error_type": "WORKBOOK_INVALID_FORMAT",
    "error_message": "WORKBOOK_INVALID_FORMAT: Invalid Excel format in sheet 'Holdings' (at acme/clo/holdings.xlsx)",
    "error_traceback": "dagster._core.definitions.events.Failure: ...\n\nStack Trace:\n  ...",
    "task_args": {
        "tenant_id": "acme",
        "partition": "acme.9f86d081884c7d65",
        "job_name": "clo_landing_job",
        "domain": "clo",
    },
    "status": "failed",
}


class DlqItemOut(BaseModel):
    """A failed run that will not be retried: what ran, for which partition, and why it failed."""

    model_config = ConfigDict(json_schema_extra={"examples": [DLQ_ITEM_EXAMPLE]})

    id: str
    task_type: Literal["asset", "job"]
    task_id: str
    partition: str | None
    created_at: dt.datetime
    failed_at: dt.datetime | None
    retry_count: int
    max_retries: int
    error_type: str
    error_message: str
    error_traceback: str | None
    task_args: dict[str, str | None]
    status: Literal["failed", "resolved"] = Field(
        description="`resolved` once a later run of the same job and partition succeeded (e.g. a re-run)."
    )


class DlqStatsOut(BaseModel):
    """Counts over the caller's whole dead-letter queue."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "total": 5,
                    "by_type": {"asset": 4, "job": 1},
                    "by_domain": {"clo": 3, "equity": 2},
                    "oldest": "2026-01-24T08:00:00Z",
                }
            ]
        }
    )

    total: int
    by_type: dict[str, int]
    by_domain: dict[str, int]
    oldest: dt.datetime | None


def _item(item: dlq.DeadLetter) -> DlqItemOut:
    return DlqItemOut.model_validate(dataclasses.asdict(item))


@router.get("", summary="List dead-letter items", responses=error_responses(401, 403, 422, 429, 503))
def list_dead_letters(
    instance: Instance,
    caller: Caller,
    page: PageQuery,
    sort: Annotated[DlqSort, Query(description="Runs are ordered by creation.")] = "created_at",
    domain: Annotated[Domain | None, Query(description="Only runs of this landing domain.")] = None,
) -> Page[DlqItemOut]:
    """The caller's failed runs that will not be retried, newest first by default."""
    after: str | None = None
    if page.cursor:
        after = decode_cursor(page.cursor, sort=sort, order=page.order, kind=None).id
        if not RUN_ID_PATTERN.match(after):
            raise invalid_cursor("cursor is not one this API issued")
    records, has_more = dlq.scan_dead_letters(
        instance, caller.tenant_id, domain, after=after, ascending=page.order == "asc", limit=page.limit
    )
    total = dlq.count_dead_letters(instance, caller.tenant_id, domain)
    cursor = None
    if has_more:
        last = records[-1].dagster_run.run_id
        cursor = encode_cursor(Cursor(sort=sort, order=page.order, value=None, id=last))
    data = [_item(item) for item in dlq.dead_letters(instance, records)]
    return Page[DlqItemOut](data=data, pagination=PageInfo(cursor=cursor, has_more=has_more, total_count=total))


@router.get("/stats", summary="Dead-letter statistics", responses=error_responses(401, 403, 429, 503))
def dead_letter_stats(instance: Instance, caller: Caller) -> DlqStatsOut:
    """Total, counts by task type and domain, and the oldest item of the caller's queue."""
    stats = dlq.dead_letter_stats(instance, caller.tenant_id)
    return DlqStatsOut.model_validate(dataclasses.asdict(stats))


@router.get("/{item_id}", summary="Get one dead-letter item", responses=error_responses(401, 403, 404, 429, 503))
def get_dead_letter(
    instance: Instance,
    caller: Caller,
    item_id: Annotated[str, Path(max_length=64, description="The item id (the Dagster run id).")],
) -> DlqItemOut:
    """One dead-letter item; a run of another tenant, or one that did not fail for good, is 404."""
    record = dlq.find_dead_letter(instance, item_id, caller.tenant_id) if RUN_ID_PATTERN.match(item_id) else None
    if record is None:
        raise not_found("dead-letter item", item_id)
    return _item(dlq.dead_letter(instance, record))
