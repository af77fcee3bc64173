"""The request path's database access: asyncpg connection arguments, no pre-ping, one retry on a dead connection."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from api.runtime import ASYNC_DRIVER, Runtime, asyncpg_connect_args
from tests.api.conftest import Keys
from tests.api.helpers import api_settings


def test_libpq_query_parameters_become_asyncpg_arguments() -> None:
    url = make_url(
        "postgresql+psycopg://u:p@db.example:5433/warehouse?sslmode=verify-full&connect_timeout=7"
        "&application_name=reporting&options=-c%20search_path%3Dmarts%20-cwork_mem%3D64MB%20--lock-timeout%3D5s"
    )
    converted, args = asyncpg_connect_args(url)
    assert converted.drivername == ASYNC_DRIVER
    assert (converted.host, converted.port, converted.database, dict(converted.query)) == (
        "db.example",
        5433,
        "warehouse",
        {},
    )
    assert args == {
        "ssl": "verify-full",
        "timeout": 7.0,
        "server_settings": {
            "application_name": "reporting",
            "search_path": "marts",
            "work_mem": "64MB",
            "lock_timeout": "5s",
        },
    }


def test_a_unix_socket_host_stays_in_the_query() -> None:
    converted, args = asyncpg_connect_args(make_url("postgresql+psycopg://postgres@/calcbridge?host=/tmp/pg"))
    assert dict(converted.query) == {"host": "/tmp/pg"}
    assert args == {}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sslmode=sometimes", "sslmode"),
        ("options=-x%20y", "unsupported libpq option"),
        ("options=-c%20x", "name=value"),
    ],
)
def test_unusable_libpq_parameters_are_refused(query: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        asyncpg_connect_args(make_url(f"postgresql://u@h/db?{query}"))


def _api_backends(platform: Any) -> list[int]:
    with platform.warehouse.connect() as conn:
        return list(
            conn.execute(
                sa.text("select pid from pg_stat_activity where application_name = 'calcbridge-api'")
            ).scalars()
        )


def test_a_connection_the_server_closed_is_replaced_without_an_error(
    platform: Any, make_client: Callable[..., TestClient], keys: Keys
) -> None:
    """No pre-ping: the pooled connections are killed server-side, and the next request still answers 200."""
    client = make_client()
    headers = {"X-API-Key": keys.a}
    assert client.get("/api/v1/uploads?limit=5", headers=headers).status_code == 200
    before = _api_backends(platform)
    assert before, "the request left no pooled connection open"
    with platform.warehouse.connect() as conn:
        conn.execute(sa.text("select pg_terminate_backend(pid) from unnest(:pids) as pid"), {"pids": before})
    response = client.get("/api/v1/uploads?limit=5", headers=headers)
    assert response.status_code == 200, response.text
    assert len(response.json()["data"]) == 5
    assert not set(before) & set(_api_backends(platform))


def test_the_session_is_read_only_with_a_statement_timeout(platform: Any) -> None:
    """The request path's connections carry the API's server settings: read-only, the statement timeout."""
    runtime = Runtime(api_settings(statement_timeout_ms=4321), instance=platform.instance)

    async def session() -> tuple[str, str, str]:
        runtime.bind_loop()
        try:
            async with runtime.async_engine.connect() as conn:
                read_only = (await conn.execute(sa.text("show default_transaction_read_only"))).scalar_one()
                timeout = (await conn.execute(sa.text("show statement_timeout"))).scalar_one()
                try:
                    await conn.execute(sa.text("create temporary table nope (x int)"))
                except DBAPIError as error:
                    refused = str(getattr(error.orig, "sqlstate", ""))
                else:
                    refused = "accepted"
            return read_only, timeout, refused
        finally:
            await runtime.dispose_async()

    assert asyncio.run(session()) == ("on", "4321ms", "25006")  # 25006: read_only_sql_transaction
