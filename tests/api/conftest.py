"""API fixtures: a test app on the session's real Postgres and Dagster instance, uploads rows, keys and tokens."""

from __future__ import annotations

import hashlib
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import dagster as dg
import pandas as pd
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from api.keys import create_api_key, revoke_api_key
from api.main import create_app
from orchestration.core.schema import landed_files, landing_log
from orchestration.core.warehouse import replace_partition
from tests.api.helpers import ROWS_A, ROWS_B, api_settings, upload_row

with warnings.catch_warnings():
    # Starlette 1.x nudges TestClient users towards httpx2; the lock file provides httpx, which works.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@dataclass(frozen=True)
class Tenants:
    """Tenant ids unique to this session, so rows and runs from other test packages never mix in."""

    a: str
    b: str


@pytest.fixture(scope="session")
def tenants() -> Tenants:
    suffix = uuid.uuid4().hex[:6]
    return Tenants(a=f"acme-{suffix}", b=f"globex-{suffix}")


@pytest.fixture(scope="session")
def make_client(platform: Any) -> Iterator[Callable[..., TestClient]]:
    """Build extra apps with other settings; all are closed when the session ends."""
    clients: list[TestClient] = []

    def build(instance: dg.DagsterInstance | None = None, **overrides: Any) -> TestClient:
        app: FastAPI = create_app(api_settings(**overrides), instance=instance or platform.instance)
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture(scope="session")
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


def _land_row(engine: Engine, row: dict[str, Any]) -> None:
    """Write one row where the pipeline writes it: an accepted file into raw.<domain>_landed_files, a
    rejected one into ops.landing_log (then its upload_id is known)."""
    if row["status"] == "accepted":
        frame = pd.DataFrame(
            [
                {
                    "domain": row["domain"],
                    "file_name": row["file_name"],
                    "sha256": row["sha256"],
                    "size_bytes": row["size_bytes"],
                    "landed_at": row["landed_at"],
                    "archive_path": f"/archive/{row['sha256']}",
                    "sidecar": {"name": row["display_name"], "tags": row["tags"]},
                    "status": "accepted",
                }
            ]
        )
        replace_partition(
            engine, landed_files[row["domain"]], frame, tenant_id=row["tenant_id"], partition_key=row["partition_key"]
        )
        return
    insert = landing_log.insert().values(
        tenant_id=row["tenant_id"],
        domain=row["domain"],
        relative_path=f"{row['tenant_id']}/{row['domain']}/{row['landed_at'].isoformat()}/{row['file_name']}",
        file_name=row["file_name"],
        status="rejected",
        reason_code=row["reason_code"],
        reason=row["reason"],
        size_bytes=row["size_bytes"],
        landed_at=row["landed_at"],
    )
    with engine.begin() as conn:
        landing_id = conn.execute(insert.returning(landing_log.c.landing_id)).scalar_one()
    row["upload_id"] = str(uuid.UUID(hashlib.md5(f"rejected:{landing_id}".encode()).hexdigest()))


@pytest.fixture(scope="session")
def uploads_rows(platform: Any, tenants: Tenants) -> dict[str, list[dict[str, Any]]]:
    """Both tenants' uploads, landed in the raw tables and ops.landing_log and shaped into
    marts.uploads by a real `dbt build` (tenant ids are unique to the session, so nothing mixes in)."""
    rows = {
        tenants.a: [upload_row(tenants.a, i) for i in range(ROWS_A)],
        tenants.b: [upload_row(tenants.b, i) for i in range(ROWS_B)],
    }
    for group in rows.values():
        for row in group:
            _land_row(platform.warehouse, row)
    platform.run_dbt("build", "--select", "+uploads")
    return rows


@dataclass(frozen=True)
class Keys:
    a: str
    b: str
    revoked: str


@pytest.fixture(scope="session")
def keys(platform: Any, tenants: Tenants) -> Keys:
    revoked = create_api_key(platform.warehouse, tenants.a, "revoked key")
    assert revoke_api_key(platform.warehouse, revoked.split("_")[1])
    return Keys(
        a=create_api_key(platform.warehouse, tenants.a, "tests tenant a"),
        b=create_api_key(platform.warehouse, tenants.b, "tests tenant b"),
        revoked=revoked,
    )
