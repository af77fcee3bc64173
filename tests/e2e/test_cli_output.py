"""A CLI a person reads: `calcbridge process` prints one line per run, not Dagster's event stream.

One good and one broken workbook are landed for a tenant of their own and processed by the real CLI in a
subprocess (the session's CALCBRIDGE_HOME). Each run is one line (job, status, file, duration; the typed error
code of the broken one); the DEBUG event stream is in the invocation's log file under CALCBRIDGE_HOME/logs/,
not on the terminal; `--verbose` brings it back.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from orchestration.core.landing import copy_into_landing
from tests.e2e.second_home import skip_earlier_portfolios

pytestmark = pytest.mark.e2e

NOT_A_WORKBOOK = b"PK\x03\x04 this is not a zip archive, it only starts like one"
DURATION = re.compile(r"^\d+\.\ds$")


def _rows(stdout: str, file_name: str) -> tuple[list[str], list[str]]:
    """The run line and the summary row of one file (each split into fields)."""
    fields = [line.split() for line in stdout.splitlines()]
    lines = [f for f in fields if f[:1] == ["clo_files_job"] and file_name in f]
    rows = [f for f in fields if f[1:2] == ["clo_files_job"] and file_name in f]
    assert len(lines) == 1, stdout
    assert len(rows) == 1, stdout
    return lines[0], rows[0]


def test_process_prints_a_line_per_run_and_keeps_the_event_stream_in_a_log_file(platform, tmp_path):
    tenant = f"out-{uuid.uuid4().hex[:6]}"
    good, broken = tmp_path / "holdings.csv", tmp_path / "broken.xlsx"
    good.write_text(f"cusip,issuer_name,par_amount\n123456AB7,{tenant} Widgets,1000000\n")
    broken.write_bytes(NOT_A_WORKBOOK)
    for path in (good, broken):
        copy_into_landing(path, platform.settings.landing, tenant, "clo")
    skip_earlier_portfolios(platform.warehouse)

    result = platform.run_cli("process", check=False)
    assert result.returncode == 1, result.stdout + result.stderr  # one run failed

    line, row = _rows(result.stdout, "holdings.csv")
    assert line[1:3] == ["SUCCESS", "holdings.csv"]
    assert DURATION.match(line[3])
    assert len(line) == 4  # no error code
    assert row[0] == "SUCCESS"
    line, row = _rows(result.stdout, "broken.xlsx")
    assert line[1:3] == ["FAILURE", "broken.xlsx"]
    assert DURATION.match(line[3])
    assert line[4:] == ["WORKBOOK_INVALID_FORMAT"]  # clo/reader.py: a file that is not an Excel package
    assert row[0] == "FAILURE"
    broken_partition, broken_run = row[2], row[4]
    assert any(f.split()[:2] == ["dbt_build_job", "SUCCESS"] for f in result.stdout.splitlines())

    for stream in (result.stdout, result.stderr):
        assert " - DEBUG - " not in stream
        assert "RUN_START" not in stream
    (log_line,) = [x for x in result.stdout.splitlines() if x.startswith("log: ")]
    log = Path(log_line.removeprefix("log: "))
    assert log.parent == platform.settings.home / "logs"
    text = log.read_text()
    assert re.search(rf" - DEBUG - clo_files_job - {broken_run} - \d+ - RUN_START - ", text)
    assert re.search(rf" - ERROR - clo_files_job - {broken_run} - \d+ - RUN_FAILURE - ", text)
    assert "Running with dbt=" in text  # dbt's own log too

    again = platform.run_cli("rerun", "--verbose", "--domain", "clo", broken_partition, check=False)
    assert again.returncode == 1
    assert re.search(r" - DEBUG - clo_files_job - [0-9a-f-]{36} - \d+ - RUN_START - ", again.stderr)
    line, _ = _rows(again.stdout, "broken.xlsx")
    assert line[1:3] == ["FAILURE", "broken.xlsx"]
    assert line[4:] == ["WORKBOOK_INVALID_FORMAT"]
    assert not any(x.startswith("log: ") for x in again.stdout.splitlines())
