"""The equity domain's own definitions: the trading-day jobs, the evening schedules and the backfill sensor.

The positions asset is on the `equity_files` partitions (so it runs in `equity_files_job`); everything else here
is on the XNYS trading-day partitions. Schedules follow seed 004 (market data 16:00, risk 17:00, snapshots 17:30
America/New_York), run by default once the daemon is up, and skip days NYSE is closed. When a new portfolio file
lands, the backfill sensor requests one run over the last `backfill_days` sessions (a single-run range backfill of
the whole chain).
"""

import datetime as dt
import hashlib
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from orchestration.core.resources import WarehouseResource
from orchestration.equity import calendar, store, tables
from orchestration.equity.assets import (
    BETAS_KEY,
    GREEKS_KEY,
    PRICES_KEY,
    RISK_KEY,
    SETTINGS,
    SNAPSHOTS_KEY,
    TRADING_DAYS,
    VALUATIONS_KEY,
    daily_assets,
    equity_file_assets,
)
from orchestration.equity.positions import positions_on
from orchestration.equity.resources import PriceSourceResource

NEW_YORK = ZoneInfo("America/New_York")
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
BACKFILL_SENSOR = "equity_backfill_sensor"

daily_job = dg.define_asset_job(
    name="equity_daily_job",
    selection=dg.AssetSelection.assets(*daily_assets),
    partitions_def=TRADING_DAYS,
    description="The whole trading-day chain: prices → valuations → Greeks → betas → risk → snapshots.",
    tags={"domain": "equity"},
)
market_data_job = dg.define_asset_job(
    name="equity_market_data_job",
    selection=dg.AssetSelection.assets(PRICES_KEY),
    partitions_def=TRADING_DAYS,
    description="Seed 004's 4 PM job: end-of-day prices for every held ticker and factor ETF.",
    tags={"domain": "equity"},
)
risk_job = dg.define_asset_job(
    name="equity_risk_job",
    selection=dg.AssetSelection.assets(VALUATIONS_KEY, GREEKS_KEY, BETAS_KEY, RISK_KEY),
    partitions_def=TRADING_DAYS,
    description="Seed 004's 5 PM job: valuations, Greeks, factor betas and risk metrics.",
    tags={"domain": "equity"},
)
snapshots_job = dg.define_asset_job(
    name="equity_snapshots_job",
    selection=dg.AssetSelection.assets(SNAPSHOTS_KEY),
    partitions_def=TRADING_DAYS,
    description="Seed 004's 5:30 PM job: one snapshot per portfolio, retention applied.",
    tags={"domain": "equity"},
)


def _trading_day_schedule(name: str, cron: str, job: Any) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=name,
        cron_schedule=cron,
        execution_timezone="America/New_York",
        job=job,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"{job.description} Weekdays at {cron.split()[1]}:{cron.split()[0]:0>2} New York; "
        "skips NYSE holidays.",
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        day = context.scheduled_execution_time.astimezone(NEW_YORK).date()
        if not calendar.is_session(day):
            return dg.SkipReason(f"{day} is not an NYSE trading day")
        return dg.RunRequest(run_key=f"{name}:{day}", partition_key=day.isoformat())

    return _schedule


schedules = [
    _trading_day_schedule("equity_market_data_schedule", "0 16 * * 1-5", market_data_job),
    _trading_day_schedule("equity_risk_schedule", "0 17 * * 1-5", risk_job),
    _trading_day_schedule("equity_snapshots_schedule", "30 17 * * 1-5", snapshots_job),
]


def backfill_window(today: dt.date, days: int) -> list[dt.date]:
    """The last `days` sessions ending at the latest session on or before today."""
    return calendar.sessions_back(today, days)


def backfill_requests(
    engine: sa.Engine, cursor: str | None, today: dt.date, days: int
) -> tuple[list[dg.RunRequest], str | None]:
    """A range run request per portfolio file landed after `cursor` (ISO landed_at); records progress rows."""
    p = tables.portfolios
    query = sa.select(p).order_by(p.c.landed_at, p.c.partition_key)
    if cursor:
        query = query.where(p.c.landed_at > dt.datetime.fromisoformat(cursor))
    with engine.connect() as conn:
        new = conn.execute(query).mappings().all()
    if not new:
        return [], cursor
    window = backfill_window(today, days)
    positions = store.load_positions(engine)
    requests = []
    for row in new:
        mine = positions[positions["partition_key"] == row["partition_key"]]
        held = positions_on(mine, window[-1]) if len(mine) else mine
        symbols = set(held["ticker"]) | set(held["underlying"]) | set(SETTINGS.etfs) if len(held) else set()
        backfill_id = hashlib.sha256(f"{row['tenant_id']}:{row['partition_key']}".encode()).hexdigest()[:32]
        store.create_backfill(
            engine, backfill_id, row["tenant_id"], row["portfolio_id"], len(symbols), window[0], window[-1]
        )
        requests.append(
            dg.RunRequest(
                run_key=f"equity_backfill:{row['partition_key']}:{window[0]}:{window[-1]}",
                tags={
                    RANGE_START_TAG: window[0].isoformat(),
                    RANGE_END_TAG: window[-1].isoformat(),
                    "calcbridge/backfill_id": backfill_id,
                    "tenant": row["tenant_id"],
                    "domain": "equity",
                },
            )
        )
    return requests, pd.Timestamp(new[-1]["landed_at"]).isoformat()


def execute_backfills(
    job: dg.JobDefinition, instance: dg.DagsterInstance, engine: sa.Engine, cursor: str | None, today: dt.date
) -> tuple[list[tuple[str, str, bool]], str | None]:
    """Run what the backfill sensor would request, in process (for `calcbridge process`/`up`).

    Tagged with the sensor's name and run key, so the daemon's sensor later skips the same requests.
    A run that failed leaves its backfill `failed` (its steps record their own error; a run that failed before
    or between them is marked here). Returns (run id, backfill id, success) per run and the new cursor.
    """
    requests, new_cursor = backfill_requests(engine, cursor, today, SETTINGS.backfill_days)
    outcomes = []
    for request in requests:
        assert request.run_key is not None
        tags = {**request.tags, "dagster/run_key": request.run_key, "dagster/sensor_name": BACKFILL_SENSOR}
        if instance.get_runs_count(dg.RunsFilter(job_name=job.name, tags={"dagster/run_key": request.run_key})):
            continue
        result = job.execute_in_process(instance=instance, tags=tags, raise_on_error=False)
        backfill_id = request.tags["calcbridge/backfill_id"]
        if not result.success:
            failure = result.get_run_failure_event()
            message = failure.message if failure is not None else f"run {result.run_id} failed"
            store.fail_open_backfill(
                engine, backfill_id, {"code": "RUN_FAILED", "message": message, "where": f"run {result.run_id}"}
            )
        outcomes.append((result.run_id, backfill_id, result.success))
    return outcomes, new_cursor


@dg.sensor(
    name=BACKFILL_SENSOR,
    job=daily_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="When a new portfolio file lands, backfill the daily chain over the last backfill_days "
    "trading days (factors.yaml, default 90) in one run; progress in ops.equity_backfill_progress.",
)
def equity_backfill_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource) -> dg.SensorResult:
    """Poll raw.equity_portfolios for files newer than the cursor."""
    requests, cursor = backfill_requests(
        warehouse.engine, context.cursor, dt.datetime.now(NEW_YORK).date(), SETTINGS.backfill_days
    )
    return dg.SensorResult(run_requests=requests, cursor=cursor)


def defs() -> dg.Definitions:
    """Built in a function: a code location module may hold only one module-level Definitions."""
    return dg.Definitions(
        assets=[*equity_file_assets, *daily_assets],
        jobs=[daily_job, market_data_job, risk_job, snapshots_job],
        schedules=schedules,
        sensors=[equity_backfill_sensor],
        resources={"price_source": PriceSourceResource()},
    )
