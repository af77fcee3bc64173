"""Runs that died: find the ones stuck `STARTED` and mark them failed, so they reach the dead-letter queue.

A run killed with SIGKILL, a lost worker or a Postgres outage never records its own failure: it stays
`STARTED` (or `STARTING`) forever, and its run key keeps the landing sensor from running the file again.
Under the daemon, run monitoring (dagster.yaml `run_monitoring`) ends runs past `max_runtime_seconds`;
`calcbridge process` and `calcbridge rerun` sweep at start with `sweep_dead_runs`, which fails at once a
run whose CLI process (tagged with its host and pid) is gone, and any other run past the same bound.
A swept run is an ordinary failed run: `/api/v1/dlq` lists it and `calcbridge rerun --failed` repairs it (a
run the CLI executed in process is marked as not retried: the daemon's run retries cannot re-launch it).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass

import dagster as dg

PID_TAG = "calcbridge/pid"
HOST_TAG = "calcbridge/host"
SWEPT_TAG = "calcbridge/swept"
FAILURE_REASON_TAG = "dagster/failure_reason"
WILL_RETRY_TAG = "dagster/will_retry"
SWEPT_REASON = "UNEXPECTED_TERMINATION"
"""The DLQ's `error_type` of a swept run (Dagster's own RunFailureReason for a worker that died)."""
IN_FLIGHT = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def worker_tags() -> dict[str, str]:
    """Tags naming the process that executes a run in-process, so a sweep can tell when it is gone."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def worker_gone(run: dg.DagsterRun) -> bool:
    """The run was executed by a process on this host that no longer exists (never true for other hosts)."""
    pid, host = run.tags.get(PID_TAG), run.tags.get(HOST_TAG)
    if pid is None or host != socket.gethostname() or not pid.isdigit():
        return False
    return int(pid) != os.getpid() and not _alive(int(pid))


@dataclass(frozen=True)
class SweptRun:
    """One run marked failed by a sweep, and why."""

    run_id: str
    job_name: str
    partition: str | None
    reason: str


def sweep_dead_runs(
    instance: dg.DagsterInstance, *, max_runtime_seconds: float, now: dt.datetime | None = None
) -> list[SweptRun]:
    """Mark failed every in-flight run whose worker is gone, or that has run longer than the bound."""
    moment = now or dt.datetime.now(dt.UTC)
    swept: list[SweptRun] = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=IN_FLIGHT)):
        run = record.dagster_run
        started = record.start_time or record.create_timestamp.timestamp()
        age = moment.timestamp() - started
        if worker_gone(run):
            reason = f"its process (pid {run.tags[PID_TAG]}) ended without recording a result"
        elif age > max_runtime_seconds:
            reason = f"still {run.status.value} after {age:.0f} s (bound {max_runtime_seconds:.0f} s)"
        else:
            continue
        message = f"Marked failed by the CalcBridge sweep: {reason}. Repair with `calcbridge rerun --failed`."
        instance.report_run_failed(run, message)
        tags = {SWEPT_TAG: "true", FAILURE_REASON_TAG: SWEPT_REASON}
        if run.remote_job_origin is None:  # executed in process: the daemon's run retries cannot re-launch it
            tags[WILL_RETRY_TAG] = "false"
        instance.add_run_tags(run.run_id, tags)
        swept.append(SweptRun(run.run_id, run.job_name, run.tags.get("dagster/partition"), reason))
    return swept
