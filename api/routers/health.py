"""Probes and telemetry without auth: /healthz, /readyz, /status, /health/detailed and /metrics.

Seed 000's /health, /health/live and /health/ready answer exactly like /healthz and /readyz.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool

from api import covenants_tables, dlq
from api.deps import AppRuntime
from api.errors import ApiError
from api.runtime import Runtime
from api.tables import uploads

router = APIRouter(tags=["health"])

SERVICE_NAME = "calcbridge-api"
DLQ_WARNING_DEPTH = 100
DLQ_ALERT_DEPTH = 500
"""Seed 000's DLQ queue-depth target (< 100) and alert threshold (> 500)."""

ComponentStatus = Literal["healthy", "degraded", "unhealthy"]


class HealthOut(BaseModel):
    """Liveness: the process answers."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: Literal["ok"]


class ReadyOut(BaseModel):
    """Readiness: Postgres answers and (unless disabled) every required Dagster daemon has a fresh heartbeat."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"status": "ready", "reason": None}, {"status": "degraded", "reason": "daemon-stale"}]
        }
    )

    status: Literal["ready", "degraded"]
    reason: Literal["postgres-unavailable", "daemon-stale"] | None


class DependencyOut(BaseModel):
    """One dependency's health in /status."""

    name: Literal["postgres", "dagster-daemon"]
    status: Literal["ok", "error"]
    message: str | None


class StatusModelOut(BaseModel):
    """Seed 001's `model` block: the newest active breach model (`/api/v1/ml/models/active` has the tenant's own)."""

    model_id: str
    model_path: str = Field(description="The file's name in the model store (never a server path).")
    is_loaded: bool = Field(description="The active model file is present where the registry says.")


class StatusOut(BaseModel):
    """Service, version, dependency health and row counts (seed 001's /status)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "service": SERVICE_NAME,
                    "version": "0.1.0",
                    "dependencies": [
                        {"name": "postgres", "status": "ok", "message": None},
                        {"name": "dagster-daemon", "status": "error", "message": "no heartbeat from SENSOR"},
                    ],
                    "model": {"model_id": "model-2026-01-25-103000", "model_path": "active.ubj", "is_loaded": True},
                    "data": {"uploads": 42, "deals": 50},
                }
            ]
        }
    )

    service: str
    version: str
    dependencies: list[DependencyOut]
    model: StatusModelOut | None = Field(
        description="The newest active breach model (seed 001); null before any model is trained or without Postgres."
    )
    data: dict[str, int | None] = Field(description="Row counts over every tenant: uploads and covenant deals.")


class ConnectionPoolOut(BaseModel):
    size: int
    available: int
    in_use: int


class DatabaseHealthOut(BaseModel):
    status: ComponentStatus
    latency_ms: float | None
    connection_pool: ConnectionPoolOut


class HeartbeatOut(BaseModel):
    last_heartbeat_at: dt.datetime
    age_seconds: float
    healthy: bool


class DaemonHealthOut(BaseModel):
    status: ComponentStatus
    message: str | None
    required: list[str]
    heartbeats: dict[str, HeartbeatOut]
    last_heartbeat_age_seconds: float | None


class DlqHealthOut(BaseModel):
    status: ComponentStatus
    pending_items: int | None
    oldest_item_age_hours: float | None


class ComponentsOut(BaseModel):
    database: DatabaseHealthOut
    dagster_daemon: DaemonHealthOut
    dlq: DlqHealthOut


class DetailedHealthOut(BaseModel):
    """Seed 000's detailed health, with the Dagster daemon in place of Celery."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "healthy",
                    "timestamp": "2026-01-25T10:50:00Z",
                    "version": "0.1.0",
                    "components": {
                        "database": {
                            "status": "healthy",
                            "latency_ms": 0.8,
                            "connection_pool": {"size": 10, "available": 9, "in_use": 1},
                        },
                        "dagster_daemon": {
                            "status": "healthy",
                            "message": None,
                            "required": ["SENSOR", "SCHEDULER"],
                            "heartbeats": {
                                "SENSOR": {
                                    "last_heartbeat_at": "2026-01-25T10:49:55Z",
                                    "age_seconds": 5.0,
                                    "healthy": True,
                                }
                            },
                            "last_heartbeat_age_seconds": 5.0,
                        },
                        "dlq": {"status": "healthy", "pending_items": 3, "oldest_item_age_hours": 2.0},
                    },
                }
            ]
        }
    )

    status: ComponentStatus
    timestamp: dt.datetime
    version: str
    components: ComponentsOut


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


def check_postgres(runtime: Runtime) -> PostgresCheck:
    """Run `select 1` on a pooled connection and time it."""
    started = time.perf_counter()
    try:
        with runtime.engine.connect() as conn:
            conn.execute(sa.text("select 1"))
    except (ApiError, DBAPIError) as error:
        reason = type(getattr(error, "orig", None) or error).__name__
        return PostgresCheck(ok=False, message=f"cannot reach the warehouse ({reason})")
    return PostgresCheck(ok=True, latency_ms=round((time.perf_counter() - started) * 1000, 3))


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
        pool = runtime.engine.pool
    except ApiError:
        return ConnectionPoolOut(size=0, available=0, in_use=0)
    if isinstance(pool, QueuePool):
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


def _count(runtime: Runtime, table: sa.Table) -> int | None:
    """Rows of a table over every tenant; None when Postgres or the table (a mart before dbt ran) is missing."""
    try:
        with runtime.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
    except (ApiError, DBAPIError):
        return None


def _active_model(runtime: Runtime) -> StatusModelOut | None:
    """The newest active breach model of any tenant, or None (no model yet, or the mart is missing)."""
    m = covenants_tables.models.c
    try:
        with runtime.engine.connect() as conn:
            row = conn.execute(
                sa.select(m.model_id, m.active_model_path)
                .where(m.is_active, m.scope == "breach")
                .order_by(m.trained_at.desc())
                .limit(1)
            ).first()
    except (ApiError, DBAPIError):
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
    responses={503: {"model": ReadyOut, "description": "Postgres is unavailable or the Dagster daemon is stale."}},
)
def health_ready(runtime: AppRuntime, response: Response) -> ReadyOut:
    """Seed 000's readiness probe: the same answer and status code as `/readyz`."""
    return readyz(runtime, response)


@router.get(
    "/readyz",
    summary="Readiness probe",
    responses={503: {"model": ReadyOut, "description": "Postgres is unavailable or the Dagster daemon is stale."}},
)
def readyz(runtime: AppRuntime, response: Response) -> ReadyOut:
    """200 when Postgres answers and the daemon's heartbeats are fresh (unless require_daemon is off), else 503."""
    if not check_postgres(runtime).ok:
        response.status_code = 503
        return ReadyOut(status="degraded", reason="postgres-unavailable")
    if runtime.settings.require_daemon and not check_daemon(runtime).ok:
        response.status_code = 503
        return ReadyOut(status="degraded", reason="daemon-stale")
    return ReadyOut(status="ready", reason=None)


@router.get("/status", summary="Service status")
def status(runtime: AppRuntime) -> StatusOut:
    """Dependency health and row counts; always 200 so dashboards can show what is broken."""
    pg = check_postgres(runtime)
    daemon = check_daemon(runtime)
    return StatusOut(
        service=SERVICE_NAME,
        version=runtime.settings.version,
        dependencies=[
            DependencyOut(name="postgres", status="ok" if pg.ok else "error", message=pg.message),
            DependencyOut(name="dagster-daemon", status="ok" if daemon.ok else "error", message=daemon.message),
        ],
        model=_active_model(runtime) if pg.ok else None,
        data={
            "uploads": _count(runtime, uploads) if pg.ok else None,
            "deals": _count(runtime, covenants_tables.deals) if pg.ok else None,
        },
    )


@router.get("/health/detailed", summary="Detailed health")
def health_detailed(runtime: AppRuntime) -> DetailedHealthOut:
    """Database latency and pool, Dagster daemon heartbeats, and dead-letter queue depth."""
    pg = check_postgres(runtime)
    daemon = check_daemon(runtime)
    dlq_health = _dlq_health(runtime)
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
