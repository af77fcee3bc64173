"""Response models (with OpenAPI examples) of the probes: /healthz, /readyz, /status and /health/detailed."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SERVICE_NAME = "calcbridge-api"

ComponentStatus = Literal["healthy", "degraded", "unhealthy"]


class HealthOut(BaseModel):
    """Liveness: the process answers."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: Literal["ok"]


class ReadyOut(BaseModel):
    """Readiness: Postgres and the Dagster storage answer, and (unless disabled) every required daemon is fresh."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"status": "ready", "reason": None}, {"status": "degraded", "reason": "daemon-stale"}]
        }
    )

    status: Literal["ready", "degraded"]
    reason: Literal["postgres-unavailable", "dagster-unavailable", "daemon-stale"] | None


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
