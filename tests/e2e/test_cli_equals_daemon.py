"""The CLI equals the daemon: one landing gives the same alert history and reports either way.

Tenant `cli-…` is processed by `calcbridge process` in a subprocess. Tenant `dmn-…` gets the same files and
is processed the way the daemon does it: each landing sensor ticks, its runs execute, then the follow-up
sensors (alerts after compliance, the report re-render after a reconciliation) tick and their runs execute,
every request deduplicated by run key as the daemon deduplicates it.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import dagster as dg
import pytest
import sqlalchemy as sa

from orchestration.clo import demo as clo_demo
from orchestration.compliance import tables as compliance_tables
from orchestration.core.settings import DOMAINS
from orchestration.reconciliation import demo as recon_demo
from orchestration.reports import tables as report_tables

pytestmark = pytest.mark.e2e

FOLLOW_UPS = ("compliance_alert_sensor", "reports_after_reconciliation")


def _land(platform, src, tenant: str) -> None:
    """The demo workbook of the statement's report date, and the trustee statement naming that date."""
    folder = src / tenant
    folder.mkdir()
    workbook = folder / "clo_2026_01.xlsx"
    workbook.write_bytes(
        clo_demo.workbook_bytes(clo_demo.next_month(clo_demo.generate_holdings()), recon_demo.REPORT_DATE)
    )
    workbook.with_name(f"{workbook.name}.meta.json").write_text(json.dumps(clo_demo.sidecar(recon_demo.REPORT_DATE)))
    statement = folder / recon_demo.STATEMENT_NAME
    statement.write_bytes(recon_demo.statement_bytes())
    statement.with_name(f"{statement.name}.meta.json").write_text(json.dumps(recon_demo.statement_sidecar()))
    platform.run_cli("ingest", str(workbook), "--tenant", tenant, "--domain", "clo")
    platform.run_cli("ingest", str(statement), "--tenant", tenant, "--domain", "trustee")


def _tick(defs: dg.Definitions, instance: dg.DagsterInstance, name: str, cursors: dict[str, Any], tenant: str) -> int:
    """One daemon tick of a sensor: evaluate it from its cursor and execute each request not yet run.

    Returns how many of the tenant's runs it executed; those must succeed (other tests' runs are theirs).
    """
    sensor = defs.get_sensor_def(name)
    context = dg.build_sensor_context(
        instance=instance, cursor=cursors.get(name), definitions=defs, sensor_name=name, resources=defs.resources
    )
    result = sensor(context)  # a SensorResult; its new partitions are added before its runs, as the daemon does
    cursors[name] = result.cursor
    for request in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys or []))
    job = defs.resolve_job_def(sensor.job_name)
    ran = 0
    for request in result.run_requests:
        tags = {**request.tags, "dagster/run_key": request.run_key, "dagster/sensor_name": name}
        if instance.get_runs_count(dg.RunsFilter(tags={"dagster/run_key": request.run_key})):
            continue
        run = job.execute_in_process(
            instance=instance,
            run_config=request.run_config,
            partition_key=request.partition_key,
            tags=tags,
            raise_on_error=False,
        )
        if request.tags.get("tenant") == tenant:
            assert run.success, name
            ran += 1
    return ran


def _alerts(engine: sa.Engine, tenant: str) -> list[tuple]:
    t = compliance_tables.alert_history
    query = sa.select(t.c.rule_id, t.c.metric, t.c.operator, t.c.threshold, t.c.value, t.c.severity).where(
        t.c.tenant_id == tenant
    )
    with engine.connect() as conn:
        return sorted(tuple(row) for row in conn.execute(query))


def _reports(engine: sa.Engine, tenant: str) -> list[tuple]:
    t = report_tables.reports
    query = sa.select(t.c.template, t.c.format, t.c.sections, t.c.reconciliation_id.is_not(None), t.c.report_date)
    with engine.connect() as conn:
        rows = conn.execute(query.where(t.c.tenant_id == tenant))
        return sorted((r[0], r[1], json.dumps(r[2], sort_keys=True), r[3], r[4]) for r in rows)


def test_one_landing_gives_the_same_alerts_and_reports_from_the_cli_and_the_daemon(platform, tmp_path):
    from orchestration.definitions import defs

    suffix = uuid.uuid4().hex[:6]
    cli, daemon = f"cli-{suffix}", f"dmn-{suffix}"
    _land(platform, tmp_path, cli)
    platform.run_cli("process")

    _land(platform, tmp_path, daemon)
    time.sleep(platform.settings.landing_settle_seconds)  # a tick skips files younger than this: the next runs them
    cursors: dict[str, Any] = {}
    for domain in DOMAINS:
        _tick(defs, platform.instance, f"{domain}_landing_sensor", cursors, daemon)
    assert sum(_tick(defs, platform.instance, name, cursors, daemon) for name in FOLLOW_UPS) == 2  # alerts, report

    engine = platform.warehouse
    cli_alerts = _alerts(engine, cli)
    # The demo workbook's CCC share is above the default rule's 7.5 % (worked in tests/compliance).
    assert "ccc-bucket-critical" in {a[0] for a in cli_alerts}
    assert cli_alerts == _alerts(engine, daemon)
    cli_reports = _reports(engine, cli)
    assert cli_reports
    assert all(r[3] for r in cli_reports)  # every report shows the reconciliation
    assert cli_reports == _reports(engine, daemon)
    # The daemon's follow-up sensors find nothing the CLI has not already run for its tenant.
    assert sum(_tick(defs, platform.instance, name, cursors, cli) for name in FOLLOW_UPS) == 0


def _scalar(engine: sa.Engine, query: sa.TextClause) -> Any:
    """One query in its own transaction (pg_stat_activity is a snapshot per transaction)."""
    with engine.connect() as conn:
        return conn.execute(query).scalar()


def test_a_dbt_build_waits_for_the_one_running_on_the_same_warehouse(platform):
    """Builds are serialised by one advisory lock, so a daemon build and `calcbridge process` never collide."""
    import threading
    import time

    from dagster_dbt import DbtCliResource

    from orchestration.core.dbt import DBT_EXECUTABLE, DBT_LOCK, dbt_models, dbt_project
    from orchestration.core.resources import WarehouseResource
    from orchestration.core.warehouse import exclusive

    outcome: dict[str, bool] = {}

    def build() -> None:
        result = dg.materialize(
            [dbt_models],
            selection=dg.AssetSelection.keys(dg.AssetKey(["marts", "uploads"])).upstream()
            & dg.AssetSelection.assets(dbt_models),
            instance=platform.instance,
            resources={
                "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
                "warehouse": WarehouseResource(),
            },
            raise_on_error=False,
        )
        outcome["success"] = result.success
        if not result.success:
            outcome["error"] = str([e.message for e in result.all_events if e.is_failure])[:3000]

    waiting = sa.text("select count(*) from pg_stat_activity where wait_event = 'advisory' and query ilike '%lock%'")
    with exclusive(platform.warehouse, DBT_LOCK):  # the build already running elsewhere
        builder = threading.Thread(target=build)
        builder.start()
        deadline = time.monotonic() + 60
        while not _scalar(platform.warehouse, waiting) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _scalar(platform.warehouse, waiting) == 1, f"the build did not wait for the lock: {outcome}"
        assert builder.is_alive()
        assert "success" not in outcome
    builder.join(300)
    assert outcome == {"success": True}
