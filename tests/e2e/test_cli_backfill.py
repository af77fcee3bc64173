"""`calcbridge backfill equity`: a small portfolio's daily chain over a chosen range, as one tagged run, then dbt.

The positions file is landed and parsed in process (as the sensor's run would), then the real CLI runs in a
subprocess on the session's CALCBRIDGE_HOME. Expected figures are counted by hand from the NYSE calendar.
"""

from __future__ import annotations

import datetime as dt
import uuid

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from orchestration.core import landing_log
from orchestration.core.errors import InputError
from orchestration.equity import backfill
from orchestration.equity import tables as equity_tables
from tests.equity.conftest import Lander

pytestmark = pytest.mark.e2e

BOOK = (
    "ticker,quantity,entry_price,entry_date,tags\nAAPL,100,170.00,2024-03-01,core\nMSFT,-50,400.00,2024-03-01,hedge\n"
)
START, END = "2024-03-23", "2024-04-07"
SESSIONS = 9
"""Sat 2024-03-23 .. Sun 2024-04-07: the weekdays 03-25..03-28 and 04-01..04-05, less Good Friday 03-29 = 4 + 5."""


@pytest.fixture(scope="module")
def landed(platform, tmp_path_factory) -> str:
    """A tenant with one portfolio of two stocks, parsed into raw.equity_positions; the tenant id."""
    tenant = f"bf-{uuid.uuid4().hex[:6]}"
    lander = Lander(platform=platform, root=tmp_path_factory.mktemp("backfill"))
    key = lander.land(tenant, "book.csv", BOOK, '{"portfolio_id": "P1", "name": "CLI book"}')
    assert lander.positions(key).success
    with platform.warehouse.connect() as conn:  # `process` would backfill 90 days for it: not what is tested here
        latest = conn.scalar(sa.select(sa.func.max(equity_tables.portfolios.c.landed_at)))
    landing_log.save_cursor(platform.warehouse, "process:equity_backfill", pd.Timestamp(latest).isoformat())
    return tenant


def _count(engine: sa.Engine, query: str, **params: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(query), params).scalar_one())


def test_a_range_runs_as_one_tagged_run_and_every_session_is_served(platform, landed):
    tenant = landed
    args = ["backfill", "equity", "--tenant", tenant, "--portfolio", "P1", "--start", START, "--end", END]
    result = platform.run_cli(*args)
    lines = [line.split() for line in result.stdout.splitlines()]
    (line,) = [f for f in lines if f[:1] == ["equity_daily_job"]]
    assert line[1:4] == ["SUCCESS", f"{tenant}/P1", "2024-03-25..2024-04-05"]
    assert any(f[:2] == ["dbt_build_job", "SUCCESS"] for f in lines)
    (final,) = [f for f in lines if f[:1] == ["backfill"]]
    assert final[2:] == [f"{tenant}/P1", "2024-03-25..2024-04-05", f"({SESSIONS}", "trading", "days):", "completed"]
    assert " - DEBUG - " not in result.stdout + result.stderr

    backfill_id = final[1]
    (run,) = platform.instance.get_runs(dg.RunsFilter(tags={"calcbridge/backfill_id": backfill_id}))
    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert run.job_name == "equity_daily_job"
    assert run.tags["dagster/asset_partition_range_start"] == "2024-03-25"
    assert run.tags["dagster/asset_partition_range_end"] == "2024-04-05"

    engine = platform.warehouse
    stored = _count(
        engine,
        "select count(distinct as_of_date) from analytics.equity_position_valuations"
        " where tenant_id = :t and portfolio_id = 'P1' and as_of_date between :s and :e",
        t=tenant,
        s=dt.date.fromisoformat(START),
        e=dt.date.fromisoformat(END),
    )
    assert stored == SESSIONS
    served = _count(
        engine,
        "select count(*) from marts.equity_portfolio_daily where tenant_id = :t and portfolio_id = 'P1'",
        t=tenant,
    )
    assert served == SESSIONS
    progress = _count(
        engine,
        "select count(*) from marts.equity_backfill_progress where backfill_id = :b and status = 'completed'"
        " and start_date = '2024-03-25' and end_date = '2024-04-05' and total_symbols = :n",
        b=backfill_id,
        n=2 + 7,  # AAPL, MSFT and the seven factor ETFs of factors.yaml
    )
    assert progress == 1


def test_an_unknown_portfolio_is_refused_in_one_line(platform, landed):
    args = ["backfill", "equity", "--tenant", landed, "--portfolio", "P9", "--start", START, "--end", END]
    result = platform.run_cli(*args, check=False)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"error: PORTFOLIO_NOT_FOUND: tenant '{landed}' has no portfolio 'P9' (it has: P1) "
        "(at calcbridge backfill equity)\n"
    )


def test_a_tenant_without_portfolios_is_refused(platform):
    with pytest.raises(InputError) as raised:
        backfill.portfolios_of(platform.warehouse, "nobody-here", None)
    assert raised.value.code == "TENANT_NOT_FOUND"
