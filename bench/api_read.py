"""Read-path benchmark: uvicorn (2 workers) on a freshly seeded embedded Postgres, 16 keep-alive clients.

Run: `.venv/bin/python bench/api_read.py [--seconds 10]`. Prints requests/s and latency percentiles for
`GET /api/v1/uploads?limit=50` beside a no-database baseline (`GET /healthz`). See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from api.keys import create_api_key  # noqa: E402
from api.tables import uploads  # noqa: E402
from orchestration.core import migrate, postgres  # noqa: E402
from orchestration.core.settings import DOMAINS, get_settings  # noqa: E402

TENANT = "bench"
OTHER_TENANT = "bench-other"
TARGET_RPS = 1000.0
TARGET_P50_MS = 10.0


@dataclass
class Result:
    """One scenario's measurements."""

    name: str
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        if len(self.latencies) < 2:
            return float("nan")
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return cuts[round(q) - 1] * 1000


def seed_uploads(engine: sa.Engine, rows: int) -> None:
    """marts.uploads rows, in a table with the mart's columns (the tests build it with dbt; the bench only reads)."""
    uploads.create(engine, checkfirst=True)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

    def row(tenant: str, i: int) -> dict[str, Any]:
        landed = base + dt.timedelta(seconds=37 * (i // 2))
        return {
            "upload_id": f"upl_{tenant}_{i:06d}",
            "tenant_id": tenant,
            "domain": DOMAINS[i % len(DOMAINS)],
            "file_name": f"holdings_{i:06d}.xlsx",
            "display_name": f"Holdings {i}",
            "tags": ["monthly", f"desk-{i % 7}"],
            "sha256": f"{i:064x}",
            "size_bytes": 10_000 + i,
            "partition_key": f"{tenant}__holdings_{i:06d}",
            "status": "accepted",
            "reason_code": None,
            "reason": None,
            "landed_at": landed,
        }

    with engine.begin() as conn:
        conn.execute(sa.insert(uploads), [row(TENANT, i) for i in range(rows)])
        conn.execute(sa.insert(uploads), [row(OTHER_TENANT, i) for i in range(rows // 10)])
        conn.execute(sa.text("analyze marts.uploads"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(base_url: str, server: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"uvicorn exited with code {server.returncode}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("uvicorn did not become ready in time")


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM uvicorn (it stops its workers), then SIGKILL its process group if anything is left."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response (Content-Length or chunked body); return its status code."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("server closed the connection")
    status = int(status_line.split()[1])
    length = 0
    chunked = False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        await reader.readexactly(length)
        return status
    while True:
        size = int((await reader.readline()).split(b";")[0], 16)
        await reader.readexactly(size + 2)
        if size == 0:
            return status


async def _raw_worker(host: str, port: int, request: bytes, deadline: float, result: Result) -> None:
    """One keep-alive connection sending requests back to back until the deadline (reconnects on errors)."""
    while time.perf_counter() < deadline:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            result.errors += 1
            await asyncio.sleep(0.05)
            continue
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                writer.write(request)
                status = await _read_response(reader)
                if status == 200:
                    result.latencies.append(time.perf_counter() - started)
                else:
                    result.errors += 1
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            result.errors += 1
        finally:
            writer.close()


async def _httpx_worker(client: httpx.AsyncClient, path: str, deadline: float, result: Result) -> None:
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            response = await client.get(path)
        except httpx.HTTPError:
            result.errors += 1
            continue
        if response.status_code == 200:
            result.latencies.append(time.perf_counter() - started)
        else:
            result.errors += 1


async def load(
    base_url: str, path: str, name: str, clients: int, seconds: float, headers: dict[str, str], kind: str = "raw"
) -> Result:
    """`clients` keep-alive connections, each sending requests back to back: 1 s warm-up, then `seconds` measured."""
    url = httpx.URL(base_url)
    host, port = str(url.host), int(url.port or 80)
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", *(f"{k}: {v}" for k, v in headers.items())]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=10.0) as client:
        result = Result(name=name, seconds=seconds)

        async def phase(deadline: float) -> None:
            if kind == "httpx":
                await asyncio.gather(*(_httpx_worker(client, path, deadline, result) for _ in range(clients)))
            else:
                await asyncio.gather(*(_raw_worker(host, port, request, deadline, result) for _ in range(clients)))

        await phase(time.perf_counter() + min(1.0, seconds))
        result.latencies.clear()
        result.errors = 0
        started = time.perf_counter()
        await phase(started + seconds)
        result.seconds = time.perf_counter() - started
        return result


def report(results: list[Result], clients: int, workers: int, rows: int) -> None:
    print(f"\nCalcBridge API read benchmark: {clients} keep-alive clients, uvicorn {workers} workers, {rows} uploads")
    print(f"machine: {os.cpu_count()} CPUs (client, server and Postgres share them)\n")
    header = f"{'scenario':<40} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.name:<40} {r.rps:>9,.0f} {r.percentile_ms(50):>8.2f} {r.percentile_ms(95):>8.2f} "
            f"{r.percentile_ms(99):>8.2f} {r.errors:>7}"
        )
    baseline, uploads_result = results
    ratio = uploads_result.rps / baseline.rps if baseline.rps else float("nan")
    print(f"\nuploads / baseline throughput ratio: {ratio:.2f}")
    rps_ok = "met" if uploads_result.rps >= TARGET_RPS else "missed"
    p50_ok = "met" if uploads_result.percentile_ms(50) <= TARGET_P50_MS else "missed"
    print(f"target >= {TARGET_RPS:,.0f} req/s on /api/v1/uploads: {uploads_result.rps:,.0f} ({rps_ok})")
    print(
        f"target p50 <= {TARGET_P50_MS:.0f} ms on /api/v1/uploads: {uploads_result.percentile_ms(50):.2f} ms ({p50_ok})"
    )


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="calcbridge-bench-") as home:
        os.chmod(home, 0o755)  # the embedded server may run as an unprivileged user when we are root
        for key in ("DATABASE_URL", "DAGSTER_PG_URL"):
            os.environ.pop(key, None)
        os.environ["CALCBRIDGE_HOME"] = home
        get_settings.cache_clear()
        settings = get_settings()
        engine: sa.Engine | None = None
        try:
            print(f"starting embedded Postgres under {home} and seeding {args.rows} uploads ...", flush=True)
            postgres.ensure_databases(settings)
            migrate.upgrade(postgres.warehouse_url(settings))
            engine = sa.create_engine(postgres.warehouse_url(settings))
            seed_uploads(engine, args.rows)
            key = create_api_key(engine, TENANT, "bench")
            port = free_port()
            base_url = f"http://127.0.0.1:{port}"
            env = {
                **os.environ,
                **postgres.runtime_env(settings),
                "CALCBRIDGE_API_RATE_LIMIT_PER_SECOND": "0",
                "CALCBRIDGE_API_REQUIRE_DAEMON": "false",
                "CALCBRIDGE_API_POOL_SIZE": str(args.pool_size),
            }
            command = [
                sys.executable, "-m", "uvicorn", "api.main:app",
                "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers),
                "--no-access-log", "--log-level", "warning",
            ]  # fmt: skip
            server = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
            try:
                wait_until_up(base_url, server)
                headers = {"X-API-Key": key}
                check = httpx.get(f"{base_url}/api/v1/uploads?limit=50", headers=headers, timeout=10).json()
                if len(check["data"]) != 50 or check["pagination"]["total_count"] != args.rows:
                    print(f"unexpected response from /api/v1/uploads: {check}", file=sys.stderr)
                    return 1
                print(f"uvicorn up on {base_url}; {args.seconds:g} s per scenario after a 1 s warm-up", flush=True)
                results = [
                    asyncio.run(
                        load(
                            base_url,
                            "/healthz",
                            "GET /healthz (baseline, no DB)",
                            args.clients,
                            args.seconds,
                            {},
                            args.client,
                        )
                    ),
                    asyncio.run(
                        load(
                            base_url,
                            "/api/v1/uploads?limit=50",
                            "GET /api/v1/uploads?limit=50",
                            args.clients,
                            args.seconds,
                            headers,
                            args.client,
                        )
                    ),
                ]
            finally:
                stop(server)
            report(results, args.clients, args.workers, args.rows)
            return 0
        finally:
            if engine is not None:
                engine.dispose()
            postgres.stop_embedded(settings)
            get_settings.cache_clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per scenario (default 10)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent keep-alive clients (default 16)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    parser.add_argument("--rows", type=int, default=5000, help="uploads rows for the benchmark tenant (default 5000)")
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="load generator: raw asyncio HTTP/1.1 (default, cheap) or httpx.AsyncClient (CPU-heavy)",
    )
    parser.add_argument("--pool-size", type=int, default=10, help="API connection pool per worker (default 10)")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
