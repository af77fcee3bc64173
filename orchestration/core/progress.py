"""What `calcbridge` prints while it runs jobs: a line per finished run, a progress bar, the summary table.

Everything else the process writes while it works (Dagster's event stream, dbt's log, library warnings) goes
to one log file per command under CALCBRIDGE_HOME/logs/ (`streams_to`); the instance's event log, which the
UI reads, is stored as always. `--verbose` leaves the streams on the terminal instead.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

BAR_WIDTH = 30
KEEP_LOGS = 20
"""Log files kept per command; older ones are removed when a new one starts."""
CLEAR_LINE = "\r\x1b[2K"


@dataclass
class RunOutcome:
    """One run a command executed: a line as it finishes and a row of the summary."""

    job: str
    partition: str
    file_name: str
    run_id: str
    status: str
    seconds: float | None = None
    error_code: str | None = None
    """The typed input-error code of a failed run (else its exception's class), as `/api/v1/dlq` reports it."""

    @property
    def failed(self) -> bool:
        return self.status != "SUCCESS"


def run_line(outcome: RunOutcome) -> str:
    """`job  STATUS  file (or partition)  duration  [error code]`: one line a person reads."""
    target = outcome.file_name if outcome.file_name != "-" else outcome.partition
    seconds = "-" if outcome.seconds is None else f"{outcome.seconds:.1f}s"
    code = f"  {outcome.error_code}" if outcome.failed and outcome.error_code else ""
    return f"{outcome.job:24} {outcome.status:7}  {target:40} {seconds:>7}{code}"


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """A plain-text progress bar, e.g. `[###########...................] 12/32`."""
    total = max(total, done, 1)
    filled = width * done // total
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


class Console:
    """The command's own output: messages and run lines, with a bar over the runs when the stream is a terminal.

    The total grows as a command learns of more runs (follow-ups and backfills are known only once the runs
    before them are done). `echo` also receives every line (the log file, so the file reads in order).
    """

    def __init__(self, stream: TextIO, *, echo: TextIO | None = None, show_bar: bool | None = None) -> None:
        self.stream = stream
        self.echo = echo
        self.show_bar = stream.isatty() if show_bar is None else show_bar
        self.total = 0
        self.done = 0
        self._bar_drawn = False

    def expect(self, runs: int) -> None:
        """`runs` more runs are coming (negative: fewer, when a request turns out to have run already)."""
        if runs:
            self.total += runs
            self._draw()

    def say(self, text: str) -> None:
        """A message line (a refused file, a swept run, the summary)."""
        self._clear()
        self.stream.write(text + "\n")
        if self.echo is not None:
            self.echo.write(text + "\n")
            self.echo.flush()
        self._draw()

    def finished(self, outcome: RunOutcome) -> None:
        """A run ended: its line, and the bar moves on."""
        self.done += 1
        self.say(run_line(outcome))

    def close(self) -> None:
        """Remove the bar, leaving only the lines."""
        self._clear()
        self.show_bar = False

    def _clear(self) -> None:
        if self._bar_drawn:
            self.stream.write(CLEAR_LINE)
            self._bar_drawn = False

    def _draw(self) -> None:
        if self.show_bar and self.total:
            self.stream.write(CLEAR_LINE + bar(self.done, self.total))
            self._bar_drawn = True
        self.stream.flush()


def summary(console: Console, outcomes: Sequence[RunOutcome]) -> int:
    """The table of every run and the count line (the runs are over: no bar); 1 when any run failed."""
    console.close()
    width = max(len(o.file_name) for o in outcomes)
    console.say(f"{'status':8} {'job':22} {'partition':28} {'file':{width}} run_id")
    for o in outcomes:
        console.say(f"{o.status:8} {o.job:22} {o.partition:28} {o.file_name:{width}} {o.run_id}")
    failed = [o for o in outcomes if o.failed]
    console.say(f"{len(outcomes) - len(failed)} succeeded, {len(failed)} failed")
    return 1 if failed else 0


def log_file(logs: Path, command: str, now: dt.datetime | None = None, keep: int = KEEP_LOGS) -> Path:
    """A new log file for one invocation, `<command>-<UTC time>-<pid>.log`; the oldest beyond `keep` go."""
    logs.mkdir(parents=True, exist_ok=True)
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%S")
    earlier = sorted(logs.glob(f"{command}-*.log"))
    for old in earlier[: max(0, len(earlier) - keep + 1)]:
        old.unlink(missing_ok=True)
    return logs / f"{command}-{stamp}-{os.getpid()}.log"


@contextmanager
def streams_to(path: Path) -> Iterator[TextIO]:
    """Send file descriptors 1 and 2 to `path` for the block; yield a text stream on the former stdout.

    At the descriptor level, as Dagster captures compute logs, so the event stream, dbt's output and child
    processes all land in the file. The descriptors are restored before an exception leaves the block, so a
    traceback still reaches the terminal.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(1), "w", encoding=sys.stdout.encoding or "utf-8", errors="replace")
    try:
        with path.open("ab") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            try:
                yield terminal
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
    finally:
        terminal.close()
        for fd in saved:
            os.close(fd)
