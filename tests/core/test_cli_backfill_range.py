"""`calcbridge backfill equity`: the sessions of a range, and the one-line typed refusals of a bad one."""

from __future__ import annotations

import datetime as dt

import pytest

from orchestration.core.errors import InputError
from orchestration.equity.backfill import Backfill, parse_day, sessions_in
from tests.e2e.second_home import cli, home_env

FIRST, LAST = dt.date(2024, 1, 2), dt.date(2026, 12, 4)


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def test_the_sessions_of_a_range_skip_weekends_and_nyse_holidays():
    # 2024-03-25 (Mon) .. 2024-04-05 (Fri): ten weekdays, less Good Friday 2024-03-29 when NYSE closed.
    expected = [
        "2024-03-25", "2024-03-26", "2024-03-27", "2024-03-28",
        "2024-04-01", "2024-04-02", "2024-04-03", "2024-04-04", "2024-04-05",
    ]  # fmt: skip
    assert sessions_in(_d("2024-03-25"), _d("2024-04-05"), FIRST, LAST) == tuple(map(_d, expected))
    # Ends that are not sessions are fine: 2024-06-15 (Sat) .. 2024-06-20 (Thu) = Mon, Tue and Thu (Wed 06-19 is
    # Juneteenth, closed).
    expected = (_d("2024-06-17"), _d("2024-06-18"), _d("2024-06-20"))
    assert sessions_in(_d("2024-06-15"), _d("2024-06-20"), FIRST, LAST) == expected


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        ("2024-04-05", "2024-03-25", "BACKFILL_RANGE_INVALID"),
        ("2023-12-01", "2024-01-05", "BACKFILL_RANGE_OUTSIDE_PARTITIONS"),
        ("2026-12-01", "2026-12-31", "BACKFILL_RANGE_OUTSIDE_PARTITIONS"),
        ("2024-03-30", "2024-03-31", "BACKFILL_RANGE_EMPTY"),  # a weekend
        ("2024-03-29", "2024-03-29", "BACKFILL_RANGE_EMPTY"),  # Good Friday
    ],
)
def test_a_bad_range_is_a_typed_error(start, end, code):
    with pytest.raises(InputError) as raised:
        sessions_in(_d(start), _d(end), FIRST, LAST)
    assert raised.value.code == code


def test_a_date_that_is_not_one_is_a_typed_error():
    with pytest.raises(InputError) as raised:
        parse_day("2024-13-01")
    assert raised.value.code == "INVALID_DATE"


def test_the_run_is_tagged_with_its_range_and_backfill():
    backfill = Backfill("b1", "acme", "p1", (_d("2024-03-25"), _d("2024-03-26")), 9)
    assert backfill.tags() == {
        "dagster/asset_partition_range_start": "2024-03-25",
        "dagster/asset_partition_range_end": "2024-03-26",
        "calcbridge/backfill_id": "b1",
        "tenant": "acme",
        "domain": "equity",
    }


def test_the_command_refuses_a_reversed_range_in_one_line_before_touching_a_database(tmp_path):
    home = tmp_path / "home"
    args = ["backfill", "equity", "--tenant", "acme", "--start", "2024-04-05", "--end", "2024-03-25"]
    result = cli(home_env(home), *args, check=False, timeout=300)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: BACKFILL_RANGE_INVALID: the start 2024-04-05 is after the end 2024-03-25"
        " (at calcbridge backfill equity)\n"
    )
    assert not (home / "pg").exists()
    assert list(home.glob("logs/*")) == []


def test_a_bad_environment_override_is_one_line_naming_the_variable_before_any_run(tmp_path):
    home = tmp_path / "home"
    result = cli({**home_env(home), "CALCBRIDGE_PRICE_SOURCE": "bloomberg"}, "process", check=False, timeout=300)
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: INVALID_EQUITY_CONFIG: Input should be 'synthetic', 'csv' or 'polygon' (at ")
    assert line.endswith("factors.yaml with $CALCBRIDGE_PRICE_SOURCE: price_source.kind)")
    assert not (home / "pg").exists()  # refused before the database starts
