"""Read-path benchmark: six data routes beside `/healthz`, on the demo world, with 16 and with 1 keep-alive client.

Run: `.venv/bin/python bench/api_read.py [--seconds 10] [--home DIR]`. Builds the demo world once (`calcbridge demo`
and `calcbridge process`, about a minute; `--home` keeps it for the next run), starts single-worker uvicorn
servers (one per core, clients split evenly between them), and prints req/s, latency percentiles, server and
Postgres CPU per request and the throughput ratio to the baseline, once with the API's caches on and once with
both off. See bench/README.md.
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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from api.keys import create_api_key  # noqa: E402
from api.marts.ops import uploads  # noqa: E402
from orchestration.core import postgres  # noqa: E402
from orchestration.core.settings import DOMAINS, PlatformSettings, get_settings  # noqa: E402

TENANT = "acme"
PADDED_UPLOADS = 5000
"""Extra `marts.uploads` rows for the demo tenant, so the uploads page walks a realistic table."""
TARGET_RATIO = 0.3
TARGET_RPS = 1000.0
TARGET_SINGLE_P50_MS = 3.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    """One scenario's measurements."""

    name: str
    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    server_cpu: float = 0.0
    postgres_cpu: float = 0.0
    body_bytes: int = 0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        if len(self.latencies) < 2:
            return float("nan")
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return cuts[round(q) - 1] * 1000

    def cpu_us(self, seconds: float) -> float:
        """CPU seconds spent over the measured requests, in microseconds per request."""
        return seconds / len(self.latencies) * 1e6 if self.latencies else float("nan")


@dataclass(frozen=True)
class Route:
    """A scenario: a label and the path it requests."""

    label: str
    path: str


# ---------------------------------------------------------------------------------------------------------------
# The world: the demo, materialized by the CLI as a user would, plus padded uploads
# ---------------------------------------------------------------------------------------------------------------


def build_world(home: Path) -> None:
    """`calcbridge demo` + `calcbridge process` into `home` (skipped when an earlier run left it complete)."""
    marker = home / ".bench-world"
    if marker.exists():
        print(f"reusing the demo world in {home}", flush=True)
        return
    env = {**os.environ, "CALCBRIDGE_HOME": str(home)}
    print(f"building the demo world in {home} (calcbridge demo + process, about a minute) ...", flush=True)
    for command in (["demo"], ["process"]):
        done = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", *command],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if done.returncode != 0:
            raise RuntimeError(f"calcbridge {command[0]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    marker.write_text("built\n", encoding="utf-8")


def pad_uploads(engine: sa.Engine, rows: int) -> None:
    """Add `rows` synthetic uploads for the bench tenant to the mart (once; the bench only reads it)."""
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        present = conn.execute(
            sa.select(sa.func.count()).select_from(uploads).where(uploads.c.upload_id.like("upl_bench_%"))
        ).scalar_one()
        if present >= rows:
            return
        conn.execute(
            sa.insert(uploads),
            [
                {
                    "upload_id": f"upl_bench_{i:06d}",
                    "tenant_id": TENANT,
                    "domain": DOMAINS[i % len(DOMAINS)],
                    "file_name": f"holdings_{i:06d}.xlsx",
                    "display_name": f"Holdings {i}",
                    "tags": ["monthly", f"desk-{i % 7}"],
                    "sha256": f"{i:064x}",
                    "size_bytes": 10_000 + i,
                    "partition_key": f"{TENANT}.{i:016x}",
                    "status": "accepted",
                    "reason_code": None,
                    "reason": None,
                    "landed_at": base + dt.timedelta(seconds=37 * i),
                }
                for i in range(present, rows)
            ],
        )
        conn.execute(sa.text("analyze marts.uploads"))


def first(engine: sa.Engine, sql: str, tenant: str = TENANT) -> Any:
    """The first column of the first row of `sql` for `tenant` (the bench tenant), or fail with the query."""
    with engine.connect() as conn:
        value = conn.execute(sa.text(sql), {"tenant": tenant}).scalar()
    if value is None:
        raise RuntimeError(f"the demo world has no row for: {sql}")
    return value


def routes(engine: sa.Engine) -> list[Route]:
    """The six routes of the issue, on ids the demo world has."""
    workbook = first(
        engine,
        "select workbook_id from marts.clo_workbooks where tenant_id = :tenant and status = 'processed' "
        "order by report_date desc limit 1",
    )
    portfolio = first(
        engine, "select portfolio_id from marts.equity_current_positions where tenant_id = :tenant limit 1"
    )
    performance = first(
        engine, "select portfolio_id from marts.performance_portfolios where tenant_id = :tenant limit 1"
    )
    deal = first(
        engine,
        "select deal_id from marts.covenant_evaluations where tenant_id = :tenant "
        "group by deal_id order by count(*) desc limit 1",
    )
    return [
        Route("uploads page of 50", "/api/v1/uploads?limit=50"),
        Route("holdings page of 200", f"/api/v1/workbooks/{workbook}/holdings?limit=200"),
        Route("workbook compliance", f"/api/v1/workbooks/{workbook}/compliance"),
        Route("risk factors", f"/api/v1/risk/factors?portfolio_id={portfolio}"),
        Route("performance attribution", f"/api/v1/performance/{performance}/attribution"),
        Route("evaluations by deal", f"/api/v1/evaluations/by-deal/{deal}"),
    ]


# ---------------------------------------------------------------------------------------------------------------
# Servers and CPU accounting
# ---------------------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU of the given processes (Linux /proc), 0 for any that are gone."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def postgres_pids() -> list[int]:
    """Every running Postgres process (the postmaster and its backends) on this machine."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(entry.name))
    return pids


@contextlib.contextmanager
def servers(count: int, env: dict[str, str]) -> Iterator[list[tuple[subprocess.Popen[bytes], str]]]:
    """`count` single-worker uvicorn servers on free ports; stopped (SIGTERM, then SIGKILL) on exit."""
    started: list[tuple[subprocess.Popen[bytes], str]] = []
    try:
        for _ in range(count):
            port = free_port()
            command = [
                sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port),
                "--no-access-log", "--log-level", "warning",
            ]  # fmt: skip
            process = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
            started.append((process, f"http://127.0.0.1:{port}"))
        for process, base_url in started:
            wait_until_up(base_url, process)
        yield started
    finally:
        for process, _ in started:
            stop(process)


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
    """SIGTERM uvicorn, then SIGKILL its process group if anything is left."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)


# ---------------------------------------------------------------------------------------------------------------
# Load: raw HTTP/1.1 keep-alive clients (cheap, so the client steals little CPU from the server)
# ---------------------------------------------------------------------------------------------------------------


async def read_response(reader: asyncio.StreamReader) -> int:
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


async def _worker(base_url: str, request: bytes, deadline: float, result: Result) -> None:
    """One keep-alive connection sending requests back to back until the deadline (reconnects on errors)."""
    url = httpx.URL(base_url)
    while time.perf_counter() < deadline:
        try:
            reader, writer = await asyncio.open_connection(str(url.host), int(url.port or 80))
        except OSError:
            result.errors += 1
            await asyncio.sleep(0.05)
            continue
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                writer.write(request)
                status = await read_response(reader)
                if status == 200:
                    result.latencies.append(time.perf_counter() - started)
                else:
                    result.errors += 1
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            result.errors += 1
        finally:
            writer.close()


async def load(
    urls: Sequence[str], route: Route, clients: int, seconds: float, headers: dict[str, str], pids: list[int]
) -> Result:
    """`clients` keep-alive connections split round-robin over `urls`: 1 s warm-up, then `seconds` measured."""
    lines = [f"GET {route.path} HTTP/1.1", "Host: bench", *(f"{k}: {v}" for k, v in headers.items())]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    result = Result(name=route.label, clients=clients, seconds=seconds)

    async def phase(deadline: float) -> None:
        await asyncio.gather(*(_worker(urls[i % len(urls)], request, deadline, result) for i in range(clients)))

    await phase(time.perf_counter() + min(1.0, seconds))
    result.latencies.clear()
    result.errors = 0
    pg = postgres_pids()
    server_before, pg_before = cpu_seconds(pids), cpu_seconds(pg)
    started = time.perf_counter()
    await phase(started + seconds)
    result.seconds = time.perf_counter() - started
    result.server_cpu = cpu_seconds(pids) - server_before
    result.postgres_cpu = cpu_seconds(pg) - pg_before
    return result


# ---------------------------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------------------------


HEADER = (
    f"{'scenario':<26} {'clients':>7} {'KB':>6} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
    f"{'api us/req':>10} {'pg us/req':>9} {'ratio':>6} {'errors':>6}"
)


def table(title: str, results: list[Result]) -> None:
    """Print one block: every scenario beside the baseline with the same number of clients."""
    print(f"\n{title}\n{HEADER}\n{'-' * len(HEADER)}")
    baselines = {r.clients: r for r in results if r.name == BASELINE.label}
    for r in results:
        base = baselines.get(r.clients)
        ratio = r.rps / base.rps if base and base.rps else float("nan")
        print(
            f"{r.name:<26} {r.clients:>7} {r.body_bytes / 1024:>6.1f} {r.rps:>8,.0f} {r.percentile_ms(50):>7.2f} "
            f"{r.percentile_ms(95):>7.2f} "
            f"{r.percentile_ms(99):>7.2f} {r.cpu_us(r.server_cpu):>10,.0f} {r.cpu_us(r.postgres_cpu):>9,.0f} "
            f"{ratio:>6.2f} {r.errors:>6}"
        )


def targets(results: list[Result]) -> None:
    """Each route against the issue's targets (numbers, not pass/fail: the script exits 0 when it ran)."""
    baseline = {r.clients: r for r in results if r.name == BASELINE.label}
    print(
        f"\ntargets: >= {TARGET_RATIO} of the baseline and >= {TARGET_RPS:,.0f} req/s with 16 clients; "
        f"p50 <= {TARGET_SINGLE_P50_MS:g} ms with 1 client"
    )
    for r in results:
        if r.name == BASELINE.label:
            continue
        if r.clients == 1:
            met = r.percentile_ms(50) <= TARGET_SINGLE_P50_MS
            print(f"  {r.name:<26} 1 client  p50 {r.percentile_ms(50):.2f} ms ({'met' if met else 'missed'})")
        else:
            ratio = r.rps / baseline[r.clients].rps
            met = ratio >= TARGET_RATIO and r.rps >= TARGET_RPS
            verdict = "met" if met else "missed"
            print(f"  {r.name:<26} {r.clients} clients {r.rps:,.0f} req/s, ratio {ratio:.2f} ({verdict})")


BASELINE = Route("GET /healthz (baseline)", "/healthz")


def measure(
    env: dict[str, str], args: argparse.Namespace, scenarios: list[Route], headers: dict[str, str], clients: list[int]
) -> list[Result]:
    """Start the servers with `env`, check every route answers 200, then run each scenario for each client count."""
    results: list[Result] = []
    with servers(args.servers, env) as started:
        urls = [url for _, url in started]
        pids = [process.pid for process, _ in started]
        sizes: dict[str, int] = {}
        for route in [BASELINE, *scenarios]:
            answer = httpx.get(urls[0] + route.path, headers=headers, timeout=30)
            if answer.status_code != 200:
                raise RuntimeError(f"{route.path} answered {answer.status_code}: {answer.text[:500]}")
            sizes[route.path] = len(answer.content)
        for count in clients:
            for route in [BASELINE, *scenarios]:
                results.append(asyncio.run(load(urls, route, count, args.seconds, headers, pids)))
                results[-1].body_bytes = sizes[route.path]
                print(f"  {route.label} x{count}: {results[-1].rps:,.0f} req/s", flush=True)
    return results


@contextlib.contextmanager
def demo_world(home_arg: str | None, prefix: str) -> Iterator[tuple[PlatformSettings, sa.Engine]]:
    """The demo world's settings and warehouse engine, in `home_arg` (kept, reused) or a temporary home.

    Builds the world once (`build_world`), starts its embedded Postgres, and stops it (and disposes the engine)
    on exit; the session's own URLs are cleared so every child process reaches this home.
    """
    with contextlib.ExitStack() as stack:
        if home_arg:
            home = Path(home_arg).resolve()
            home.mkdir(parents=True, exist_ok=True)
        else:
            home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix)))
        os.chmod(home, 0o755)  # the embedded server may run as an unprivileged user when we are root
        for key in ("DATABASE_URL", "DAGSTER_PG_URL", "DAGSTER_HOME"):
            os.environ.pop(key, None)
        os.environ["CALCBRIDGE_HOME"] = str(home)
        get_settings.cache_clear()
        settings = get_settings()
        engine: sa.Engine | None = None
        try:
            build_world(home)
            engine = sa.create_engine(postgres.warehouse_url(settings, start=True))
            yield settings, engine
        finally:
            if engine is not None:
                engine.dispose()
            postgres.stop_embedded(settings)
            get_settings.cache_clear()


def run(args: argparse.Namespace) -> int:
    with demo_world(args.home, "calcbridge-bench-") as (settings, engine):
        pad_uploads(engine, PADDED_UPLOADS)
        scenarios = [r for r in routes(engine) if not args.only or any(word in r.label for word in args.only)]
        headers = {"X-API-Key": create_api_key(engine, TENANT, "bench")}
        env = {
            **os.environ,
            **postgres.runtime_env(settings),
            "CALCBRIDGE_API_RATE_LIMIT_PER_SECOND": "0",
            "CALCBRIDGE_API_REQUIRE_DAEMON": "false",
        }
        print(f"{args.servers} uvicorn servers x 1 worker; {args.seconds:g} s per scenario after 1 s warm-up")
        cached = measure(env, args, scenarios, headers, [16, 1])
        cold_env = {**env, "CALCBRIDGE_API_API_KEY_CACHE_SECONDS": "0", "CALCBRIDGE_API_COUNT_CACHE_SECONDS": "0"}
        cold = measure(cold_env, args, scenarios, headers, [16])
    print(f"\nCalcBridge API read benchmark on the demo world (+{PADDED_UPLOADS:,} uploads), tenant {TENANT}")
    print(f"machine: {os.cpu_count()} CPUs shared by the load generator, {args.servers} API processes and Postgres")
    table("caches on (verified-key cache and total_count cache, the defaults)", cached)
    table("caches off (every request verifies its key and counts its collection)", cold)
    targets(cached)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per scenario (default 10)")
    parser.add_argument(
        "--servers", type=int, default=os.cpu_count() or 2, help="single-worker uvicorn processes (default: CPUs)"
    )
    parser.add_argument("--home", help="keep the demo world in this folder and reuse it on the next run")
    parser.add_argument("--only", nargs="*", help="only the scenarios whose label contains one of these words")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
