"""Outages answer 503 SERVICE_UNAVAILABLE with Retry-After, in the envelope: a statement the statement timeout
cut, a Dagster storage that cannot be reached, dagster-postgres giving up. Stopping Postgres under a running
server is tests/e2e/test_outage.py."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from dagster_postgres.utils import wait_for_connection
from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.conftest import Tenants
from tests.api.helpers import api_settings, assert_envelope, bearer, make_token

DLQ = "/api/v1/dlq"
UNKNOWN_RUN = "00000000-0000-4000-8000-000000000000"


def assert_unavailable(response: Any) -> None:
    assert_envelope(response, 503, "SERVICE_UNAVAILABLE")
    assert int(response.headers["Retry-After"]) > 0


@pytest.fixture
def dead_dagster_storage(platform: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[TestClient]:
    """An app on the session's warehouse that opens its own Dagster instance where no server listens."""
    monkeypatch.setenv("DAGSTER_PG_URL", f"postgresql+psycopg2://postgres@/calcbridge_dagster?host={tmp_path}")
    with TestClient(create_app(api_settings())) as client:
        yield client


def test_a_statement_cut_by_the_statement_timeout_is_503(
    make_client: Callable[..., TestClient], platform: Any, uploads_rows: Any, tenants: Tenants
) -> None:
    """asyncpg's QueryCanceledError (SQLSTATE 57014) reaches the handler as a plain DBAPIError: it was a 500."""
    client = make_client(statement_timeout_ms=300)
    token = make_token(tenants.a, permissions=["read:uploads"])
    with platform.warehouse.connect() as holder:
        holder.execute(sa.text("lock table marts.uploads in access exclusive mode"))
        response = client.get("/api/v1/uploads", headers=bearer(token))
        holder.rollback()
    assert_unavailable(response)
    assert client.get("/api/v1/uploads", headers=bearer(token)).status_code == 200


def test_dagster_postgres_giving_up_is_503(platform: Any, tmp_path: Path) -> None:
    """What dagster-postgres raises after its connect retries (DagsterPostgresException) is not a 500."""
    app = create_app(api_settings(), instance=platform.instance)
    dead = f"postgresql+psycopg2://postgres@/calcbridge_dagster?host={tmp_path}"

    @app.get("/api/v1/test-only/dagster-storage")
    def read_storage() -> None:
        wait_for_connection(dead, retry_limit=0)

    with TestClient(app) as client:
        assert_unavailable(client.get("/api/v1/test-only/dagster-storage"))


def test_dlq_answers_503_at_once_while_the_dagster_storage_is_unreachable(
    dead_dagster_storage: TestClient, tenants: Tenants, uploads_rows: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Each DLQ route is 503 after one connect attempt: dagster-postgres's retry loop (five tries with backoff,
    about 11 s per storage call) is not entered. The warehouse routes still answer."""
    token = make_token(tenants.a, roles=["admin"])
    with caplog.at_level(logging.WARNING):
        for path in (DLQ, f"{DLQ}/stats", f"{DLQ}/{UNKNOWN_RUN}"):
            assert_unavailable(dead_dagster_storage.get(path, headers=bearer(token)))
    retries = [r.getMessage() for r in caplog.records if "Retrying failed database connection" in r.getMessage()]
    assert not retries, retries
    assert dead_dagster_storage.get("/api/v1/uploads", headers=bearer(token)).status_code == 200


def test_readyz_is_503_while_the_dagster_storage_is_unreachable(dead_dagster_storage: TestClient) -> None:
    """The warehouse answers, but the DLQ routes cannot: not ready (the liveness probe is unaffected)."""
    response = dead_dagster_storage.get("/readyz")
    assert (response.status_code, response.json()) == (503, {"status": "degraded", "reason": "dagster-unavailable"})
    assert dead_dagster_storage.get("/healthz").status_code == 200
    status = dead_dagster_storage.get("/status")
    assert status.status_code == 200
    dependencies = {d["name"]: d["status"] for d in status.json()["dependencies"]}
    assert dependencies == {"postgres": "ok", "dagster-daemon": "error"}
