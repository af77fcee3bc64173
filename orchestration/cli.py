"""`calcbridge`: the embedded database, the landing zone, processing runs, API keys and `up`."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.core import migrate, postgres, recovery
from orchestration.core.settings import DOMAINS, PROJECT_ROOT, PlatformSettings, get_settings, is_tenant_id

HOST = "127.0.0.1"


def _prepare_environment(settings: PlatformSettings) -> None:
    """Start/migrate the database and export what every child needs (DAGSTER_HOME, URLs, dbt vars)."""
    postgres.ensure_databases(settings)
    migrate.upgrade(postgres.warehouse_url(settings))
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", settings.dagster_home / "dagster.yaml")
    os.environ.update(postgres.runtime_env(settings))


def cmd_db(args: argparse.Namespace) -> int:
    settings = get_settings()
    if args.action == "up":
        _prepare_environment(settings)
        print(postgres.render(postgres.warehouse_url(settings)))
        return 0
    if args.action == "down":
        if settings.database_url:
            print("DATABASE_URL is set: the external server is not ours to stop")
            return 0
        print("stopped" if postgres.stop_embedded(settings) else "not running")
        return 0
    if args.action == "status":
        state = postgres.status(settings)
        kind = "embedded" if state.embedded else "external"
        print(f"{kind}: {'running' if state.running else 'stopped'}")
        if state.pid:
            print(f"pid: {state.pid}\nsocket: {state.socket_dir}")
        if state.url:
            print(f"url: {state.url}")
        return 0 if state.running else 1
    url = postgres.dagster_url(settings) if args.dagster else postgres.warehouse_url(settings)
    print(postgres.render(url))
    return 0


def _refuse_tenant(tenant: str | None) -> bool:
    """Print the one-line typed refusal of a tenant id that is not a lowercase slug; True when refused."""
    if tenant is None or is_tenant_id(tenant):
        return False
    rule = "a lowercase slug: a letter or digit, then letters, digits, '-' or '_', at most 63 characters"
    print(f"error: INVALID_TENANT: {tenant!r} is not a tenant id ({rule})", file=sys.stderr)
    return True


def cmd_ingest(args: argparse.Namespace) -> int:
    from orchestration.core.landing import copy_into_landing, is_sidecar

    if _refuse_tenant(args.tenant):
        return 2
    settings = get_settings()
    count = 0
    for raw in args.paths:
        path = Path(raw)
        files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if is_sidecar(file):
                continue
            if not file.is_file():
                print(f"error: {file} is not a file", file=sys.stderr)
                return 2
            target = copy_into_landing(file, settings.landing, args.tenant, args.domain)
            print(target)
            count += 1
    print(f"{count} file(s) landed in {settings.landing / args.tenant / args.domain}")
    return 0


@dataclass
class RunOutcome:
    """One line of `calcbridge process`'s summary."""

    job: str
    partition: str
    file_name: str
    run_id: str
    status: str


def process(settings: PlatformSettings, *, settle_seconds: float = 0.0) -> list[RunOutcome]:
    """Evaluate every landing sensor once and execute its runs, then dbt, in the recorded instance."""
    import dagster as dg

    from orchestration.core import landing_log
    from orchestration.core.dbt import prepare_manifest
    from orchestration.core.partitions import FILE_PARTITIONS
    from orchestration.core.resources import engine_for

    _prepare_environment(settings)
    prepare_manifest(force=False)
    from orchestration.definitions import defs, file_jobs

    instance = dg.DagsterInstance.get()
    engine = engine_for(postgres.render(postgres.warehouse_url(settings)))
    _sweep(instance)
    outcomes: list[RunOutcome] = []
    for domain in DOMAINS:
        cursor_name = f"process:{domain}"
        evaluation = landing_log.evaluate(
            engine,
            domain,
            landing_log.load_cursor(engine, cursor_name),
            landing_root=settings.landing,
            archive_root=settings.archive,
            settle_seconds=settle_seconds,
        )
        for rejected in evaluation.rejected:
            print(f"rejected {rejected.candidate.relative_path}: {rejected.code}: {rejected.reason}")
        if not evaluation.requests:
            landing_log.save_cursor(engine, cursor_name, evaluation.cursor)
            continue
        partitions = FILE_PARTITIONS[domain]
        instance.add_dynamic_partitions(partitions.name, sorted({r.partition_key for r in evaluation.requests}))
        job = defs.resolve_job_def(file_jobs[domain].name)
        sensor_name = f"{domain}_landing_sensor"
        for request in evaluation.requests:
            run_tags = {
                **request.tags,
                **recovery.worker_tags(),
                "dagster/run_key": request.run_key,
                "dagster/sensor_name": sensor_name,
            }
            if instance.get_runs_count(dg.RunsFilter(job_name=job.name, tags={"dagster/run_key": request.run_key})):
                continue  # the same run key already ran (or is running): the same file runs once
            result = job.execute_in_process(
                instance=instance, partition_key=request.partition_key, tags=run_tags, raise_on_error=False
            )
            outcomes.append(
                RunOutcome(
                    job.name,
                    request.partition_key,
                    request.tags["calcbridge/file_name"],
                    result.run_id,
                    "SUCCESS" if result.success else "FAILURE",
                )
            )
        # Only now: a crash before this point re-evaluates these files next time (logged once, run once).
        landing_log.save_cursor(engine, cursor_name, evaluation.cursor)
    outcomes.extend(_follow_ups(instance, engine, defs))
    outcomes.extend(_equity_backfills(instance, engine, defs))
    marts_missing = instance.get_latest_materialization_event(dg.AssetKey(["marts", "uploads"])) is None
    if outcomes or marts_missing:
        job = defs.resolve_job_def("dbt_build_job")
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        outcomes.append(RunOutcome(job.name, "-", "-", result.run_id, "SUCCESS" if result.success else "FAILURE"))
    return outcomes


def _sweep(instance: Any) -> None:
    """Fail the runs a killed process or a lost database left `STARTED`, so the DLQ shows them."""
    bound = float(instance.run_monitoring_max_runtime_seconds or 3600)
    for swept in recovery.sweep_dead_runs(instance, max_runtime_seconds=bound):
        print(f"marked failed {swept.job_name} {swept.partition or '-'} {swept.run_id}: {swept.reason}")


def failed_partitions(instance: Any, domain: str | None, tenant: str | None) -> list[tuple[str, str]]:
    """(domain, partition) of every unresolved dead-letter run of a landing domain's file job, oldest first."""
    from api.dlq import PARTITION_TAG, is_resolved, scan_dead_letters
    from orchestration.core.partitions import file_job_name

    jobs = {file_job_name(d): d for d in DOMAINS if domain in (None, d)}
    records, _ = scan_dead_letters(instance, tenant, domain, ascending=True)
    seen: dict[tuple[str, str], None] = {}
    for record in records:
        run = record.dagster_run
        partition = run.tags.get(PARTITION_TAG)
        if run.job_name in jobs and partition and not is_resolved(instance, record):
            seen.setdefault((jobs[run.job_name], partition), None)
    return list(seen)


FOLLOW_UP_SENSORS = ("configuration_sensor", "compliance_alert_sensor", "reports_after_reconciliation")
"""The daemon's sensors that react to an edit of assets_config/ or to what a file run materialized; `process` and
`rerun` evaluate them too."""


def _follow_ups(instance: Any, engine: Any, defs: Any) -> list[RunOutcome]:
    """Evaluate each follow-up sensor once from the CLI's own cursor and execute its runs: alerts, report re-renders.

    Runs carry the sensor's name and run key, so a run the daemon already made is not made again (and the
    daemon skips the ones made here): the same landing gives the same tables with or without the daemon.
    """
    import dagster as dg

    from orchestration.core import landing_log

    outcomes: list[RunOutcome] = []
    for name in FOLLOW_UP_SENSORS:
        sensor = defs.get_sensor_def(name)
        cursor_name = f"process:{name}"
        context = dg.build_sensor_context(
            instance=instance,
            cursor=landing_log.load_cursor(engine, cursor_name),
            definitions=defs,
            sensor_name=name,
            resources=defs.resources,
        )
        with dg.partition_loading_context(dynamic_partitions_store=instance):  # as the daemon evaluates it
            tick = sensor.evaluate_tick(context)
        job = defs.resolve_job_def(sensor.job_name)
        for request in tick.run_requests:
            if instance.get_runs_count(dg.RunsFilter(job_name=job.name, tags={"dagster/run_key": request.run_key})):
                continue
            tags = {
                **request.tags,
                **recovery.worker_tags(),
                "dagster/run_key": request.run_key,
                "dagster/sensor_name": name,
            }
            result = job.execute_in_process(
                instance=instance,
                run_config=request.run_config,
                partition_key=request.partition_key,
                tags=tags,
                raise_on_error=False,
            )
            partition = request.partition_key or request.tags.get("clo_partition", "-")
            status = "SUCCESS" if result.success else "FAILURE"
            outcomes.append(RunOutcome(job.name, partition, "-", result.run_id, status))
        if tick.cursor is not None:
            landing_log.save_cursor(engine, cursor_name, tick.cursor)
    return outcomes


def _equity_backfills(instance: Any, engine: Any, defs: Any) -> list[RunOutcome]:
    """The daily equity chain over the last trading days for each new portfolio: what the backfill sensor requests."""
    import datetime as dt

    from orchestration.core import landing_log
    from orchestration.equity.definitions import NEW_YORK, execute_backfills

    cursor_name = "process:equity_backfill"
    job = defs.resolve_job_def("equity_daily_job")
    done, cursor = execute_backfills(
        job, instance, engine, landing_log.load_cursor(engine, cursor_name), dt.datetime.now(NEW_YORK).date()
    )
    if cursor:
        landing_log.save_cursor(engine, cursor_name, cursor)
    return [
        RunOutcome(job.name, "backfill", backfill_id, run_id, "SUCCESS" if ok else "FAILURE")
        for run_id, backfill_id, ok in done
    ]


def rerun(
    settings: PlatformSettings,
    domain: str | None,
    partition_keys: Sequence[str] = (),
    *,
    failed: bool = False,
    tenant: str | None = None,
) -> list[RunOutcome]:
    """Run file jobs again: for the given partitions of a domain, or (`failed`) for every unresolved DLQ item."""
    import dagster as dg

    from orchestration.core import landing_log
    from orchestration.core.dbt import prepare_manifest
    from orchestration.core.resources import engine_for

    _prepare_environment(settings)
    prepare_manifest(force=False)
    from orchestration.definitions import defs, file_jobs

    instance = dg.DagsterInstance.get()
    engine = engine_for(postgres.render(postgres.warehouse_url(settings)))
    _sweep(instance)
    targets = list(failed_partitions(instance, domain, tenant)) if failed else []
    targets += [(domain, key) for key in partition_keys if domain is not None and (domain, key) not in targets]
    outcomes: list[RunOutcome] = []
    for target_domain, key in targets:
        job = defs.resolve_job_def(file_jobs[target_domain].name)
        record = landing_log.lookup(engine, target_domain, key)
        tags = {
            "tenant": record.tenant_id if record else key.split(".")[0],
            "domain": target_domain,
            "calcbridge/rerun": "true",
            **recovery.worker_tags(),
        }
        if record:
            tags["calcbridge/file_name"] = record.file_name
        result = job.execute_in_process(instance=instance, partition_key=key, tags=tags, raise_on_error=False)
        name = record.file_name if record else "?"
        outcomes.append(RunOutcome(job.name, key, name, result.run_id, "SUCCESS" if result.success else "FAILURE"))
    if outcomes:
        outcomes.extend(_follow_ups(instance, engine, defs))
    if any(o.status == "SUCCESS" for o in outcomes):
        dbt_job = defs.resolve_job_def("dbt_build_job")
        result = dbt_job.execute_in_process(instance=instance, raise_on_error=False)
        outcomes.append(RunOutcome(dbt_job.name, "-", "-", result.run_id, "SUCCESS" if result.success else "FAILURE"))
    return outcomes


def _print_outcomes(outcomes: Sequence[RunOutcome]) -> int:
    width = max(len(o.file_name) for o in outcomes)
    print(f"{'status':8} {'job':22} {'partition':28} {'file':{width}} run_id")
    for o in outcomes:
        print(f"{o.status:8} {o.job:22} {o.partition:28} {o.file_name:{width}} {o.run_id}")
    failed = [o for o in outcomes if o.status != "SUCCESS"]
    print(f"{len(outcomes) - len(failed)} succeeded, {len(failed)} failed")
    return 1 if failed else 0


def cmd_process(args: argparse.Namespace) -> int:
    outcomes = process(get_settings(), settle_seconds=args.settle)
    if not outcomes:
        print("nothing new in the landing zone")
        return 0
    return _print_outcomes(outcomes)


def cmd_rerun(args: argparse.Namespace) -> int:
    if _refuse_tenant(args.tenant):
        return 2
    if not args.failed and (args.domain is None or not args.partitions):
        print("error: name --domain and partition keys, or use --failed", file=sys.stderr)
        return 2
    outcomes = rerun(get_settings(), args.domain, args.partitions, failed=args.failed, tenant=args.tenant)
    if not outcomes:
        print("no failed partitions to re-run")
        return 0
    return _print_outcomes(outcomes)


def cmd_demo(args: argparse.Namespace) -> int:
    from orchestration.demo import write_demo

    settings = get_settings()
    landed = write_demo(settings.landing, settings.home / "demo_src")
    for path in landed:
        print(path)
    print(f"{len(landed)} demo file(s) landed")
    return 0


def create_api_key(settings: PlatformSettings, tenant: str, name: str) -> str:
    """Create a key for a tenant (stored hashed); return the key itself, shown once."""
    from api.keys import create_api_key as _create
    from orchestration.core.resources import engine_for

    _prepare_environment(settings)
    return _create(engine_for(postgres.render(postgres.warehouse_url(settings))), tenant, name)


def cmd_apikey(args: argparse.Namespace) -> int:
    if _refuse_tenant(args.tenant):
        return 2
    key = create_api_key(get_settings(), args.tenant, args.name)
    print(f"API key for tenant {args.tenant} ({args.name}); it is not stored and will not be shown again:")
    print(key)
    return 0


def _spawn(command: Sequence[str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT, start_new_session=True)


def _stop(children: Sequence[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def cmd_up(args: argparse.Namespace) -> int:
    settings = get_settings()
    _prepare_environment(settings)
    if args.demo:
        cmd_demo(args)
    outcomes = process(settings)
    failed = sum(o.status != "SUCCESS" for o in outcomes)
    print(f"processed {len(outcomes)} run(s), {failed} failed (see the Dagster UI and /api/v1/dlq)")
    key_file = settings.home / "demo_api_key"
    if not key_file.exists():
        key_file.write_text(create_api_key(settings, "acme", "demo") + "\n", encoding="utf-8")
        key_file.chmod(0o600)
    if not os.environ.get("CALCBRIDGE_API_JWT_SECRET"):
        # The installation's own random secret (mode 0600), made before the API's workers race to create it.
        from api.settings import SECRET_FILE, installation_secret

        installation_secret(settings.home)
        secret_file = settings.home / SECRET_FILE
        print(f"JWT secret: {secret_file} (this installation's own; CALCBRIDGE_API_JWT_SECRET overrides it)")
    logs = settings.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    bin_dir = Path(sys.executable).parent
    workspace = str(PROJECT_ROOT / "workspace.yaml")
    children = [
        _spawn(
            [str(bin_dir / "dagster-webserver"), "-h", HOST, "-p", str(args.ui_port), "-w", workspace],
            logs / "webserver.log",
        ),
        _spawn([str(bin_dir / "dagster-daemon"), "run", "-w", workspace], logs / "daemon.log"),
        _spawn(
            [str(bin_dir / "uvicorn"), "api.main:app", "--host", HOST, "--port", str(args.api_port), "--workers", "2"],
            logs / "api.log",
        ),
    ]
    print(f"Dagster UI: http://{HOST}:{args.ui_port}")
    print(f"API:        http://{HOST}:{args.api_port}/docs")
    print(f"logs:       {logs}")
    print(f"demo API key (tenant acme): {key_file.read_text(encoding='utf-8').strip()}")
    print("Ctrl-C stops everything (the database keeps running: `calcbridge db down`).")
    stop = False

    def _handle(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, _handle)
    signal.signal(signal.SIGTERM, _handle)
    try:
        while not stop:
            for child in children:
                if child.poll() is not None:
                    print(f"{child.args[0]} exited with {child.returncode}; stopping", file=sys.stderr)
                    stop = True
            time.sleep(0.5)
    finally:
        _stop(children)
    print("stopped")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="calcbridge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="the embedded Postgres (or DATABASE_URL)")
    db.add_argument("action", choices=["up", "down", "status", "url"])
    db.add_argument("--dagster", action="store_true", help="with `url`: Dagster's storage database")
    db.set_defaults(func=cmd_db)

    ingest = sub.add_parser("ingest", help="copy files (and their sidecars) into the landing zone")
    ingest.add_argument("paths", nargs="+")
    ingest.add_argument("--tenant", required=True)
    ingest.add_argument("--domain", required=True, choices=DOMAINS)
    ingest.set_defaults(func=cmd_ingest)

    proc = sub.add_parser("process", help="evaluate the landing sensors once and run what they request")
    proc.add_argument("--settle", type=float, default=0.0, help="skip files younger than this many seconds")
    proc.set_defaults(func=cmd_process)

    again = sub.add_parser(
        "rerun", help="run file jobs again: some partitions of a domain, or every failed one (--failed)"
    )
    again.add_argument("--domain", choices=DOMAINS, help="the domain of the partitions; with --failed, only it")
    again.add_argument("--tenant", help="with --failed: only this tenant's partitions")
    again.add_argument("--failed", action="store_true", help="every unresolved item of the dead-letter queue")
    again.add_argument("partitions", nargs="*", help="partition keys, as listed by /api/v1/dlq or the UI")
    again.set_defaults(func=cmd_rerun)

    demo = sub.add_parser("demo", help="write the bundled deterministic demo files into the landing zone")
    demo.set_defaults(func=cmd_demo)

    apikey = sub.add_parser("apikey", help="API keys")
    apikey_sub = apikey.add_subparsers(dest="apikey_command", required=True)
    create = apikey_sub.add_parser("create", help="create a key bound to one tenant")
    create.add_argument("--tenant", required=True)
    create.add_argument("--name", default="cli")
    create.set_defaults(func=cmd_apikey)

    up = sub.add_parser("up", help="database, optional demo, process, then the Dagster UI + daemon and the API")
    up.add_argument("--demo", action="store_true")
    up.add_argument("--ui-port", type=int, default=3000)
    up.add_argument("--api-port", type=int, default=8000)
    up.set_defaults(func=cmd_up)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
