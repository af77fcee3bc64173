"""One recovery path: a run killed mid-write leaves no partition out of step, shows in the DLQ, and is repaired.

`calcbridge process` runs a large CLO workbook in a subprocess; the test holds a SHARE lock on
analytics.clo_holdings, so the run's one write transaction stops at the holdings DELETE with its sheet rows
already COPYed (uncommitted), and kills the process with SIGKILL there. A covenants measurements file that
landed before its deals fails typed. `calcbridge process` then sweeps the dead run into the DLQ, and
`calcbridge rerun --failed` repairs both, turning the DLQ items resolved.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
import warnings

import pytest
import sqlalchemy as sa

from orchestration.clo import tables as clo_tables
from orchestration.compliance import tables as compliance_tables
from orchestration.core.dlq import dead_letter, scan_dead_letters
from orchestration.core.settings import PROJECT_ROOT
from orchestration.covenants import tables as covenant_tables
from tests.clo.files import BLOOMBERG_HEADERS, HOLDINGS, xlsxwriter_book
from tests.covenants.test_inputs import COVENANT, DEAL, MEASUREMENTS

pytestmark = pytest.mark.e2e

ROWS = 2_000
CLO_TABLES = [
    clo_tables.workbooks,
    clo_tables.sheet_rows,
    clo_tables.holdings,
    clo_tables.mapping_diagnostics,
    clo_tables.data_quality,
    clo_tables.anomalies,
    clo_tables.insights,
    compliance_tables.compliance_results,
]


def _large_workbook() -> bytes:
    template = [list(r) for r in HOLDINGS]
    rows = [list(BLOOMBERG_HEADERS)]
    for i in range(ROWS):
        row = list(template[i % len(template)])
        row[0] = f"{i:08d}X"  # distinct identifiers (check digits flagged, never dropped)
        rows.append(row)
    return xlsxwriter_book({"Holdings": rows})


def _counts(engine: sa.Engine, tenant: str) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t).where(t.c.tenant_id == tenant)).scalar_one()
            for t in CLO_TABLES
        }


def _blocked_on_holdings(engine: sa.Engine) -> int | None:
    """The backend pid of a write waiting for the lock on clo_holdings, if any."""
    query = sa.text(
        "select pid from pg_stat_activity"
        " where wait_event_type = 'Lock' and query ilike 'DELETE FROM analytics.clo_holdings%'"
    )
    with engine.connect() as conn:
        return conn.execute(query).scalar()


def _await_end(engine: sa.Engine, backend: int, seconds: float = 60) -> None:
    """Wait for the killed run's backend to end; past `seconds`, warn with its state and end it as an operator would.

    The backend notices its dead client when it next talks to it. In two of five loaded suites (2026-12-07) it was
    still there after 30 s, once after 120 s, cause unknown: its state goes into the warning so the case can be
    diagnosed. Ending it rolls the transaction back as the client's death would; what the test asserts after is
    that nothing of the run was ever committed.
    """
    alive = sa.text("select state, wait_event_type, wait_event, left(query, 80) from pg_stat_activity where pid = :pid")
    with engine.connect() as conn:
        for terminated in (False, True):
            deadline = time.monotonic() + seconds
            while (row := conn.execute(alive, {"pid": backend}).first()) is not None:
                assert not terminated or time.monotonic() < deadline, "the backend outlived its termination"
                if time.monotonic() > deadline:
                    warnings.warn(f"the killed run's backend {backend} lived on: {tuple(row)}", stacklevel=2)
                    conn.execute(sa.text("select pg_terminate_backend(:pid)"), {"pid": backend})
                    conn.commit()
                    break
                time.sleep(0.2)
            else:
                return


def _dlq(platform, tenant: str) -> dict[str, tuple[str, str]]:
    """Dead-letter items of the tenant by domain: (error type, status)."""
    records, _ = scan_dead_letters(platform.instance, tenant)
    items = [dead_letter(platform.instance, r) for r in records]
    return {i.task_args["domain"]: (i.error_type, i.status) for i in items}


def test_a_killed_run_and_a_file_early_for_its_deals_are_swept_listed_and_repaired(platform, tmp_path):
    tenant = f"rec-{uuid.uuid4().hex[:6]}"
    src = tmp_path / "src"
    src.mkdir()
    (src / "large.xlsx").write_bytes(_large_workbook())
    platform.run_cli("ingest", str(src / "large.xlsx"), "--tenant", tenant, "--domain", "clo")

    engine = platform.warehouse
    with engine.connect() as holder:
        holder.execute(sa.text("lock table analytics.clo_holdings in share mode"))
        worker = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", "process"],
            env=platform.env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 300
        backend = None
        while backend is None and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
            backend = _blocked_on_holdings(engine)
        assert backend is not None, "the run never reached its holdings write"
        # Mid-write: the sheet rows are COPYed inside the open transaction, and no reader sees any of them.
        assert _counts(engine, tenant) == dict.fromkeys((t.name for t in CLO_TABLES), 0)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(30)
        holder.rollback()
    _await_end(engine, backend)
    assert _counts(engine, tenant) == dict.fromkeys((t.name for t in CLO_TABLES), 0)  # rolled back whole

    # Measurements that land before their deals, then the deals; `process` also sweeps the dead run.
    (src / "q1.json").write_text(json.dumps(MEASUREMENTS))
    platform.run_cli("ingest", str(src / "q1.json"), "--tenant", tenant, "--domain", "covenants")
    (src / "deals.json").write_text(json.dumps({"deals": [DEAL], "covenants": [COVENANT]}))
    platform.run_cli("ingest", str(src / "deals.json"), "--tenant", tenant, "--domain", "covenants")
    swept = platform.run_cli("process", check=False)
    assert "marked failed clo_files_job" in swept.stdout, swept.stdout
    assert _dlq(platform, tenant) == {
        "clo": ("UNEXPECTED_TERMINATION", "failed"),
        "covenants": ("UNKNOWN_DEAL", "failed"),
    }

    repaired = platform.run_cli("rerun", "--failed", "--tenant", tenant)
    assert "2 failed" not in repaired.stdout
    assert _dlq(platform, tenant) == {
        "clo": ("UNEXPECTED_TERMINATION", "resolved"),
        "covenants": ("UNKNOWN_DEAL", "resolved"),
    }
    counts = _counts(engine, tenant)
    assert counts["clo_workbooks"] == 1
    assert counts["clo_holdings"] == ROWS
    assert counts["clo_sheet_rows"] == ROWS + 1
    assert counts["clo_data_quality"] == 1
    assert counts["clo_compliance_results"] > 0
    with engine.connect() as conn:
        status = conn.execute(
            sa.select(clo_tables.workbooks.c.status).where(clo_tables.workbooks.c.tenant_id == tenant)
        ).scalar_one()
        evaluations = conn.execute(
            sa.select(covenant_tables.evaluations.c.status).where(covenant_tables.evaluations.c.tenant_id == tenant)
        ).scalars()
        assert (status, list(evaluations)) == ("processed", ["OK"])
    # Nothing is left to repair.
    assert "no failed partitions" in platform.run_cli("rerun", "--failed", "--tenant", tenant).stdout
