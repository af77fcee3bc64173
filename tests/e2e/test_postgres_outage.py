"""Postgres stopped mid-run: the partition stays wholly the previous version, the run shows in the DLQ, rerun repairs.

The test runs its own embedded server under a second CALCBRIDGE_HOME, so stopping it touches no other test.
A SHARE lock on analytics.clo_holdings holds the run's one write transaction at the holdings DELETE, with its
sheet rows COPYed but uncommitted; the server is then stopped (`pg_ctl stop -m fast`: every session is
disconnected and its transaction rolled back) and started again by the next `calcbridge` command.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
import sqlalchemy as sa

from orchestration.core import postgres
from orchestration.core.settings import PROJECT_ROOT, PlatformSettings
from tests.e2e.second_home import cli, home_env, runtime_env
from tests.e2e.test_recovery import CLO_TABLES, ROWS, _blocked_on_holdings, _counts, _large_workbook

pytestmark = pytest.mark.e2e

WORKER_EXIT_S = 120
"""How long a worker whose database vanished may take to give up before the test kills it, as an operator would."""


def test_postgres_stopped_mid_write_leaves_nothing_out_of_step_and_rerun_repairs(tmp_path):
    home = tmp_path / "home"
    settings = PlatformSettings(home=home)
    env = home_env(home)
    tenant = f"pgo-{uuid.uuid4().hex[:6]}"
    (tmp_path / "large.xlsx").write_bytes(_large_workbook())
    cli(env, "db", "up")
    cli(env, "ingest", str(tmp_path / "large.xlsx"), "--tenant", tenant, "--domain", "clo")
    engine = sa.create_engine(postgres.warehouse_url(settings), poolclass=sa.NullPool)
    try:
        holder = engine.connect()
        holder.execute(sa.text("lock table analytics.clo_holdings in share mode"))
        worker = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", "process"],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 300
            while _blocked_on_holdings(engine) is None:
                assert worker.poll() is None, "the run ended before its write"
                assert time.monotonic() < deadline, "the run never reached its write"
                time.sleep(0.2)
            assert _counts(engine, tenant) == dict.fromkeys((t.name for t in CLO_TABLES), 0)
            assert postgres.stop_embedded(settings)
            holder.invalidate()
            try:
                worker.wait(WORKER_EXIT_S)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(30)
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)

        # The server comes back. The sweep that `process` and `rerun` start with fails the run that could
        # not record its own end, so the DLQ lists it.
        cli(env, "db", "up")
        engine.dispose()
        engine = sa.create_engine(postgres.warehouse_url(settings), poolclass=sa.NullPool)
        assert _counts(engine, tenant) == dict.fromkeys((t.name for t in CLO_TABLES), 0)
        instance_env = {**env, **runtime_env(settings)}
        swept, items, runs = _sweep_and_list(instance_env, tenant)
        assert swept == ["clo_files_job"], (worker.returncode, runs)
        assert [(i["domain"], i["status"]) for i in items] == [("clo", "failed")], items

        repaired = cli(env, "rerun", "--failed", "--tenant", tenant)
        assert "1 failed" not in repaired.stdout, repaired.stdout
        counts = _counts(engine, tenant)
        assert counts["clo_workbooks"] == counts["clo_data_quality"] == 1
        assert counts["clo_holdings"] == ROWS
        assert counts["clo_sheet_rows"] == ROWS + 1
        assert counts["clo_compliance_results"] > 0
        assert [(i["domain"], i["status"]) for i in _sweep_and_list(instance_env, tenant)[1]] == [("clo", "resolved")]
    finally:
        engine.dispose()
        postgres.stop_embedded(settings)


def _sweep_and_list(env: dict[str, str], tenant: str) -> tuple[list[str], list[dict[str, str]], list[list[str]]]:
    """Sweep dead runs as `calcbridge process` does, then the tenant's DLQ items, in a child on the second instance."""
    script = (
        "import json, sys, dagster as dg\n"
        "from orchestration.core.dlq import dead_letter, scan_dead_letters\n"
        "from orchestration.core.recovery import sweep_dead_runs\n"
        "with dg.DagsterInstance.get() as instance:\n"
        "    swept = [r.job_name for r in sweep_dead_runs(instance, max_runtime_seconds=3600)]\n"
        "    records, _ = scan_dead_letters(instance, sys.argv[1])\n"
        "    items = [dead_letter(instance, r) for r in records]\n"
        "    runs = [(r.dagster_run.job_name, r.dagster_run.status.value, r.dagster_run.tags.get('calcbridge/pid'))"
        " for r in instance.get_run_records()]\n"
        "    print(json.dumps([swept, [{'domain': i.task_args['domain'], 'status': i.status} for i in items], runs]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, tenant], env=env, capture_output=True, text=True, check=True, timeout=120
    )
    swept, items, runs = json.loads(out.stdout.strip().splitlines()[-1])
    return swept, items, runs
