"""Where a launched run's steps execute: in the run's own process (default) or on Celery workers.

`CALCBRIDGE_EXECUTOR=celery` gives every job Dagster's Celery executor (dagster-celery), configured with
`CALCBRIDGE_CELERY_BROKER` and `CALCBRIDGE_CELERY_BACKEND` (default: the broker). Each step of a run is then a
Celery task that any worker (`dagster-celery worker start -A dagster_celery.app -y <config>`) may take; a
worker reaches the warehouse through DATABASE_URL, Dagster's storage through DAGSTER_PG_URL and the landed
files through the archive store (an `s3://` CALCBRIDGE_ARCHIVE_ROOT), never through the sensor host's disk.
`calcbridge process` still executes in its own process (`execute_in_process` ignores the executor).
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from orchestration.core.settings import PlatformSettings, get_settings


def celery_config(settings: PlatformSettings | None = None) -> dict[str, Any]:
    """The Celery executor's config (also a worker's `-y` file under `execution: config:`)."""
    settings = settings or get_settings()
    if not settings.celery_broker:
        raise ValueError("CALCBRIDGE_EXECUTOR=celery needs CALCBRIDGE_CELERY_BROKER (e.g. redis://host:6379/0)")
    return {"broker": settings.celery_broker, "backend": settings.celery_backend or settings.celery_broker}


def step_executor(settings: PlatformSettings | None = None) -> dg.ExecutorDefinition | None:
    """The executor the settings ask for; None keeps Dagster's default (steps in the run's own processes)."""
    settings = settings or get_settings()
    if settings.executor != "celery":
        return None
    from dagster_celery import celery_executor

    return celery_executor.configured(celery_config(settings), name="celery")


def with_step_executor(defs: dg.Definitions, settings: PlatformSettings | None = None) -> dg.Definitions:
    """`defs` with the configured executor for every job that names none (unchanged when it already has one)."""
    executor = step_executor(settings)
    if executor is None or defs.executor is not None:
        return defs
    return dg.Definitions.merge(defs, dg.Definitions(executor=executor))
