"""Runs on other machines (issue 19 part 2): demo files through Dagster's Celery executor give `process`'s tables.

The world, built once for the module:

- the landing zone and the archive are `s3://` prefixes on an S3-compatible server (moto's, on loopback);
- a Redis broker: Debian's `redis-server` on a free loopback port (the test is skipped, saying so, without it);
- two Celery workers (`dagster-celery worker start`), each with its own CALCBRIDGE_HOME and DAGSTER_HOME and no
  landing folder at all: they reach the warehouse through DATABASE_URL, Dagster's storage through DAGSTER_PG_URL
  and the landed files through the s3:// archive URL logged in ops.landing_log;
- the sensor host is this process: the real landing sensors tick against the s3:// landing zone, each run they
  request executes with the Celery executor (every step a Celery task), then the follow-up sensors tick and
  their runs execute the same way, as the daemon would.

The same files land in a local folder for `calcbridge process` (steps in its own process), with its own
databases on the same server; every table of `raw`, `analytics` and `ops` must then hold the same rows, apart from
what differs by design (SKIPPED_TABLES, SKIPPED_COLUMNS, and random ids, moments and timings, masked).

The files: the demo's January CLO workbook with the trustee statement, resolutions and what-if scenario that
name it (clo, trustee, resolutions, scenarios, and the compliance, reconciliation and report follow-ups), acme's
covenant deals, covenants and 2023 measurements (covenants), acme's performance series and
P&L facts (performance, pnl). Not the equity positions file: its 90-session backfill takes 28 s in process alone,
and its file job is the same one-step shape as pnl's. Not globex's copies and the other months: more of the same.
"""

from __future__ import annotations

import decimal
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml
from dagster._core.definitions.reconstruct import ReconstructableRepository

from orchestration.core import migrate, postgres
from orchestration.core.settings import PROJECT_ROOT, PlatformSettings, get_settings
from tests.e2e.second_home import free_port

SUBSET = (
    "acme/clo/clo_holdings_2026_01.xlsx",
    "acme/trustee/trustee_statement_2026_01.xlsx",
    "acme/resolutions/resolutions_2026_01.csv",
    "acme/scenarios/sell_ccc_add_abc.yaml",
    "acme/covenants/acme_deals.json",
    "acme/covenants/acme_covenants.csv",
    "acme/covenants/acme_measurements_2023.json",
    "acme/performance/acme_performance.json",
    "acme/pnl/acme_pnl_facts.csv",
)
WORKERS = ("calcbridge-w1", "calcbridge-w2")
PROCESS = """
import sys
from orchestration.cli_runs import process
from orchestration.core.progress import Console
from orchestration.core.settings import get_settings

outcomes = process(get_settings(), Console(sys.stdout, show_bar=False), build_marts=False)
sys.exit(1 if not outcomes or any(o.failed for o in outcomes) else 0)
"""
"""`calcbridge process` without its final dbt build (the marts are the same dbt models over the compared tables;
the build alone would take a minute of the suite)."""
LANES = (
    ("clo", "trustee", "geneva", "bloomberg", "resolutions", "scenarios"),
    ("equity", "covenants", "performance", "pnl"),
)
"""The landing domains as two lanes of runs: a statement and a scenario need their workbook processed first, the
others need nothing of the CLO lane. The daemon's coordinator also runs two at a time, one per domain."""
FOLLOW_UPS = ("configuration_sensor", "compliance_alert_sensor", "reports_after_reconciliation")
SKIPPED_TABLES = {"ops.landing_log", "ops.sensor_cursors", "ops.api_keys", "ops.dbt_models", "ops.lineage"}
"""Where the two worlds differ by design: the log holds each file's own URL and arrival time, the cursors are
each world's own, `process` ends with a dbt build the distributed world leaves to the daemon, and lineage records
each run's id and code version (core/provenance.py: the code version of the process that ran the step)."""


@dataclass
class World:
    """The module's world: both worlds' settings and engines, the sensor host's instance and its runs, the workers."""

    celery: PlatformSettings
    local: PlatformSettings
    celery_engine: sa.Engine
    local_engine: sa.Engine
    instance: dg.DagsterInstance
    runs: list[dg.DagsterRun]
    worker_homes: list[Path]
    logs: list[Path]


def _redis(port: int, folder: Path) -> subprocess.Popen[bytes]:
    """Debian's redis-server on `port`, in memory only; the test is skipped (saying why) when it is not installed."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install -y redis-server; `make test` tries)")
    command = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            return process
        except redis.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.1)


def _settings(platform, name: str) -> PlatformSettings:
    """Settings for new databases `name` and `name`_dagster on the session's embedded server, migrated."""
    settings = PlatformSettings(
        home=platform.settings.home, warehouse_database=name, dagster_database=f"{name}_dagster"
    )
    admin = sa.create_engine(postgres.warehouse_url(settings).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for database in (name, f"{name}_dagster"):
            conn.execute(sa.text(f'drop database if exists "{database}" with (force)'))
            conn.execute(sa.text(f'create database "{database}"'))
    admin.dispose()
    migrate.upgrade(postgres.warehouse_url(settings))
    return settings


def _dagster_url(settings: PlatformSettings) -> str:
    """The Dagster storage URL of `settings`' own database (never the session's DAGSTER_PG_URL)."""
    url = postgres.warehouse_url(settings).set(drivername=postgres.DAGSTER_DRIVER, database=settings.dagster_database)
    return postgres.render(url)


def _instance_home(folder: Path, dagster_url: str) -> Path:
    """A DAGSTER_HOME whose dagster.yaml names the storage outright and keeps no compute logs on this disk."""
    config = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())
    config["storage"] = {"postgres": {"postgres_url": dagster_url}}
    config["compute_logs"] = {
        "module": "dagster._core.storage.noop_compute_log_manager",
        "class": "NoOpComputeLogManager",
    }
    folder.mkdir(parents=True)
    (folder / "dagster.yaml").write_text(yaml.safe_dump(config))
    return folder


def _worker_env(home: Path, celery: PlatformSettings, broker: str, landing: str, archive: str) -> dict[str, str]:
    """A worker's whole environment: its own homes; the warehouse, Dagster storage and archive by URL only."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "HOME")}
    aws = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    dagster_home = home / "dagster_home"
    dagster_home.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "dagster.yaml", dagster_home / "dagster.yaml")
    return {
        **keep,
        **aws,
        "PYTHONPATH": str(PROJECT_ROOT),
        "CALCBRIDGE_HOME": str(home),
        "DAGSTER_HOME": str(dagster_home),
        "DAGSTER_PG_URL": _dagster_url(celery),
        "DATABASE_URL": postgres.render(postgres.warehouse_url(celery)),
        "CALCBRIDGE_LANDING_ROOT": landing,
        "CALCBRIDGE_ARCHIVE_ROOT": archive,
        "CALCBRIDGE_EXECUTOR": "celery",
        "CALCBRIDGE_CELERY_BROKER": broker,
        "DAGSTER_DISABLE_TELEMETRY": "1",
        "DO_NOT_TRACK": "1",
    }


def _start_worker(name: str, env: dict[str, str], config: Path, log: Path) -> subprocess.Popen[bytes]:
    """`dagster-celery worker start` as a deployment runs it: one process (solo pool), its output in `log`."""
    command = [
        str(Path(sys.executable).with_name("dagster-celery")),
        *("worker", "start", "-A", "dagster_celery.app", "-y", str(config), "-n", name, "--loglevel", "INFO"),
        *("--", "--pool", "solo"),
    ]
    handle = log.open("ab")
    return subprocess.Popen(
        command, env=env, cwd=PROJECT_ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )


def _wait_for_workers(broker: str, logs: list[Path]) -> None:
    """Until both workers answer a ping through the broker."""
    from dagster_celery.make_app import make_app

    app = make_app({"broker": broker, "backend": broker, "include": [], "config_source": {}})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        answered = {name.split("@")[0] for reply in app.control.ping(timeout=1.0) for name in reply}
        if answered >= set(WORKERS):
            return
        time.sleep(0.5)
    pytest.fail("the Celery workers did not come up:\n" + "\n".join(log.read_text()[-3000:] for log in logs))


def _land(paths: list[Path], scratch_root: Path, root: Any, *, pause: bool) -> None:
    """Copy the demo files (sidecars first) into a landing root, in the demo's order."""
    from orchestration.core.landing import copy_into_landing

    for path in paths:
        tenant, domain = path.relative_to(scratch_root).parts[:2]
        copy_into_landing(path, root, tenant, domain)
        if pause and domain == "covenants":
            time.sleep(1.05)  # S3 keeps whole seconds: deals, covenants and measurements arrive in the demo's order


def _execute(instance: dg.DagsterInstance, location: Any, job_name: str, request: dg.RunRequest, sensor: str) -> Any:
    """One requested run with the Celery executor, tagged as the daemon tags it."""
    tags = {**request.tags, "dagster/sensor_name": sensor}
    if request.run_key:
        tags["dagster/run_key"] = request.run_key
        if instance.get_runs_count(dg.RunsFilter(tags={"dagster/run_key": request.run_key})):
            return None
    if request.partition_key:
        tags["dagster/partition"] = request.partition_key
    job = location.get_reconstructable_job(job_name)
    return dg.execute_job(job, instance, run_config=request.run_config or None, tags=tags)


def _tick(defs: dg.Definitions, instance: dg.DagsterInstance, location: Any, name: str, resources: dict) -> list:
    """A sensor evaluated once from a fresh cursor, its partitions added, its runs executed on the workers."""
    sensor = defs.get_sensor_def(name)
    context = dg.build_sensor_context(
        instance=instance, cursor=None, definitions=defs, sensor_name=name, resources=resources
    )
    if name.endswith("_landing_sensor"):
        result = sensor(context)  # a SensorResult: its new partitions are added before its runs, as the daemon does
        for request in result.dynamic_partitions_requests or []:
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys or []))
        requests = result.run_requests or []
    else:
        with dg.partition_loading_context(dynamic_partitions_store=instance):
            requests = sensor.evaluate_tick(context).run_requests
    return [r for r in (_execute(instance, location, sensor.job_name, q, name) for q in requests) if r]


@pytest.fixture(scope="module")
def world(platform, s3_endpoint, tmp_path_factory) -> Iterator[World]:
    import s3fs

    from orchestration.core.objectstore import as_root
    from orchestration.core.resources import LandingZoneResource, WarehouseResource, engine_for
    from orchestration.core.settings import DOMAINS
    from orchestration.demo import write_demo

    base = tmp_path_factory.mktemp("scale")
    broker_port = free_port()
    redis_server = _redis(broker_port, base)
    broker = f"redis://127.0.0.1:{broker_port}/0"
    bucket = f"cb-celery-{os.getpid()}"
    s3fs.S3FileSystem().mkdir(bucket)
    landing, archive = f"s3://{bucket}/landing", f"s3://{bucket}/archive"
    celery, local = _settings(platform, "scale_celery"), _settings(platform, "scale_local")
    scratch = base / "demo"
    demo = [
        p
        for p in write_demo(scratch / "landing", scratch / "src")
        if p.relative_to(scratch / "landing").as_posix() in SUBSET
    ]
    assert len(demo) == len(SUBSET)

    # Celery workers: their own homes, nothing of this process's CALCBRIDGE_HOME in their environment.
    worker_config = PROJECT_ROOT / "docker" / "celery.yaml"  # the deployment's own: the broker from the environment
    host_home = _instance_home(base / "host-dagster", _dagster_url(celery))
    instance = dg.DagsterInstance.from_config(str(host_home))  # creates Dagster's tables before any worker starts
    worker_homes = [base / f"worker-{n}" for n in (1, 2)]
    logs = [base / f"worker-{n}.log" for n in (1, 2)]
    workers = [
        _start_worker(name, _worker_env(home, celery, broker, landing, archive), worker_config, log)
        for name, home, log in zip(WORKERS, worker_homes, logs, strict=True)
    ]
    saved = {k: os.environ.get(k) for k in ("CALCBRIDGE_EXECUTOR", "CALCBRIDGE_CELERY_BROKER")}
    baseline: subprocess.Popen[bytes] | None = None
    try:
        _wait_for_workers(broker, logs)
        # `calcbridge process` over a local folder, steps in its own process; it runs while the workers work.
        local_landing = base / "local-landing"
        _land(demo, scratch / "landing", local_landing, pause=False)
        env = {
            **platform.env,
            "CALCBRIDGE_WAREHOUSE_DATABASE": local.warehouse_database,
            "CALCBRIDGE_DAGSTER_DATABASE": local.dagster_database,
            "DAGSTER_PG_URL": _dagster_url(local),
            "CALCBRIDGE_LANDING_ROOT": str(local_landing),
            "CALCBRIDGE_ARCHIVE_ROOT": str(base / "local-archive"),
        }
        baseline = subprocess.Popen(
            [sys.executable, "-c", PROCESS],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=(base / "process.log").open("wb"),
            stderr=subprocess.STDOUT,
        )

        # The same files in the bucket; the sensor host ticks and runs every request on the Celery workers.
        _land(demo, scratch / "landing", as_root(landing), pause=True)
        os.environ.update(CALCBRIDGE_EXECUTOR="celery", CALCBRIDGE_CELERY_BROKER=broker)
        get_settings.cache_clear()
        from tests.scale.celery_location import defs

        assert defs.executor is not None
        location = ReconstructableRepository.for_module(
            "tests.scale.celery_location", "defs", working_directory=str(PROJECT_ROOT)
        )
        celery_url = postgres.render(postgres.warehouse_url(celery))
        resources = {
            **defs.resources,
            "warehouse": WarehouseResource(database_url=celery_url),
            "landing_zone": LandingZoneResource(landing_root=landing, archive_root=archive, settle_seconds=0),
        }

        def lane(domains: tuple[str, ...]) -> list:
            return [r for d in domains for r in _tick(defs, instance, location, f"{d}_landing_sensor", resources)]

        assert sorted(d for domains in LANES for d in domains) == sorted(DOMAINS)
        with ThreadPoolExecutor(len(LANES)) as pool:  # two runs at a time, as dagster.yaml's coordinator allows
            results = [r for done in pool.map(lane, LANES) for r in done]
        for name in FOLLOW_UPS:
            results += _tick(defs, instance, location, name, resources)
        assert baseline.wait(timeout=600) == 0, (base / "process.log").read_text()[-4000:]
        runs = [instance.get_run_by_id(r.run_id) for r in results]
        yield World(
            celery,
            local,
            engine_for(celery_url),
            engine_for(postgres.render(postgres.warehouse_url(local))),
            instance,
            runs,
            worker_homes,
            logs,
        )
    finally:
        if baseline is not None and baseline.poll() is None:
            baseline.kill()
            baseline.wait()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, 15)
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, 9)
                worker.wait()
        redis_server.terminate()
        redis_server.wait(timeout=20)


UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}")
VOLATILE = (sa.DateTime, sa.types.TIMESTAMP, sa.Uuid)
"""Column types that say when a row was written or hold a random id: never equal between two runs."""
SKIPPED_COLUMNS = {("analytics.clo_workbook_reports", c) for c in ("content", "sha256", "size_bytes")} | {
    ("*", "archive_path")
}
"""Columns that differ between the worlds by design: each world's archive location (a file, an s3:// object), and
a rendered report's bytes, which embed when it was rendered and when its file arrived."""


def _normal(value: Any) -> Any:
    """A value as both worlds must agree on it: random ids, moments and timings masked, JSON sorted."""
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items() if not k.endswith("_seconds")}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, str):
        return "<uuid>" if UUID.match(value) else "<moment>" if MOMENT.match(value) else value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value)
    return value


def _cell(value: Any) -> Any:
    """A stored value, compared as `_normal` makes it (JSON as sorted text)."""
    normal = _normal(value)
    return json.dumps(normal, sort_keys=True, default=str) if isinstance(normal, dict | list) else normal


def _snapshot(engine: sa.Engine) -> dict[str, dict[str, Counter]]:
    """Every compared table's non-volatile columns, each as the multiset of its rows and of its own values."""
    inspector = sa.inspect(engine)
    tables: dict[str, dict[str, Counter]] = {}
    with engine.connect() as conn:
        for schema in ("raw", "analytics", "ops"):
            for name in inspector.get_table_names(schema=schema):
                if f"{schema}.{name}" in SKIPPED_TABLES:
                    continue
                columns = [
                    c["name"]
                    for c in inspector.get_columns(name, schema=schema)
                    if not isinstance(c["type"], VOLATILE)
                    and (f"{schema}.{name}", c["name"]) not in SKIPPED_COLUMNS
                    and ("*", c["name"]) not in SKIPPED_COLUMNS
                ]
                table = sa.table(name, *(sa.column(c) for c in columns), schema=schema)
                rows = [tuple(_cell(v) for v in row) for row in conn.execute(sa.select(*table.c))]
                snapshot = {"<rows>": Counter(rows)}
                snapshot.update({c: Counter(row[i] for row in rows) for i, c in enumerate(columns)})
                tables[f"{schema}.{name}"] = snapshot
    return tables


def test_every_run_succeeded_and_every_step_ran_on_a_celery_worker(world: World):
    assert len(world.runs) >= len(SUBSET)
    failed = [
        (r.job_name, r.tags.get("dagster/partition")) for r in world.runs if r.status != dg.DagsterRunStatus.SUCCESS
    ]
    assert failed == [], "\n".join(log.read_text()[-4000:] for log in world.logs)
    hosts: Counter = Counter()
    for run in world.runs:
        records = world.instance.get_records_for_run(run.run_id).records
        starts = sum(1 for r in records if r.event_log_entry.dagster_event_type == dg.DagsterEventType.STEP_START)
        delegated = [
            r.event_log_entry.dagster_event.engine_event_data.metadata["Celery worker"].value
            for r in records
            if r.event_log_entry.dagster_event_type == dg.DagsterEventType.ENGINE_EVENT
            and "Celery worker" in r.event_log_entry.dagster_event.engine_event_data.metadata
        ]
        assert starts > 0
        assert len(delegated) == starts, run.job_name  # every step was a Celery task
        hosts.update(name.split("@")[0] for name in delegated)
    assert set(hosts) == set(WORKERS), hosts  # both workers took steps


def test_the_workers_never_saw_a_landing_folder(world: World):
    for home in world.worker_homes:
        assert not (home / "landing").exists()
        assert not (home / "archive").exists()


def test_the_distributed_runs_give_the_same_tables_as_calcbridge_process(world: World):
    local, distributed = _snapshot(world.local_engine), _snapshot(world.celery_engine)
    assert set(local) == set(distributed)
    assert sum(sum(t["<rows>"].values()) for t in local.values()) > 1000  # the subset fills the tables
    different = {
        name: sorted(c for c in local[name] if c != "<rows>" and local[name][c] != distributed[name][c])
        for name in local
        if local[name]["<rows>"] != distributed[name]["<rows>"]
    }
    detail = {
        name: {
            c: [
                str(v)[:240]
                for v in (sorted(map(str, local[name][c] - distributed[name][c]))[:1])
                + (sorted(map(str, distributed[name][c] - local[name][c]))[:1])
            ]
            for c in cols
        }
        for name, cols in different.items()
    }
    assert different == {}, json.dumps(detail, indent=1, default=str)[:20000]
