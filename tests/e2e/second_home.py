"""A second platform home for end-to-end tests that stop servers or build whole worlds, apart from the session's.

Its own CALCBRIDGE_HOME (embedded Postgres, Dagster instance, landing zone), the `calcbridge` CLI run in
subprocesses against it, and the runtime environment a fresh process computes for it: the session's URLs
(DAGSTER_PG_URL, DATABASE_URL) would otherwise win over the second server.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pandas as pd
import pytest
import sqlalchemy as sa

from orchestration.core import landing_log, postgres
from orchestration.core.settings import PROJECT_ROOT, PlatformSettings
from orchestration.equity import tables as equity_tables


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def home_env(home: Path) -> dict[str, str]:
    """This process's environment pointed at `home`: no Dagster, Postgres or API setting of the session leaks in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DAGSTER_", "CALCBRIDGE_PG_", "CALCBRIDGE_API_"))
        and k not in ("DATABASE_URL", "CALCBRIDGE_HOME")
    }
    return {**env, "CALCBRIDGE_HOME": str(home)}


def cli(env: dict[str, str], *args: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """`calcbridge <args>` in a subprocess with `env`; a non-zero exit fails the test when `check`."""
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"calcbridge {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def runtime_env(settings: PlatformSettings) -> dict[str, str]:
    """`postgres.runtime_env` of `settings` as a fresh process computes it: the session's own URLs set aside."""
    saved = {k: os.environ.pop(k) for k in ("DAGSTER_PG_URL", "DATABASE_URL", "DAGSTER_HOME") if k in os.environ}
    try:
        return postgres.runtime_env(settings)
    finally:
        os.environ.update(saved)


def start_api(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """uvicorn serving the API with `env` on a free loopback port, once /healthz answers: (process, base URL)."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return server, base
        except httpx.TransportError:
            time.sleep(0.3)
    server.kill()
    pytest.fail("uvicorn did not start")


def stop_api(server: subprocess.Popen[bytes]) -> None:
    """Stop uvicorn; kill it when a request it still serves keeps it from shutting down."""
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=30)


@contextmanager
def api_server(env: dict[str, str], home: Path) -> Iterator[tuple[str, httpx.Client]]:
    """The API of `home` (no rate limit, no daemon required) while the block runs: (base URL, client)."""
    server_env = {**env, **runtime_env(PlatformSettings(home=home)), "CALCBRIDGE_API_ENV": "development"}
    server_env |= {"CALCBRIDGE_API_RATE_LIMIT_PER_SECOND": "0", "CALCBRIDGE_API_REQUIRE_DAEMON": "false"}
    server, base = start_api(server_env)
    client = httpx.Client(timeout=30)
    try:
        yield base, client
    finally:
        client.close()
        stop_api(server)


def skip_earlier_portfolios(engine: sa.Engine) -> None:
    """Mark every portfolio landed so far as backfilled for the CLI: `process` would otherwise run the 90-day
    chain for other tests' portfolios (landed in process, never by the CLI), which is not what is tested here."""
    with engine.connect() as conn:
        latest = conn.scalar(sa.select(sa.func.max(equity_tables.portfolios.c.landed_at)))
    if latest is not None:
        landing_log.save_cursor(engine, "process:equity_backfill", pd.Timestamp(latest).isoformat())
