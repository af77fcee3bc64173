"""Probes, status, detailed health and metrics against the real Postgres and Dagster instance."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.metrics import REQUEST_DURATION, REQUESTS_TOTAL


def add_heartbeats(instance: dg.DagsterInstance, age_seconds: float = 0.0) -> None:
    """Record a heartbeat for every daemon type the instance requires, as a running dagster-daemon does."""
    # No public constructor exists for heartbeats; only the test writes them, the API only reads them.
    from dagster._daemon.types import DaemonHeartbeat

    for daemon_type in instance.get_required_daemon_types():
        instance.add_daemon_heartbeat(DaemonHeartbeat(time.time() - age_seconds, daemon_type, "api-tests", None))


@pytest.fixture
def no_heartbeats(platform: Any) -> Iterator[dg.DagsterInstance]:
    platform.instance.wipe_daemon_heartbeats()
    yield platform.instance
    platform.instance.wipe_daemon_heartbeats()


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/health", "/health/live"])
def test_seed_000_liveness_names(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_seed_000_readiness_name_follows_readyz(
    make_client: Callable[..., TestClient], no_heartbeats: dg.DagsterInstance
) -> None:
    client = make_client(require_daemon=True, daemon_stale_seconds=60)
    stale = client.get("/health/ready")
    assert (stale.status_code, stale.json()) == (503, {"status": "degraded", "reason": "daemon-stale"})
    add_heartbeats(no_heartbeats)
    assert client.get("/health/ready").json() == client.get("/readyz").json() == {"status": "ready", "reason": None}


def test_readyz_follows_the_daemon_heartbeat(
    make_client: Callable[..., TestClient], no_heartbeats: dg.DagsterInstance
) -> None:
    client = make_client(require_daemon=True, daemon_stale_seconds=60)
    stale = client.get("/readyz")
    assert stale.status_code == 503
    assert stale.json() == {"status": "degraded", "reason": "daemon-stale"}
    add_heartbeats(no_heartbeats, age_seconds=600)
    assert client.get("/readyz").json()["reason"] == "daemon-stale"
    add_heartbeats(no_heartbeats)
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "reason": None}


def test_readyz_without_daemon_requirement(client: TestClient, no_heartbeats: dg.DagsterInstance) -> None:
    assert client.get("/readyz").json() == {"status": "ready", "reason": None}


def test_readyz_with_postgres_down(make_client: Callable[..., TestClient], tmp_path: Path) -> None:
    dead = f"postgresql+psycopg://postgres@/calcbridge?host={tmp_path}"
    client = make_client(database_url=dead, require_daemon=True)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "reason": "postgres-unavailable"}
    status = client.get("/status").json()
    postgres = next(d for d in status["dependencies"] if d["name"] == "postgres")
    assert postgres["status"] == "error"
    assert status["data"] == {"uploads": None, "deals": None}
    assert status["model"] is None
    assert client.get("/health/ready").status_code == 503
    detailed = client.get("/health/detailed").json()
    assert detailed["status"] == "unhealthy"
    assert detailed["components"]["database"]["status"] == "unhealthy"


def test_status_shape(client: TestClient, uploads_rows: Any, no_heartbeats: dg.DagsterInstance) -> None:
    add_heartbeats(no_heartbeats)
    body = client.get("/status").json()
    assert body["service"] == "calcbridge-api"
    assert body["version"]
    assert body["dependencies"] == [
        {"name": "postgres", "status": "ok", "message": None},
        {"name": "dagster-daemon", "status": "ok", "message": None},
    ]
    assert body["data"]["uploads"] >= sum(len(rows) for rows in uploads_rows.values())


def test_status_has_seed_001_model_and_deals(client: TestClient, platform: Any) -> None:
    """`data.deals` counts marts.covenant_deals; `model` is the newest active breach model, by file name only."""
    with platform.warehouse.connect() as conn:
        built = conn.execute(sa.text("select to_regclass('marts.covenant_deals') is not null")).scalar_one()
        deals = conn.execute(sa.text("select count(*) from marts.covenant_deals")).scalar_one() if built else None
        active = (
            conn.execute(
                sa.text(
                    "select model_id from marts.breach_models where is_active and scope = 'breach' "
                    "order by trained_at desc limit 1"
                )
            ).scalar()
            if conn.execute(sa.text("select to_regclass('marts.breach_models') is not null")).scalar_one()
            else None
        )
    body = client.get("/status").json()
    assert body["data"]["deals"] == deals
    if active is None:
        assert body["model"] is None
    else:
        assert (body["model"]["model_id"], body["model"]["model_path"]) == (active, "active.ubj")


def test_detailed_health_shape(client: TestClient, no_heartbeats: dg.DagsterInstance) -> None:
    body = client.get("/health/detailed").json()
    assert set(body) == {"status", "timestamp", "version", "components"}
    assert body["status"] == "degraded"
    components = body["components"]
    database = components["database"]
    assert database["status"] == "healthy"
    assert database["latency_ms"] >= 0
    assert set(database["connection_pool"]) == {"size", "available", "in_use"}
    daemon = components["dagster_daemon"]
    assert daemon["status"] == "unhealthy"
    assert "no heartbeat" in daemon["message"]
    assert daemon["required"]
    assert set(components["dlq"]) == {"status", "pending_items", "oldest_item_age_hours"}
    add_heartbeats(no_heartbeats)
    daemon = client.get("/health/detailed").json()["components"]["dagster_daemon"]
    assert daemon["status"] == "healthy"
    assert set(daemon["heartbeats"]) == set(daemon["required"])
    assert daemon["last_heartbeat_age_seconds"] < 60


def test_metrics_by_route_template(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    client.get("/healthz")
    client.get("/api/v1/uploads/upl_one")
    client.get("/api/v1/uploads/upl_two")
    client.post("/api/v1/uploads")
    client.get("/no/such/route")
    text = client.get("/metrics").text
    assert f"# TYPE {REQUESTS_TOTAL} counter" in text
    assert f"# TYPE {REQUEST_DURATION} histogram" in text
    assert f'{REQUESTS_TOTAL}{{method="GET",route="/healthz",status="200"}} 1.0' in text
    assert f'{REQUESTS_TOTAL}{{method="GET",route="/api/v1/uploads/{{upload_id}}",status="401"}} 2.0' in text
    assert f'{REQUESTS_TOTAL}{{method="POST",route="/api/v1/uploads",status="405"}} 1.0' in text
    assert f'{REQUESTS_TOTAL}{{method="GET",route="<unmatched>",status="404"}} 1.0' in text
    assert "upl_one" not in text
