"""Probes and telemetry without auth: /healthz, /readyz, /status, /health/detailed and /metrics.

Seed 000's /health, /health/live and /health/ready answer exactly like /healthz and /readyz.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import AsyncAdaptedQueuePool

from api.deps import AppRuntime
from api.errors import ApiError
from api.marts import covenants as covenants_tables
from api.marts.ops import uploads
from api.routers.health_schemas import (
    SERVICE_NAME,
    ComponentsOut,
    ComponentStatus,
    ConnectionPoolOut,
    DaemonHealthOut,
    DatabaseHealthOut,
    DependencyOut,
    DetailedHealthOut,
    DlqHealthOut,
    HealthOut,
    HeartbeatOut,
    ReadyOut,
    StatusModelOut,
    StatusOut,
)
from api.runtime import Runtime
from orchestration.core import dlq

router = APIRouter(tags=["health"])

NOT_READY = "Postgres or the Dagster storage is unavailable, or the Dagster daemon is stale."
DLQ_WARNING_DEPTH = 100
DLQ_ALERT_DEPTH = 500
"""Seed 000's DLQ queue-depth target (< 100) and alert threshold (> 500)."""


@dataclass(frozen=True)
class PostgresCheck:
    ok: bool
    message: str | None = None
    latency_ms: float | None = None


@dataclass(frozen=True)
class DaemonCheck:
    ok: bool
    message: str | None = None
    required: list[str] = field(default_factory=list)
    heartbeats: dict[str, HeartbeatOut] = field(default_factory=dict)


async def check_postgres(runtime: Runtime) -> PostgresCheck:
    """Run `select 1` on a pooled connection and time it."""
    started = time.perf_counter()
    try:
        async with runtime.async_engine.connect() as conn:
            await conn.execute(sa.text("select 1"))
    except (ApiError, DBAPIError, OSError) as error:
        reason = type(getattr(error, "orig", None) or error).__name__
        return PostgresCheck(ok=False, message=f"cannot reach the warehouse ({reason})")
    return PostgresCheck(ok=True, latency_ms=round((time.perf_counter() - started) * 1000, 3))


def check_dagster(runtime: Runtime) -> bool:
    """The Dagster storage answers a one-row read (the DLQ routes and the daemon checks read it)."""
    try:
        runtime.instance.get_run_records(limit=1)
    except Exception:
        return False
    return True


def check_daemon(runtime: Runtime) -> DaemonCheck:
    """Every daemon type this instance requires must have a heartbeat younger than the stale limit."""
    try:
        instance = runtime.instance
        required = sorted(instance.get_required_daemon_types())
        beats = instance.get_daemon_heartbeats()
    except Exception:
        return DaemonCheck(ok=False, message="cannot read Dagster daemon heartbeats")
    now = time.time()
    limit = runtime.settings.daemon_stale_seconds
    heartbeats = {
        daemon_type: HeartbeatOut(
            last_heartbeat_at=dt.datetime.fromtimestamp(beat.timestamp, dt.UTC),
            age_seconds=round(now - beat.timestamp, 3),
            healthy=now - beat.timestamp <= limit,
        )
        for daemon_type, beat in beats.items()
    }
    missing = [t for t in required if t not in heartbeats]
    stale = [t for t in required if t in heartbeats and not heartbeats[t].healthy]
    problems = ([f"no heartbeat from {', '.join(missing)}"] if missing else []) + (
        [f"heartbeat older than {limit:g}s from {', '.join(stale)}"] if stale else []
    )
    return DaemonCheck(ok=not problems, message="; ".join(problems) or None, required=required, heartbeats=heartbeats)


def _pool(runtime: Runtime) -> ConnectionPoolOut:
    try:
        pool = runtime.async_engine.pool
    except ApiError:
        return ConnectionPoolOut(size=0, available=0, in_use=0)
    if isinstance(pool, AsyncAdaptedQueuePool):
        in_use = pool.checkedout()
        return ConnectionPoolOut(size=pool.size(), available=max(pool.size() - in_use, 0), in_use=in_use)
    return ConnectionPoolOut(size=0, available=0, in_use=0)


def _dlq_health(runtime: Runtime) -> DlqHealthOut:
    try:
        instance = runtime.instance
        pending = dlq.count_dead_letters(instance, None)
        oldest = dlq.oldest_dead_letter(instance) if pending else None
    except Exception:
        return DlqHealthOut(status="unhealthy", pending_items=None, oldest_item_age_hours=None)
    age = None if oldest is None else round((dt.datetime.now(dt.UTC) - oldest).total_seconds() / 3600, 2)
    status: ComponentStatus = (
        "healthy" if pending < DLQ_WARNING_DEPTH else "degraded" if pending <= DLQ_ALERT_DEPTH else "unhealthy"
    )
    return DlqHealthOut(status=status, pending_items=pending, oldest_item_age_hours=age)


async def _count(runtime: Runtime, table: sa.Table) -> int | None:
    """Rows of a table over every tenant; None when Postgres or the table (a mart before dbt ran) is missing."""
    try:
        async with runtime.async_engine.connect() as conn:
            return int((await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one())
    except (ApiError, DBAPIError, OSError):
        return None


async def _active_model(runtime: Runtime) -> StatusModelOut | None:
    """The newest active breach model of any tenant, or None (no model yet, or the mart is missing)."""
    m = covenants_tables.models.c
    try:
        async with runtime.async_engine.connect() as conn:
            result = await conn.execute(
                sa.select(m.model_id, m.active_model_path)
                .where(m.is_active, m.scope == "breach")
                .order_by(m.trained_at.desc())
                .limit(1)
            )
            row = result.first()
    except (ApiError, DBAPIError, OSError):
        return None
    if row is None:
        return None
    path = Path(row.active_model_path)
    return StatusModelOut(model_id=row.model_id, model_path=path.name, is_loaded=path.is_file())


@router.get("/healthz", summary="Liveness probe")
async def healthz() -> HealthOut:
    """Always ok while the process serves requests; checks nothing else."""
    return HealthOut(status="ok")


@router.get("/health", summary="Basic health check (seed 000)")
async def health() -> HealthOut:
    """Seed 000's name for the liveness probe: the same answer as `/healthz`."""
    return HealthOut(status="ok")


@router.get("/health/live", summary="Liveness probe (seed 000)")
async def health_live() -> HealthOut:
    """Seed 000's liveness probe: the same answer as `/healthz`."""
    return HealthOut(status="ok")


@router.get(
    "/health/ready",
    summary="Readiness probe (seed 000)",
    responses={503: {"model": ReadyOut, "description": NOT_READY}},
)
async def health_ready(runtime: AppRuntime, response: Response) -> ReadyOut:
    """Seed 000's readiness probe: the same answer and status code as `/readyz`."""
    return await readyz(runtime, response)


@router.get(
    "/readyz",
    summary="Readiness probe",
    responses={503: {"model": ReadyOut, "description": NOT_READY}},
)
async def readyz(runtime: AppRuntime, response: Response) -> ReadyOut:
    """200 when Postgres and the Dagster storage answer and the daemon is fresh (unless not required), else 503."""
    if not (await check_postgres(runtime)).ok:
        response.status_code = 503
        return ReadyOut(status="degraded", reason="postgres-unavailable")
    if not await run_in_threadpool(check_dagster, runtime):
        response.status_code = 503
        return ReadyOut(status="degraded", reason="dagster-unavailable")
    if runtime.settings.require_daemon and not (await run_in_threadpool(check_daemon, runtime)).ok:
        response.status_code = 503
        return ReadyOut(status="degraded", reason="daemon-stale")
    return ReadyOut(status="ready", reason=None)


@router.get("/status", summary="Service status")
async def status(runtime: AppRuntime) -> StatusOut:
    """Dependency health and row counts; always 200 so dashboards can show what is broken."""
    pg = await check_postgres(runtime)
    daemon = await run_in_threadpool(check_daemon, runtime)
    return StatusOut(
        service=SERVICE_NAME,
        version=runtime.settings.version,
        dependencies=[
            DependencyOut(name="postgres", status="ok" if pg.ok else "error", message=pg.message),
            DependencyOut(name="dagster-daemon", status="ok" if daemon.ok else "error", message=daemon.message),
        ],
        model=await _active_model(runtime) if pg.ok else None,
        data={
            "uploads": await _count(runtime, uploads) if pg.ok else None,
            "deals": await _count(runtime, covenants_tables.deals) if pg.ok else None,
        },
    )


@router.get("/health/detailed", summary="Detailed health")
async def health_detailed(runtime: AppRuntime) -> DetailedHealthOut:
    """Database latency and pool, Dagster daemon heartbeats, and dead-letter queue depth."""
    pg = await check_postgres(runtime)
    daemon = await run_in_threadpool(check_daemon, runtime)
    dlq_health = await run_in_threadpool(_dlq_health, runtime)
    database = DatabaseHealthOut(
        status="healthy" if pg.ok else "unhealthy", latency_ms=pg.latency_ms, connection_pool=_pool(runtime)
    )
    ages = [beat.age_seconds for beat in daemon.heartbeats.values()]
    daemon_out = DaemonHealthOut(
        status="healthy" if daemon.ok else "unhealthy",
        message=daemon.message,
        required=daemon.required,
        heartbeats=daemon.heartbeats,
        last_heartbeat_age_seconds=min(ages) if ages else None,
    )
    overall: ComponentStatus = "healthy"
    if not pg.ok:
        overall = "unhealthy"
    elif not daemon.ok or dlq_health.status != "healthy":
        overall = "degraded"
    return DetailedHealthOut(
        status=overall,
        timestamp=dt.datetime.now(dt.UTC),
        version=runtime.settings.version,
        components=ComponentsOut(database=database, dagster_daemon=daemon_out, dlq=dlq_health),
    )


METRICS_EXAMPLE = (
    "# HELP calcbridge_api_requests_total HTTP requests answered.\n"
    "# TYPE calcbridge_api_requests_total counter\n"
    'calcbridge_api_requests_total{method="GET",route="/api/v1/uploads",status="200"} 42.0\n'
)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain; version=0.0.4": {"example": METRICS_EXAMPLE}}}},
)
async def metrics(runtime: AppRuntime) -> Response:
    """Request counts and latency histograms labelled by route template, method and status."""
    body, content_type = runtime.metrics.render()
    return Response(content=body, media_type=content_type)
