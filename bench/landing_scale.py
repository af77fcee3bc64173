"""The landing sensor and the file partitions as files accumulate: 1,000 / 10,000 / 50,000 small files, in a local
folder and in an object store (moto's S3 server on loopback, the same client code as for S3 or MinIO).

Run: `.venv/bin/python bench/landing_scale.py [--sizes 1000 10000 50000] [--stores local s3]`. Uses a fresh
embedded Postgres and Dagster instance under a temporary home. For each store and size N (40-byte CSV files of
the equity domain, spread over 10 tenants):

1. **land**: write the N files (folder: plain writes; bucket: concurrent PUTs). Not the sensor's cost.
2. **burst tick**: one landing-sensor evaluation from an empty cursor, exactly as the sensor makes it
   (`landing_log.evaluate`): list, archive at most CALCBRIDGE_LANDING_MAX_FILES_PER_TICK (1,000) files by
   sha256, log them in ops.landing_log. A burst of N files needs ceil(N / 1,000) such ticks.
3. **steady tick**: the N files processed before (the cursor at their end; for the bucket, set by one pass that
   lists every key and evaluates none), one new file lands and the sensor ticks once: seconds and keys listed.
4. **partitions** (once per N): N keys added to the real `equity_files` dynamic partitions in batches of 1,000
   (what a tick requests): partitions per second; then the Dagster UI's partition query (PartitionHealthQuery of
   equity/landed_files over GraphQL, against the code location served by a gRPC code server, as the webserver
   runs it): median of 5.

Targets: a tick within Dagster's 60 s sensor budget at every size; partition queries under 1 s at 50,000
(Dagster's guidance: at most about 100,000 partitions per asset).
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import dagster as dg  # noqa: E402

from orchestration.core import landing_log, migrate, postgres  # noqa: E402
from orchestration.core.landing import LandingCursor, list_candidates  # noqa: E402
from orchestration.core.settings import PROJECT_ROOT, get_settings  # noqa: E402

TENANTS = 10
DOMAIN = "equity"
TICK_FILES = 1000
TICK_SECONDS = 30.0
SWEEP_KEYS = 5000
TICK_BUDGET_SECONDS = 60.0
PARTITION_QUERY = """
query PartitionHealthQuery($assetKey: AssetKeyInput!) {
  assetNodeOrError(assetKey: $assetKey) {
    ... on AssetNode {
      id
      partitionKeysByDimension { name partitionKeys }
      assetPartitionStatuses {
        ... on DefaultPartitionStatuses { materializedPartitions materializingPartitions failedPartitions }
      }
    }
  }
}
"""


@dataclass
class Row:
    store: str
    files: int
    land_s: float
    burst_s: float
    burst_files: int
    steady_s: float
    steady_listed: int
    burst_requests: str = "-"
    steady_requests: str = "-"


def _file(i: int) -> tuple[str, bytes]:
    tenant = f"bench-{i % TENANTS:02d}"
    return f"{tenant}/{DOMAIN}/p{i:06d}.csv", f"ticker,qty\nT{i:06d},{i % 97 + 1}\n".encode()


def _land_folder(root: Path, start: int, stop: int) -> None:
    for i in range(start, stop):
        relative, content = _file(i)
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def _land_bucket(fs: Any, prefix: str, start: int, stop: int) -> None:
    for first in range(start, stop, 2000):
        fs.pipe({f"{prefix}/{_file(i)[0]}": _file(i)[1] for i in range(first, min(stop, first + 2000))})


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def _measure_store(store: str, n: int, engine: Any, home: Path) -> Row:
    """Land N files into a fresh root of `store`, then one burst tick and one steady tick."""
    from upath import UPath

    from orchestration.core.landing_objects import ObjectCursor, scan_objects
    from orchestration.core.objectstore import as_root

    tag = f"{store}-{n}"
    if store == "local":
        landing: Any = home / f"landing-{tag}"
        archive: Any = home / f"archive-{tag}"
        land_s, _ = _timed(lambda: _land_folder(landing, 0, n))
    else:
        import s3fs

        bucket = f"bench-{tag}"  # a bucket per run: moto's listing cost grows with the whole bucket
        s3fs.S3FileSystem().mkdir(bucket)
        landing, archive = as_root(f"s3://{bucket}/landing"), as_root(f"s3://{bucket}/archive")
        land_s, _ = _timed(lambda: _land_bucket(s3fs.S3FileSystem(), f"{bucket}/landing", 0, n))
    domain = DOMAIN

    def tick(cursor: str | None) -> landing_log.Evaluation:
        return landing_log.evaluate(
            engine,
            domain,
            cursor,
            landing_root=landing,
            archive_root=archive,
            settle_seconds=0,
            max_files=TICK_FILES,
            tick_seconds=TICK_SECONDS,
            sweep_keys=SWEEP_KEYS,
        )

    REQUESTS.clear()
    burst_s, burst = _timed(lambda: tick(None))
    burst_requests = _requests()
    # The steady state: every one of the N files processed before (logged in ops.landing_log, as the ticks that
    # drained the burst would have left them) and the cursor at their end.
    _log_as_processed(engine, landing, store)
    if store == "local":
        listed = list(list_candidates(landing, domain))
        top = max(c.arrived_ns for c in listed)
        cursor = LandingCursor(top, [c.relative_path for c in listed if c.arrived_ns == top]).to_json()
    else:
        assert isinstance(landing, UPath)
        settled = scan_objects(
            landing,
            archive,
            domain,
            ObjectCursor(),
            now_ns=time.time_ns(),
            settle_seconds=0,
            seen=lambda observations: set(observations),
            sweep_keys=SWEEP_KEYS,
        )
        cursor = settled.cursor.to_json()
    new = n + TENANTS - 1  # the last tenant's next file: its name sorts after the ones before it
    if store == "local":
        _land_folder(landing, new, new + 1)
    else:
        import s3fs

        _land_bucket(s3fs.S3FileSystem(), f"{bucket}/landing", new, new + 1)
    REQUESTS.clear()
    steady_s, steady = _timed(lambda: tick(cursor))
    steady_requests = _requests()
    assert len(steady.requests) == 1, steady.requests
    steady_listed = n + 1 if store == "local" else _keys_listed(landing, archive, cursor)
    evaluated = len(burst.requests) + len(burst.rejected)
    row = Row(store, n, land_s, burst_s, evaluated, steady_s, steady_listed)
    if store == "s3":
        row.burst_requests, row.steady_requests = burst_requests, steady_requests
    return row


REQUESTS: Counter[str] = Counter()
"""S3 API calls made since the last clear, by operation (a botocore hook on the shared s3fs client)."""


def _requests() -> str:
    """The calls as `list/get/head/put` counts."""
    r = REQUESTS
    return f"{r['ListObjectsV2']}/{r['GetObject']}/{r['HeadObject']}/{r['PutObject']}"


def _log_as_processed(engine: Any, landing: Any, store: str) -> None:
    """Log every landed file of the domain as accepted, as the ticks that processed them would have."""
    from sqlalchemy.dialects.postgresql import insert

    from orchestration.core.landing_objects import list_objects
    from orchestration.core.schema import landing_log as table

    candidates = list(list_candidates(landing, DOMAIN)) if store == "local" else list_objects(landing, DOMAIN)
    rows = [
        {
            "tenant_id": c.tenant_id,
            "domain": DOMAIN,
            "relative_path": c.relative_path,
            "file_name": c.file_name,
            "status": "accepted",
            "sha256": "0" * 64,
            "size_bytes": c.size_bytes,
            "partition_key": f"{c.tenant_id}.{i:016x}",
            "archive_path": "-",
            "landed_at": c.landed_at,
        }
        for i, c in enumerate(candidates)
    ]
    statement = insert(table).on_conflict_do_nothing(index_elements=["domain", "relative_path", "landed_at"])
    with engine.begin() as conn:
        for first in range(0, len(rows), 5000):
            conn.execute(statement, rows[first : first + 5000])


def _keys_listed(landing: Any, archive: Any, cursor: str) -> int:
    """How many keys the steady tick listed (the same scan again, everything counted as seen)."""
    from orchestration.core.landing_objects import ObjectCursor, scan_objects

    again = scan_objects(
        landing,
        archive,
        DOMAIN,
        ObjectCursor.from_json(cursor),
        now_ns=time.time_ns(),
        settle_seconds=0,
        seen=lambda observations: set(observations),
        sweep_keys=SWEEP_KEYS,
    )
    return again.listed


def _measure_partitions(instance: dg.DagsterInstance, sizes: list[int]) -> list[tuple[int, float, float]]:
    """(N, partitions added per second, median UI query ms) as `equity_files` grows to each N."""
    from dagster_graphql.test.utils import define_out_of_process_workspace, execute_dagster_graphql

    rows: list[tuple[int, float, float]] = []
    have = 0
    with define_out_of_process_workspace(str(PROJECT_ROOT / "workspace.yaml"), None, instance) as workspace:
        for n in sizes:
            keys = [f"bench-{i % TENANTS:02d}.{i:016x}" for i in range(have, n)]
            start = time.perf_counter()
            for first in range(0, len(keys), TICK_FILES):
                instance.add_dynamic_partitions(f"{DOMAIN}_files", keys[first : first + TICK_FILES])
            rate = len(keys) / (time.perf_counter() - start) if keys else math.nan
            have = n
            timings = []
            for _ in range(5):
                start = time.perf_counter()
                context = workspace.create_request_context()  # one per request, as the webserver makes them
                result = execute_dagster_graphql(
                    context, PARTITION_QUERY, {"assetKey": {"path": [DOMAIN, "landed_files"]}}
                )
                timings.append(time.perf_counter() - start)
                node = result.data["assetNodeOrError"]
                shown = len(node["partitionKeysByDimension"][0]["partitionKeys"])
                assert shown == n, f"the UI query shows {shown} partitions, not {n}"
            rows.append((n, rate, statistics.median(timings) * 1000))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--stores", nargs="+", default=["local", "s3"], choices=["local", "s3"])
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="calcbridge-bench-") as home:
        os.chmod(home, 0o755)  # the embedded server may run as an unprivileged user when we are root
        for key in ("DATABASE_URL", "DAGSTER_PG_URL"):
            os.environ.pop(key, None)
        os.environ["CALCBRIDGE_HOME"] = home
        get_settings.cache_clear()
        settings = get_settings()
        server = None
        try:
            postgres.ensure_databases(settings)
            migrate.upgrade(postgres.warehouse_url(settings))
            os.environ.update(postgres.runtime_env(settings))
            settings.dagster_home.mkdir(parents=True, exist_ok=True)
            shutil.copy(PROJECT_ROOT / "dagster.yaml", settings.dagster_home / "dagster.yaml")
            if "s3" in args.stores:
                server = _start_s3()
            return _report(args, Path(home))
        finally:
            if server is not None:
                server.stop()
            postgres.stop_embedded(settings)
            get_settings.cache_clear()


def _start_s3() -> Any:
    import s3fs
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update(
        AWS_ENDPOINT_URL=f"http://{host}:{port}",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
    )
    s3fs.S3FileSystem.clear_instance_cache()
    fs = s3fs.S3FileSystem()
    fs.call_s3("list_buckets")  # creates the client the landing roots share (fsspec caches the instance)
    fs.s3.meta.events.register("before-call.s3", lambda model, **_: REQUESTS.update([model.name]))
    return server


def _report(args: argparse.Namespace, home: Path) -> int:
    from orchestration.core.resources import WarehouseResource

    engine = WarehouseResource().engine
    rows = [_measure_store(store, n, engine, home) for n in args.sizes for store in args.stores]
    instance = dg.DagsterInstance.get()
    partitions = _measure_partitions(instance, sorted(args.sizes))
    print(
        f"\nLanding sensor ticks (at most {TICK_FILES} files and {TICK_SECONDS:.0f} s of archiving per tick; "
        f"object store: {SWEEP_KEYS} sweep keys)"
    )
    header = f"{'store':<6} {'files':>7} {'land s':>8} {'burst tick s':>13} {'files/s':>8} {'ticks':>6}"
    print(header + f" {'steady tick s':>14} {'keys listed':>12} {'burst requests':>15} {'steady requests':>16}")
    for r in rows:
        rate = r.burst_files / r.burst_s if r.burst_s else math.nan
        ticks = math.ceil(r.files / r.burst_files)  # ticks a burst of N takes to drain at this rate
        print(
            f"{r.store:<6} {r.files:>7,} {r.land_s:>8.1f} {r.burst_s:>13.2f} {rate:>8,.0f} {ticks:>6}"
            f" {r.steady_s:>14.3f} {r.steady_listed:>12,} {r.burst_requests:>15} {r.steady_requests:>16}"
        )
    print("requests: S3 calls list/get/head/put in that tick (a folder makes none)")
    print("\nDynamic partitions of equity_files (added in batches of 1,000) and the UI's partition query")
    print(f"{'partitions':>10} {'added/s':>9} {'UI query ms':>12}")
    for n, rate, ms in partitions:
        print(f"{n:>10,} {rate:>9,.0f} {ms:>12.0f}")
    worst = max(r.burst_s for r in rows)
    print(f"\nslowest tick {worst:.1f} s (budget {TICK_BUDGET_SECONDS:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
