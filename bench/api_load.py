"""Mixed-read load: 50 keep-alive clients for 60 s over 13 routes and 3 tenants of the demo world, on loopback.

Run: `.venv/bin/python bench/api_load.py [--clients 50] [--seconds 60] [--home DIR]`. Builds (or reuses, with
`--home`) the demo world as `bench/api_read.py` does, starts single-worker uvicorn servers, and runs every client
through its tenant's own routes: `acme` and `globex` read their workbooks, holdings, compliance, reconciliations,
positions, risk, performance and covenant evaluations; `initech` (a tenant with no data) lists its empty
collections and probes acme's ids, each of which must answer 404. Prints requests, req/s, the statuses seen,
unexpected answers (any status a request should not get, a timeout, a dropped connection) and p50/p99 per route.
Bounded: every request has a timeout and the run stops at `--seconds`. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from api.keys import create_api_key  # noqa: E402
from bench.api_read import demo_world, first, read_response, servers  # noqa: E402
from orchestration.core import postgres  # noqa: E402

TENANTS = ("acme", "globex", "initech")
"""Two demo tenants with data and one without (it reads empty lists and probes acme's ids)."""
REQUEST_TIMEOUT = 10.0
"""Seconds a response may take before it counts as unexpected (the API's statement timeout)."""


@dataclass(frozen=True)
class Probe:
    """One request a client makes: who asks, for what, and which statuses are right."""

    tenant: str
    label: str
    path: str
    expected: tuple[int, ...] = (200,)


@dataclass
class Tally:
    """Everything one run saw."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    unexpected: collections.Counter[str] = field(default_factory=collections.Counter)

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())


def _ids(engine: sa.Engine, tenant: str) -> dict[str, str | None]:
    """The tenant's first workbook, portfolio, performance portfolio, deal and reconciliation (None when absent)."""
    queries = {
        "workbook": "select workbook_id from marts.clo_workbooks where tenant_id = :tenant and status = 'processed' "
        "order by report_date desc limit 1",
        "portfolio": "select portfolio_id from marts.equity_current_positions where tenant_id = :tenant limit 1",
        "performance": "select portfolio_id from marts.performance_portfolios where tenant_id = :tenant limit 1",
        "deal": "select deal_id from marts.covenant_evaluations where tenant_id = :tenant "
        "group by deal_id order by count(*) desc limit 1",
    }
    out: dict[str, str | None] = {}
    for name, sql in queries.items():
        try:
            out[name] = str(first(engine, sql, tenant))
        except RuntimeError:
            out[name] = None
    return out


def probes(engine: sa.Engine) -> dict[str, list[Probe]]:
    """Each tenant's request cycle: its own routes, and for the empty tenant acme's ids (404 expected)."""
    common = [
        ("uploads page", "/api/v1/uploads?limit=50"),
        ("workbooks page", "/api/v1/workbooks?limit=50"),
        ("tags", "/api/v1/tags"),
        ("mapping profiles", "/api/v1/mappings/profiles"),
    ]
    cycles: dict[str, list[Probe]] = {}
    acme = _ids(engine, "acme")
    for tenant in TENANTS:
        ids = _ids(engine, tenant) if tenant != "initech" else {}
        cycle = [Probe(tenant, label, path) for label, path in common]
        wb, pf, perf, deal = (ids.get(k) for k in ("workbook", "portfolio", "performance", "deal"))
        if wb:
            cycle += [
                Probe(tenant, "holdings page of 200", f"/api/v1/workbooks/{wb}/holdings?limit=200"),
                Probe(tenant, "workbook compliance", f"/api/v1/workbooks/{wb}/compliance"),
                Probe(tenant, "workbook reconciliations", f"/api/v1/workbooks/{wb}/reconciliations"),
            ]
        if pf:
            cycle += [
                Probe(tenant, "positions", f"/api/v1/positions?portfolio_id={pf}"),
                Probe(tenant, "risk factors", f"/api/v1/risk/factors?portfolio_id={pf}"),
                Probe(tenant, "risk metrics", f"/api/v1/risk/metrics?portfolio_id={pf}"),
            ]
        if perf:
            cycle.append(Probe(tenant, "performance attribution", f"/api/v1/performance/{perf}/attribution"))
        if deal:
            cycle.append(Probe(tenant, "evaluations by deal", f"/api/v1/evaluations/by-deal/{deal}"))
        if tenant == "initech":
            theirs = [
                ("cross-tenant workbook", f"/api/v1/workbooks/{acme['workbook']}", (404,)),
                ("cross-tenant holdings", f"/api/v1/workbooks/{acme['workbook']}/holdings", (404,)),
                ("cross-tenant risk", f"/api/v1/risk/factors?portfolio_id={acme['portfolio']}", (404,)),
                ("cross-tenant attribution", f"/api/v1/performance/{acme['performance']}/attribution", (404,)),
            ]
            cycle += [Probe(tenant, label, path, expected) for label, path, expected in theirs]
        cycles[tenant] = cycle
    return cycles


async def client(base_url: str, cycle: Sequence[Probe], key: str, offset: int, deadline: float, tally: Tally) -> None:
    """One keep-alive connection walking its tenant's cycle (from its own offset) until the deadline."""
    url = httpx.URL(base_url)
    requests = [(p, f"GET {p.path} HTTP/1.1\r\nHost: bench\r\nX-API-Key: {key}\r\n\r\n".encode()) for p in cycle]
    i = offset
    while time.perf_counter() < deadline:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(str(url.host), int(url.port or 80)), REQUEST_TIMEOUT
            )
        except (OSError, TimeoutError):
            tally.unexpected["connect failed"] += 1
            await asyncio.sleep(0.05)
            continue
        try:
            while time.perf_counter() < deadline:
                probe, request = requests[i % len(requests)]
                i += 1
                started = time.perf_counter()
                writer.write(request)
                status = await asyncio.wait_for(read_response(reader), REQUEST_TIMEOUT)
                tally.latencies[probe.label].append(time.perf_counter() - started)
                tally.statuses[status] += 1
                if status not in probe.expected:
                    tally.unexpected[f"{probe.label} -> {status}"] += 1
        except TimeoutError:
            tally.unexpected["timeout"] += 1
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            tally.unexpected["connection dropped"] += 1
        finally:
            writer.close()


async def load(
    urls: Sequence[str], cycles: dict[str, list[Probe]], keys: dict[str, str], args: argparse.Namespace
) -> tuple[Tally, float]:
    """`args.clients` clients, tenants and servers assigned round-robin: 2 s warm-up, then `args.seconds`."""

    async def phase(seconds: float, tally: Tally) -> float:
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(
            *(
                client(urls[i % len(urls)], cycles[t], keys[t], i, deadline, tally)
                for i in range(args.clients)
                for t in [TENANTS[i % len(TENANTS)]]
            )
        )
        return time.perf_counter() - started

    await phase(2.0, Tally())
    tally = Tally()
    elapsed = await phase(args.seconds, tally)
    return tally, elapsed


def percentile_ms(values: list[float], q: int) -> float:
    if len(values) < 2:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def report(tally: Tally, elapsed: float, args: argparse.Namespace, servers_count: int) -> None:
    everything = [x for v in tally.latencies.values() for x in v]
    print(
        f"\nCalcBridge API mixed-read load: {args.clients} keep-alive clients, {elapsed:.1f} s, "
        f"{servers_count} uvicorn servers x 1 worker, tenants {', '.join(TENANTS)}, loopback"
    )
    print(f"machine: {os.cpu_count()} CPUs shared by the load generator, the API processes and Postgres")
    print(
        f"requests {tally.requests:,}  req/s {tally.requests / elapsed:,.0f}"
        f"  p50 {percentile_ms(everything, 50):.1f} ms  p99 {percentile_ms(everything, 99):.1f} ms"
        f"  unexpected {sum(tally.unexpected.values())}"
    )
    print("statuses: " + ", ".join(f"{status}: {n:,}" for status, n in sorted(tally.statuses.items())))
    for what, n in sorted(tally.unexpected.items()):
        print(f"  unexpected {what}: {n}")
    header = f"{'route':<28} {'requests':>9} {'p50 ms':>7} {'p99 ms':>7}"
    print(f"\n{header}\n{'-' * len(header)}")
    for label, values in sorted(tally.latencies.items()):
        print(f"{label:<28} {len(values):>9,} {percentile_ms(values, 50):>7.1f} {percentile_ms(values, 99):>7.1f}")


def run(args: argparse.Namespace) -> int:
    with demo_world(args.home, "calcbridge-load-") as (settings, engine):
        cycles = probes(engine)
        keys = {t: create_api_key(engine, t, "load bench") for t in TENANTS}
        env = {
            **os.environ,
            **postgres.runtime_env(settings),
            "CALCBRIDGE_API_RATE_LIMIT_PER_SECOND": "0",  # one key per tenant shared by many clients
            "CALCBRIDGE_API_REQUIRE_DAEMON": "false",
        }
        with servers(args.servers, env) as started:
            urls = [url for _, url in started]
            for tenant, cycle in cycles.items():
                for probe in cycle:
                    answer = httpx.get(urls[0] + probe.path, headers={"X-API-Key": keys[tenant]}, timeout=30)
                    if answer.status_code not in probe.expected:
                        raise RuntimeError(f"{tenant} {probe.path} answered {answer.status_code}")
            routes = {p.label for c in cycles.values() for p in c}
            print(f"{len(routes)} routes, {sum(len(c) for c in cycles.values())} probes; warm-up 2 s", flush=True)
            tally, elapsed = asyncio.run(load(urls, cycles, keys, args))
    report(tally, elapsed, args, args.servers)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=50, help="keep-alive clients (default 50)")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured seconds (default 60)")
    parser.add_argument(
        "--servers", type=int, default=os.cpu_count() or 2, help="single-worker uvicorn processes (default: CPUs)"
    )
    parser.add_argument("--home", help="keep the demo world in this folder and reuse it on the next run")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
