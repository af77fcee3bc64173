"""The dead-letter queue read from Dagster: failed runs that will not be retried, with their error.

Only public `DagsterInstance` methods are used (run records, run counts, a run's event log). Shared by the API
(`/api/v1/dlq` serves `DeadLetter` items) and the ops sensor that announces each new item as `dlq.item_added`
(`item_payload`: the item exactly as the API serves it), so the two can never disagree on an item's shape.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import dagster as dg
from pydantic_core import to_jsonable_python

from orchestration.core.settings import PROJECT_ROOT

WILL_RETRY_TAG = "dagster/will_retry"
RETRY_NUMBER_TAG = "dagster/retry_number"
PARTITION_TAG = "dagster/partition"
FAILURE_REASON_TAG = "dagster/failure_reason"
TENANT_TAG = "tenant"
DOMAIN_TAG = "domain"

TRACEBACK_LIMIT = 4000
SCAN_BATCH = 200
FAILURE_EVENTS = {dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RUN_FAILURE}


def dead_letter_filter(tenant: str | None, domain: str | None = None, *, will_retry: bool = False) -> dg.RunsFilter:
    """Failed runs of a tenant (every tenant when None), optionally only those Dagster will retry."""
    tags: dict[str, str] = {}
    if tenant is not None:
        tags[TENANT_TAG] = tenant
    if domain is not None:
        tags[DOMAIN_TAG] = domain
    if will_retry:
        tags[WILL_RETRY_TAG] = "true"
    return dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE], tags=tags)


def is_dead_letter(run: dg.DagsterRun) -> bool:
    """Failed for good: run retries will not pick it up again."""
    return run.status == dg.DagsterRunStatus.FAILURE and run.tags.get(WILL_RETRY_TAG) != "true"


def count_dead_letters(instance: dg.DagsterInstance, tenant: str | None, domain: str | None = None) -> int:
    """Failed runs minus the failed runs waiting for a retry (run filters match tags by equality only)."""
    failed = instance.get_runs_count(dead_letter_filter(tenant, domain))
    retrying = instance.get_runs_count(dead_letter_filter(tenant, domain, will_retry=True))
    return failed - retrying


def scan_dead_letters(
    instance: dg.DagsterInstance,
    tenant: str | None,
    domain: str | None = None,
    *,
    after: str | None = None,
    ascending: bool = False,
    limit: int | None = None,
) -> tuple[list[dg.RunRecord], bool]:
    """Dead-letter run records in creation order after run `after`; with `limit`, also whether more follow."""
    records: list[dg.RunRecord] = []
    batch_size = SCAN_BATCH if limit is None else limit + 1
    cursor = after
    while True:
        batch = instance.get_run_records(
            filters=dead_letter_filter(tenant, domain), limit=batch_size, cursor=cursor, ascending=ascending
        )
        records.extend(r for r in batch if is_dead_letter(r.dagster_run))
        if limit is not None and len(records) > limit:
            return records[:limit], True
        if len(batch) < batch_size:
            return records, False
        cursor = batch[-1].dagster_run.run_id


@dataclass(frozen=True)
class FailureInfo:
    """What went wrong in a run, from its first step failure (or the run failure when no step failed)."""

    error_type: str
    message: str
    traceback: str | None
    failed_at: dt.datetime | None


def _unwrap(error: Any) -> Any:
    """Dagster wraps user exceptions in *ExecutionError; the user's own exception is the cause."""
    while error is not None and error.cause is not None and str(error.cls_name or "").startswith("Dagster"):
        error = error.cause
    return error


def _message(error: Any) -> str:
    """The exception message without the `module.ClassName: ` prefix of `format_exception_only`."""
    text = str(error.message).strip()
    head, sep, rest = text.partition(": ")
    if sep and error.cls_name and head.split(".")[-1] == error.cls_name:
        return rest.strip()
    return text


_FRAME_FILE = re.compile(r'File "([^"]+)"')
_LIBRARY_ROOTS = ("site-packages/", "dist-packages/")


def relative_frame_path(path: str) -> str:
    """A traceback frame's file without the server's layout: project-relative, `<site-packages>/…` or a name."""
    for root in _LIBRARY_ROOTS:
        if root in path:
            return f"<{root[:-1]}>/{path.split(root, 1)[1]}"
    if path.startswith(str(PROJECT_ROOT) + "/"):
        return path[len(str(PROJECT_ROOT)) + 1 :]
    if re.search(r"/lib/python3\.\d+/", path):
        return "<stdlib>/" + re.split(r"/lib/python3\.\d+/", path, maxsplit=1)[1]
    return PurePosixPath(path).name if path.startswith("/") else path


def scrub_paths(text: str) -> str:
    """A traceback with every frame's absolute path made relative (no server paths leave the API)."""
    return _FRAME_FILE.sub(lambda m: f'File "{relative_frame_path(m.group(1))}"', text)


def _truncate(text: str) -> str:
    """Keep the end of a long traceback: the frames nearest the failure."""
    if len(text) <= TRACEBACK_LIMIT:
        return text
    marker = "...[truncated]\n"
    return marker + text[-(TRACEBACK_LIMIT - len(marker)) :]


def _error_code(event: Any) -> str | None:
    """The typed input-error code that orchestration attaches to dg.Failure metadata, if any."""
    user_data = getattr(event.event_specific_data, "user_failure_data", None)
    if user_data is None:
        return None
    code = (user_data.metadata or {}).get("error_code")
    return None if code is None else str(getattr(code, "value", code))


def describe_failure(instance: dg.DagsterInstance, run: dg.DagsterRun) -> FailureInfo:
    """Error type (typed code when the failure carries one, else the exception class), message and traceback."""
    entries = instance.all_logs(run.run_id, of_type=FAILURE_EVENTS)
    steps = [e for e in entries if e.dagster_event is not None and e.dagster_event.is_step_failure]
    runs = [e for e in entries if e.dagster_event is not None and e.dagster_event.is_run_failure]
    failed_at = dt.datetime.fromtimestamp(runs[-1].timestamp, dt.UTC) if runs else None
    entry = steps[0] if steps else (runs[-1] if runs else None)
    if entry is None or entry.dagster_event is None:
        reason = run.tags.get(FAILURE_REASON_TAG, "RUN_FAILURE")
        return FailureInfo(reason, "the run failed without a recorded failure event", None, failed_at)
    event = entry.dagster_event
    error = _unwrap(getattr(event.event_specific_data, "error", None))
    code = _error_code(event)
    if error is None:
        reason = code or run.tags.get(FAILURE_REASON_TAG, "RUN_FAILURE")
        return FailureInfo(reason, entry.message or "the run failed", None, failed_at)
    error_type = code or str(error.cls_name or run.tags.get(FAILURE_REASON_TAG, "RUN_FAILURE"))
    return FailureInfo(error_type, _message(error), _truncate(scrub_paths(error.to_string())), failed_at)


def targets_assets(instance: dg.DagsterInstance, run: dg.DagsterRun) -> bool:
    """A run that planned asset materializations targets assets; anything else is a plain op job."""
    planned = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED, limit=1
    )
    return bool(planned.records)


@dataclass(frozen=True)
class DeadLetter:
    """One dead-letter item, in seed 000's DLQ fields."""

    id: str
    task_type: str
    task_id: str
    partition: str | None
    created_at: dt.datetime
    failed_at: dt.datetime | None
    retry_count: int
    max_retries: int
    error_type: str
    error_message: str
    error_traceback: str | None
    task_args: dict[str, str | None] = field(default_factory=dict)
    status: str = "failed"


def _utc(value: dt.datetime | float | None) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromtimestamp(value, dt.UTC)


def is_resolved(instance: dg.DagsterInstance, record: dg.RunRecord) -> bool:
    """Repaired since it failed (seed 000 `resolved`), e.g. by an analyst's re-run.

    Every asset the run planned has been materialized for its partition since; for op jobs, a later
    run of the job succeeded.
    """
    run = record.dagster_run
    created = record.create_timestamp.timestamp()
    partition = run.tags.get(PARTITION_TAG)
    planned = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
    keys = {r.event_log_entry.dagster_event.asset_key for r in planned.records if r.event_log_entry.dagster_event}
    if keys:
        return all(
            instance.fetch_materializations(
                dg.AssetRecordsFilter(
                    asset_key=key, asset_partitions=[partition] if partition else None, after_timestamp=created
                ),
                limit=1,
            ).records
            for key in keys
            if key is not None
        )
    tags = {key: run.tags[key] for key in (PARTITION_TAG, TENANT_TAG) if key in run.tags}
    later = dg.RunsFilter(
        job_name=run.job_name, statuses=[dg.DagsterRunStatus.SUCCESS], tags=tags, created_after=record.create_timestamp
    )
    return instance.get_runs_count(later) > 0


def dead_letter(instance: dg.DagsterInstance, record: dg.RunRecord) -> DeadLetter:
    """Build the item for one dead-letter run record."""
    run = record.dagster_run
    failure = describe_failure(instance, run)
    created_at = _utc(record.create_timestamp)
    assert created_at is not None
    try:
        retry_count = int(run.tags.get(RETRY_NUMBER_TAG, "0"))
    except ValueError:
        retry_count = 0
    partition = run.tags.get(PARTITION_TAG)
    return DeadLetter(
        id=run.run_id,
        task_type="asset" if targets_assets(instance, run) else "job",
        task_id=run.run_id,
        partition=partition,
        created_at=created_at,
        failed_at=failure.failed_at or _utc(record.end_time) or _utc(record.update_timestamp),
        retry_count=retry_count,
        max_retries=instance.run_retries_max_retries,
        error_type=failure.error_type,
        error_message=failure.message,
        error_traceback=failure.traceback,
        task_args={
            "tenant_id": run.tags.get(TENANT_TAG),
            "partition": partition,
            "job_name": run.job_name,
            "domain": run.tags.get(DOMAIN_TAG),
        },
        status="resolved" if is_resolved(instance, record) else "failed",
    )


@dataclass(frozen=True)
class DeadLetterStats:
    """Counts over a tenant's whole dead-letter queue."""

    total: int
    by_type: dict[str, int]
    by_domain: dict[str, int]
    oldest: dt.datetime | None


def dead_letter_stats(instance: dg.DagsterInstance, tenant: str | None) -> DeadLetterStats:
    """Total, counts by task type and by domain, and the oldest item's creation time."""
    records, _ = scan_dead_letters(instance, tenant, ascending=True)
    by_type = Counter("asset" if targets_assets(instance, r.dagster_run) else "job" for r in records)
    by_domain = Counter(r.dagster_run.tags.get(DOMAIN_TAG, "unknown") for r in records)
    oldest = _utc(records[0].create_timestamp) if records else None
    return DeadLetterStats(total=len(records), by_type=dict(by_type), by_domain=dict(by_domain), oldest=oldest)


def oldest_dead_letter(instance: dg.DagsterInstance, tenant: str | None = None) -> dt.datetime | None:
    """Creation time of the oldest dead-letter run."""
    records, _ = scan_dead_letters(instance, tenant, ascending=True, limit=1)
    return _utc(records[0].create_timestamp) if records else None


def find_dead_letter(instance: dg.DagsterInstance, run_id: str, tenant: str) -> dg.RunRecord | None:
    """The run's record when it is a dead letter of `tenant`; None otherwise (unknown, other tenant, not failed)."""
    record = instance.get_run_record_by_id(run_id)
    if record is None or record.dagster_run.tags.get(TENANT_TAG) != tenant:
        return None
    return record if is_dead_letter(record.dagster_run) else None


def dead_letters(instance: dg.DagsterInstance, records: Sequence[dg.RunRecord]) -> list[DeadLetter]:
    return [dead_letter(instance, r) for r in records]


def item_payload(item: DeadLetter) -> dict[str, Any]:
    """The item as JSON, in the API's serialization (pydantic's: UTC datetimes with `Z`)."""
    return dict(to_jsonable_python(dataclasses.asdict(item)))
