"""The runs `calcbridge process`, `rerun`, `backfill` and `up` execute in process, each reported as it finishes.

The same runs the daemon would make (sensor names and run keys as tags), recorded in the instance the UI reads;
a `Console` (orchestration/core/progress.py) prints a line per finished run and the bar.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import sqlalchemy as sa

from orchestration.core import migrate, postgres, recovery
from orchestration.core.progress import Console, RunOutcome
from orchestration.core.settings import DOMAINS, PROJECT_ROOT, PlatformSettings

FOLLOW_UP_SENSORS = (
    "configuration_sensor",
    "compliance_alert_sensor",
    "reports_after_reconciliation",
    "webhook_delivery_sensor",
)
"""The daemon's sensors that react to an edit of assets_config/ or to what a file run materialized; `process` and
`rerun` evaluate them too."""


def prepare_environment(settings: PlatformSettings) -> None:
    """Start/migrate the database and export what every child needs (DAGSTER_HOME, URLs, dbt vars)."""
    postgres.ensure_databases(settings)
    migrate.upgrade(postgres.warehouse_url(settings))
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", settings.dagster_home / "dagster.yaml")
    os.environ.update(postgres.runtime_env(settings))


@dataclass
class Runner:
    """The instance, warehouse and definitions a command runs jobs with, and what it has run so far."""

    instance: dg.DagsterInstance
    engine: sa.Engine
    defs: dg.Definitions
    console: Console
    outcomes: list[RunOutcome] = field(default_factory=list)

    def run(self, job: dg.JobDefinition, *, partition: str = "-", file_name: str = "-", **kwargs: Any) -> RunOutcome:
        """Execute one run in process and report it."""
        result = job.execute_in_process(instance=self.instance, raise_on_error=False, **kwargs)
        return self.report(job.name, result.run_id, partition, file_name)

    def report(self, job_name: str, run_id: str, partition: str = "-", file_name: str = "-") -> RunOutcome:
        """A finished run's line: status, duration and, when it failed, the error code the DLQ shows."""
        from orchestration.core.dlq import describe_failure

        record = self.instance.get_run_record_by_id(run_id)
        assert record is not None
        run = record.dagster_run
        status = "SUCCESS" if run.status == dg.DagsterRunStatus.SUCCESS else "FAILURE"
        seconds = record.end_time - record.start_time if record.start_time and record.end_time else None
        code = describe_failure(self.instance, run).error_type if status != "SUCCESS" else None
        outcome = RunOutcome(job_name, partition, file_name, run_id, status, seconds, code)
        self.outcomes.append(outcome)
        self.console.finished(outcome)
        return outcome

    def dbt_build(self) -> None:
        """The marts, rebuilt after the runs (the API reads them)."""
        self.console.expect(1)
        self.run(self.defs.resolve_job_def("dbt_build_job"))


def open_runner(settings: PlatformSettings, console: Console) -> Runner:
    """Database up, dbt manifest current, the definitions loaded; runs a killed CLI left `STARTED` swept."""
    from orchestration.core.dbt import prepare_manifest
    from orchestration.core.resources import engine_for

    prepare_environment(settings)
    prepare_manifest(force=False)
    from orchestration.definitions import defs

    instance = dg.DagsterInstance.get()
    engine = engine_for(postgres.render(postgres.warehouse_url(settings)))
    bound = float(instance.run_monitoring_max_runtime_seconds or 3600)
    for swept in recovery.sweep_dead_runs(instance, max_runtime_seconds=bound):
        console.say(f"marked failed {swept.job_name} {swept.partition or '-'} {swept.run_id}: {swept.reason}")
    return Runner(instance, engine, defs, console)


def process(
    settings: PlatformSettings, console: Console, *, settle_seconds: float = 0.0, build_marts: bool = True
) -> list[RunOutcome]:
    """Evaluate every landing sensor once and execute its runs, then the follow-ups, backfills and dbt.

    The landing zone may be a folder or an `s3://` prefix (core/landing_objects.py): each sensor takes every new
    file, however many. `build_marts=False` leaves the dbt build to the daemon's automation sensor.
    """
    from orchestration.core import landing_log
    from orchestration.core.partitions import FILE_PARTITIONS
    from orchestration.definitions import file_jobs

    runner = open_runner(settings, console)
    engine, instance = runner.engine, runner.instance
    evaluations = {}
    for domain in DOMAINS:  # every domain first, so the bar knows the file runs
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
            console.say(f"rejected {rejected.candidate.relative_path}: {rejected.code}: {rejected.reason}")
        evaluations[domain] = evaluation
        console.expect(len(evaluation.requests))
    for domain, evaluation in evaluations.items():
        cursor_name = f"process:{domain}"
        if evaluation.requests:
            partitions = FILE_PARTITIONS[domain]
            instance.add_dynamic_partitions(partitions.name, sorted({r.partition_key for r in evaluation.requests}))
            job = runner.defs.resolve_job_def(file_jobs[domain].name)
            for request in evaluation.requests:
                tags = {
                    **request.tags,
                    **recovery.worker_tags(),
                    "dagster/run_key": request.run_key,
                    "dagster/sensor_name": f"{domain}_landing_sensor",
                }
                if _already_ran(instance, job.name, request.run_key):
                    console.expect(-1)  # the same run key already ran (or is running): the same file runs once
                    continue
                runner.run(
                    job,
                    partition=request.partition_key,
                    file_name=request.tags["calcbridge/file_name"],
                    partition_key=request.partition_key,
                    tags=tags,
                )
        # Only now: a crash before this point re-evaluates these files next time (logged once, run once).
        landing_log.save_cursor(engine, cursor_name, evaluation.cursor)
    _follow_ups(runner)
    _equity_backfills(runner)
    marts_missing = instance.get_latest_materialization_event(dg.AssetKey(["marts", "uploads"])) is None
    if build_marts and (runner.outcomes or marts_missing):
        runner.dbt_build()
    return runner.outcomes


def _already_ran(instance: dg.DagsterInstance, job_name: str, run_key: str | None) -> bool:
    return bool(instance.get_runs_count(dg.RunsFilter(job_name=job_name, tags={"dagster/run_key": run_key or ""})))


def failed_partitions(instance: Any, domain: str | None, tenant: str | None) -> list[tuple[str, str]]:
    """(domain, partition) of every unresolved dead-letter run of a landing domain's file job, oldest first."""
    from orchestration.core.dlq import PARTITION_TAG, is_resolved, scan_dead_letters
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


def _follow_ups(runner: Runner) -> None:
    """Evaluate each follow-up sensor once from the CLI's own cursor and execute its runs: alerts, report re-renders.

    Runs carry the sensor's name and run key, so a run the daemon already made is not made again (and the
    daemon skips the ones made here): the same landing gives the same tables with or without the daemon.
    """
    from orchestration.core import landing_log

    instance, engine = runner.instance, runner.engine
    for name in FOLLOW_UP_SENSORS:
        sensor = runner.defs.get_sensor_def(name)
        cursor_name = f"process:{name}"
        context = dg.build_sensor_context(
            instance=instance,
            cursor=landing_log.load_cursor(engine, cursor_name),
            definitions=runner.defs,
            sensor_name=name,
            resources=runner.defs.resources,
        )
        with dg.partition_loading_context(dynamic_partitions_store=instance):  # as the daemon evaluates it
            tick = sensor.evaluate_tick(context)
        job = runner.defs.resolve_job_def(sensor.job_name)
        runner.console.expect(len(tick.run_requests))
        for request in tick.run_requests:
            if _already_ran(instance, job.name, request.run_key):
                runner.console.expect(-1)
                continue
            tags = {
                **request.tags,
                **recovery.worker_tags(),
                "dagster/run_key": request.run_key,
                "dagster/sensor_name": name,
            }
            runner.run(
                job,
                partition=request.partition_key or request.tags.get("clo_partition", "-"),
                run_config=request.run_config,
                partition_key=request.partition_key,
                tags=tags,
            )
        if tick.cursor is not None:
            landing_log.save_cursor(engine, cursor_name, tick.cursor)


def _equity_backfills(runner: Runner) -> None:
    """The daily equity chain over the last trading days for each new portfolio: what the backfill sensor requests."""
    from orchestration.core import landing_log
    from orchestration.equity.definitions import NEW_YORK, execute_backfills

    cursor_name = "process:equity_backfill"
    job = runner.defs.resolve_job_def("equity_daily_job")
    cursor = landing_log.load_cursor(runner.engine, cursor_name)
    today = dt.datetime.now(NEW_YORK).date()
    done, new_cursor = execute_backfills(job, runner.instance, runner.engine, cursor, today)
    if new_cursor:
        landing_log.save_cursor(runner.engine, cursor_name, new_cursor)
    runner.console.expect(len(done))
    for run_id, backfill_id, _ in done:
        runner.report(job.name, run_id, "backfill", backfill_id)


def rerun(
    settings: PlatformSettings,
    console: Console,
    domain: str | None,
    partition_keys: Sequence[str] = (),
    *,
    failed: bool = False,
    tenant: str | None = None,
) -> list[RunOutcome]:
    """Run file jobs again: for the given partitions of a domain, or (`failed`) for every unresolved DLQ item."""
    from orchestration.core import landing_log
    from orchestration.definitions import file_jobs

    runner = open_runner(settings, console)
    targets = list(failed_partitions(runner.instance, domain, tenant)) if failed else []
    targets += [(domain, key) for key in partition_keys if domain is not None and (domain, key) not in targets]
    console.expect(len(targets))
    for target_domain, key in targets:
        job = runner.defs.resolve_job_def(file_jobs[target_domain].name)
        record = landing_log.lookup(runner.engine, target_domain, key)
        tags = {
            "tenant": record.tenant_id if record else key.split(".")[0],
            "domain": target_domain,
            "calcbridge/rerun": "true",
            **recovery.worker_tags(),
        }
        if record:
            tags["calcbridge/file_name"] = record.file_name
        name = record.file_name if record else "?"
        runner.run(job, partition=key, file_name=name, partition_key=key, tags=tags)
    if runner.outcomes:
        _follow_ups(runner)
    if any(not o.failed for o in runner.outcomes):
        runner.dbt_build()
    return runner.outcomes


def backfill_equity(
    settings: PlatformSettings,
    console: Console,
    tenant: str,
    portfolio: str | None,
    start: dt.date,
    end: dt.date,
) -> tuple[list[RunOutcome], list[Any]]:
    """The daily equity chain over the sessions of [start, end], one backfill per portfolio, then dbt.

    Refuses (InputError) a range outside the trading-day partitions, an empty one, an unknown tenant or portfolio
    before anything runs. Returns the runs and the backfills (orchestration/equity/backfill.py).
    """
    from orchestration.equity import backfill, store
    from orchestration.equity.assets import TRADING_DAYS
    from orchestration.equity.config import settings as equity_settings

    first = dt.date.fromisoformat(TRADING_DAYS.get_first_partition_key() or "")
    last = dt.date.fromisoformat(TRADING_DAYS.get_last_partition_key() or "")
    sessions = backfill.sessions_in(start, end, first, last)
    runner = open_runner(settings, console)
    plans = backfill.plan(runner.engine, tenant, portfolio, sessions, equity_settings().etfs, dt.datetime.now(dt.UTC))
    job = runner.defs.resolve_job_def("equity_daily_job")
    console.expect(len(plans))
    for plan in plans:
        backfill.record(runner.engine, plan)
        label = f"{plan.tenant_id}/{plan.portfolio_id} {plan.start}..{plan.end}"
        outcome = runner.run(job, partition="backfill", file_name=label, tags={**plan.tags(), **recovery.worker_tags()})
        if outcome.failed:  # a run that failed before or between its steps leaves the row open: close it
            details = {"code": outcome.error_code or "RUN_FAILED", "message": "the run failed", "where": outcome.run_id}
            store.fail_open_backfill(runner.engine, plan.backfill_id, details)
    if any(not o.failed for o in runner.outcomes):
        runner.dbt_build()
    return runner.outcomes, plans
