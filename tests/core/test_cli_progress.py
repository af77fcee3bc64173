"""What `calcbridge` prints while it runs jobs: run lines, the bar (terminals only), the log file and its streams."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

from orchestration.core.progress import CLEAR_LINE, Console, RunOutcome, bar, log_file, run_line
from orchestration.core.settings import PROJECT_ROOT

GOOD = RunOutcome("clo_files_job", "acme.clo.ab12", "holdings.xlsx", "r1", "SUCCESS", 2.34)
BAD = RunOutcome("clo_files_job", "acme.clo.cd34", "broken.xlsx", "r2", "FAILURE", 0.5, "WORKBOOK_INVALID_FORMAT")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_run_line_names_job_status_file_duration_and_the_code_of_a_failure():
    assert run_line(GOOD).split() == ["clo_files_job", "SUCCESS", "holdings.xlsx", "2.3s"]
    assert run_line(BAD).split() == ["clo_files_job", "FAILURE", "broken.xlsx", "0.5s", "WORKBOOK_INVALID_FORMAT"]
    dbt = RunOutcome("dbt_build_job", "-", "-", "r3", "SUCCESS", 41.0)
    assert run_line(dbt).split() == ["dbt_build_job", "SUCCESS", "-", "41.0s"]


def test_the_bar_fills_in_proportion():
    # 30 cells × 12/26 = 13.8: 13 filled, 17 empty.
    assert bar(12, 26) == "[" + "#" * 13 + "." * 17 + "] 12/26"
    assert bar(0, 4, width=4) == "[....] 0/4"
    assert bar(4, 4, width=4) == "[####] 4/4"


def test_no_bar_when_the_stream_is_not_a_terminal():
    stream = io.StringIO()
    console = Console(stream)
    console.expect(2)
    console.finished(GOOD)
    console.finished(BAD)
    console.close()
    assert stream.getvalue() == run_line(GOOD) + "\n" + run_line(BAD) + "\n"


def test_on_a_terminal_the_bar_redraws_under_the_lines_and_goes_at_the_end():
    stream, log = Terminal(), io.StringIO()
    console = Console(stream, echo=log)
    console.expect(2)
    console.finished(GOOD)
    console.close()
    text = stream.getvalue()
    assert text == (CLEAR_LINE + bar(0, 2) + CLEAR_LINE + run_line(GOOD) + "\n" + CLEAR_LINE + bar(1, 2) + CLEAR_LINE)
    assert log.getvalue() == run_line(GOOD) + "\n"  # the log file reads the lines, never the bar


def test_a_log_file_per_invocation_and_only_the_latest_kept(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    for i in range(25):
        (logs / f"process-2026010{i // 10}T0000{i % 10:02d}-1.log").write_text("old")
    (logs / "rerun-20260101T000000-1.log").write_text("another command's")
    now = dt.datetime(2026, 12, 7, 16, 5, 9, tzinfo=dt.UTC)
    path = log_file(logs, "process", now, keep=20)
    assert path == logs / f"process-20261207T160509-{os.getpid()}.log"
    kept = sorted(p.name for p in logs.glob("process-*.log"))
    assert len(kept) == 19  # 19 earlier + the new one = 20
    assert kept[0] == "process-20260100T000006-1.log"  # the six oldest went
    assert (logs / "rerun-20260101T000000-1.log").exists()


def test_streams_go_to_the_log_file_and_the_console_to_the_terminal(tmp_path):
    """Descriptor-level: a print, a child process and a warning all land in the file; the console's line does not."""
    log = tmp_path / "run.log"
    script = (
        "import subprocess, sys, warnings\n"
        "from pathlib import Path\n"
        "from orchestration.core.progress import Console, streams_to\n"
        "with streams_to(Path(sys.argv[1])) as terminal:\n"
        "    print('2026-12-07 - dagster - DEBUG - RUN_START')\n"
        "    subprocess.run(['sh', '-c', 'echo from a child; echo child err >&2'], check=True)\n"
        "    warnings.warn('a library warning')\n"
        "    Console(terminal).say('clo_files_job SUCCESS')\n"
        "print('after')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(log)], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "clo_files_job SUCCESS\nafter\n"
    assert result.stderr == ""
    text = Path(log).read_text()
    for expected in ("DEBUG - RUN_START", "from a child", "child err", "a library warning"):
        assert expected in text
    assert "clo_files_job SUCCESS" not in text


def test_a_crash_inside_restores_the_terminal_for_the_traceback(tmp_path):
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from orchestration.core.progress import streams_to\n"
        "with streams_to(Path(sys.argv[1])):\n"
        "    raise RuntimeError('boom')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "x.log")], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert "RuntimeError: boom" in result.stderr
