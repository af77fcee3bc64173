"""The equity domain's assets: positions per landed file, and the daily chain on XNYS trading days.

market_prices → position_valuations → position_greeks → factor_betas → risk_metrics → portfolio_snapshots,
each partitioned by trading day (keys are sessions only: weekends and NYSE holidays have no partition) and
able to run a whole range in one run (BackfillPolicy.single_run), which is how a new portfolio's 90-day
backfill runs. The calculations live in pipeline.py and the modules it calls.
"""

import datetime as dt
from collections.abc import Mapping
from typing import Any

import dagster as dg
import pandas as pd
import pandera.pandas as pa
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from orchestration.core import landing_log
from orchestration.core.checks import TRANSIENT_RETRY, pandera_check_spec, passed_check, preview, validate
from orchestration.core.materialize import TableFrame, input_errors, landed, write_assets
from orchestration.core.partitions import FILE_PARTITIONS
from orchestration.core.resources import WarehouseResource
from orchestration.core.warehouse import ALL_TENANTS, replace_partitions
from orchestration.equity import calendar, pipeline, store, tables
from orchestration.equity.config import load_tag_settings, settings
from orchestration.equity.occ import POSITION_TYPES
from orchestration.equity.positions import portfolio_file, positions_on
from orchestration.equity.prices import FetchResult
from orchestration.equity.resources import PriceSourceResource
from orchestration.equity.schemas import (
    BETAS_SCHEMA,
    GREEKS_SCHEMA,
    PORTFOLIOS_SCHEMA,
    POSITIONS_SCHEMA,
    PRICES_SCHEMA,
    RISK_SCHEMA,
    SNAPSHOTS_SCHEMA,
    VALUATIONS_SCHEMA,
)

DOMAIN = "equity"
FILE_PARTITIONS_DEF = FILE_PARTITIONS[DOMAIN]
SETTINGS = settings()


def trading_day_partitions(start: dt.date) -> dg.TimeWindowPartitionsDefinition:
    """Daily partitions whose keys are exactly the XNYS sessions from `start` (weekday cron minus holidays)."""
    end = calendar.xnys().last_session.date()
    holidays = [dt.datetime.combine(day, dt.time()) for day in calendar.holidays(start, end)]
    return dg.TimeWindowPartitionsDefinition(
        cron_schedule="0 0 * * 1-5",
        start=start.isoformat(),
        fmt="%Y-%m-%d",
        timezone="America/New_York",
        end_offset=1,  # today's session is a partition from midnight, so the 16:00 run can fill it
        exclusions=holidays,
    )


TRADING_DAYS = trading_day_partitions(SETTINGS.calendar_start)

PORTFOLIOS_KEY = dg.AssetKey([DOMAIN, "portfolios"])
POSITIONS_KEY = dg.AssetKey([DOMAIN, "positions"])
PRICES_KEY = dg.AssetKey([DOMAIN, "market_prices"])
VALUATIONS_KEY = dg.AssetKey([DOMAIN, "position_valuations"])
GREEKS_KEY = dg.AssetKey([DOMAIN, "position_greeks"])
BETAS_KEY = dg.AssetKey([DOMAIN, "factor_betas"])
RISK_KEY = dg.AssetKey([DOMAIN, "risk_metrics"])
SNAPSHOTS_KEY = dg.AssetKey([DOMAIN, "portfolio_snapshots"])
PRICED_CHECK = "all_tickers_priced"


def _replace_day(engine: Engine, day: dt.date, frames: dict[Any, pd.DataFrame]) -> None:
    """Replace every tenant's rows of one trading-day partition in all these tables, in one transaction."""
    replace_partitions(engine, frames, tenant_id=ALL_TENANTS, partition_key=store.day_key(day))


def _days(context: dg.AssetExecutionContext) -> list[dt.date]:
    return [dt.date.fromisoformat(k) for k in context.partition_keys]


def _write_day(
    engine: Engine, day: dt.date, schema: pa.DataFrameSchema, frames: dict[sa.Table, pd.DataFrame]
) -> pd.DataFrame:
    """Validate the day's first frame with `schema`, replace the day in every table (one transaction), return it."""
    (table, frame), *_ = frames.items()
    if not frame.empty:
        with input_errors():
            frames = {**frames, table: validate(frame, schema, f"{DOMAIN}/{table.name}/{day}")}
    _replace_day(engine, day, frames)
    return frames[table]


def _result(
    key: dg.AssetKey,
    schema: pa.DataFrameSchema,
    frames: dict[dt.date, pd.DataFrame],
    extra: dict[str, Any] | None = None,
) -> dg.MaterializeResult:
    """The run's metadata (rows, days, the last day's preview) and the pandera check over every day."""
    last_day = max(frames)
    last = frames[last_day]
    rows = int(sum(len(f) for f in frames.values()))
    metadata = {
        "dagster/row_count": rows,
        "trading_days": len(frames),
        "as_of_date": last_day.isoformat(),
        "preview": preview(last) if len(last) else dg.MetadataValue.md("(no rows)"),
        **(extra or {}),
    }
    return dg.MaterializeResult(metadata=metadata, check_results=[passed_check(key, schema, rows)])


# ----------------------------------------------------------------------------------------------- positions


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            PORTFOLIOS_KEY,
            deps=[dg.AssetKey([DOMAIN, "landed_files"])],
            description="The portfolio a landed positions file belongs to and the day from which it governs. "
            "Table raw.equity_portfolios.",
            kinds={"python", "postgres"},
            metadata={"table": "raw.equity_portfolios"},
        ),
        dg.AssetSpec(
            POSITIONS_KEY,
            deps=[dg.AssetKey([DOMAIN, "landed_files"])],
            description="Positions of one landed CSV (stocks LONG/SHORT, OCC options LC/LP/SC/SP, tags), "
            "validated; every version kept. Table raw.equity_positions.",
            kinds={"python", "postgres"},
            metadata={"table": "raw.equity_positions"},
        ),
    ],
    group_name=DOMAIN,
    partitions_def=FILE_PARTITIONS_DEF,
    check_specs=[
        pandera_check_spec(POSITIONS_KEY, POSITIONS_SCHEMA),
        pandera_check_spec(PORTFOLIOS_KEY, PORTFOLIOS_SCHEMA),
    ],
    retry_policy=TRANSIENT_RETRY,
)
def equity_positions(context: dg.AssetExecutionContext, warehouse: WarehouseResource):  # noqa: ANN201 - generator
    """Parse the CSV; an unparseable symbol or value fails this file's partition naming the row."""
    record = landed(warehouse, DOMAIN, context.partition_key)
    with input_errors():
        portfolio, positions = portfolio_file(
            landing_log.read_archived(record),
            tenant_id=record.tenant_id,
            file_name=record.file_name,
            sidecar=record.sidecar,
            landed_at=record.landed_at,
            renames=load_tag_settings().renames,
        )
    yield from write_assets(
        warehouse,
        record,
        {
            PORTFOLIOS_KEY: TableFrame(tables.portfolios, PORTFOLIOS_SCHEMA, portfolio),
            POSITIONS_KEY: TableFrame(tables.positions, POSITIONS_SCHEMA, positions),
        },
        metadata=_positions_metadata,
    )


def _positions_metadata(frames: Mapping[dg.AssetKey, pd.DataFrame]) -> dict[dg.AssetKey, dict[str, Any]]:
    """The portfolio and the day it governs from on both; counts by position type and a preview on positions."""
    portfolio = frames[PORTFOLIOS_KEY].iloc[0]
    positions = frames[POSITIONS_KEY]
    common = {"portfolio_id": portfolio["portfolio_id"], "effective_from": portfolio["effective_from"].isoformat()}
    counts = positions["position_type"].value_counts().to_dict()
    return {
        PORTFOLIOS_KEY: common,
        POSITIONS_KEY: {
            **common,
            "counts_by_type": dg.MetadataValue.json({t: int(counts.get(t, 0)) for t in POSITION_TYPES}),
            "preview": preview(positions.drop(columns=["landed_at"])),
        },
    }


# ----------------------------------------------------------------------------------------------- daily chain

_DAILY = {
    "group_name": DOMAIN,
    "partitions_def": TRADING_DAYS,
    "backfill_policy": dg.BackfillPolicy.single_run(),
    "retry_policy": TRANSIENT_RETRY,
    "kinds": {"python", "postgres"},
}


def _universe(positions: pd.DataFrame, days: list[dt.date]) -> list[str]:
    held = set()
    for day in days:
        on = positions_on(positions, day)
        held |= set(on["ticker"]) | set(on["underlying"])
    return sorted(held | set(SETTINGS.etfs))


@dg.asset(
    key=PRICES_KEY,
    # Every day reads the positions of every landed file (a day's holdings span files): all partitions upstream.
    deps=[dg.AssetDep(POSITIONS_KEY, partition_mapping=dg.AllPartitionMapping())],
    description="End-of-day bars of every held ticker, option and factor ETF for each trading day, from the "
    "PriceSource resource. A ticker the source cannot price is recorded in raw.equity_price_failures (not "
    "retried) and the day goes on. Table raw.equity_market_prices.",
    check_specs=[
        pandera_check_spec(PRICES_KEY, PRICES_SCHEMA),
        dg.AssetCheckSpec(PRICED_CHECK, asset=PRICES_KEY, description="Every requested ticker got a price."),
    ],
    metadata={"table": "raw.equity_market_prices"},
    **_DAILY,
)
def market_prices(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, price_source: PriceSourceResource
) -> dg.MaterializeResult:
    """Fetch the whole range in one call per ticker, then replace each day's rows."""
    days = _days(context)
    engine = warehouse.engine
    universe = _universe(store.load_positions(engine), days)
    source = price_source.build(engine)
    with store.backfill_progress(engine, context.run.tags.get("calcbridge/backfill_id")) as progress:
        result = source.fetch(universe, min(days), max(days))
        prices = result.prices.assign(tenant_id=tables.MARKET_TENANT, source=source.name)
        frames = {
            day: _write_day(
                engine,
                day,
                PRICES_SCHEMA,
                {
                    tables.market_prices: prices[prices["price_date"] == day].reset_index(drop=True),
                    tables.price_failures: pipeline.price_failures(result.failures, day, source.name),
                },
            )
            for day in days
        }
        progress.completed(symbols=len(universe), failures=result.failures)
    for failure in result.failures:
        context.log.warning(f"{failure.ticker}: {failure.code}: {failure.message}")
    return _prices_result(frames, result, tickers=len(universe), source=source.name)


def _prices_result(
    frames: dict[dt.date, pd.DataFrame], result: FetchResult, *, tickers: int, source: str
) -> dg.MaterializeResult:
    """The range's result: rows and fetch statistics, the pandera check and the every-ticker-priced check (WARN)."""
    failed = {f.ticker: f"{f.code}: {f.message}" for f in result.failures}
    extra = {
        "tickers": tickers,
        "failed_tickers": dg.MetadataValue.json(failed),
        "source": source,
        "requests": result.requests,
        "cache_hits": result.cache_hits,
    }
    materialized = _result(PRICES_KEY, PRICES_SCHEMA, frames, extra)
    priced = dg.AssetCheckResult(
        check_name=PRICED_CHECK,
        asset_key=PRICES_KEY,
        passed=not failed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"failed_tickers": dg.MetadataValue.json(failed)},
    )
    return dg.MaterializeResult(metadata=materialized.metadata, check_results=[*materialized.check_results, priced])


def _held_by_day(engine: Engine, days: list[dt.date]) -> dict[dt.date, pd.DataFrame]:
    """The positions held on each day (each portfolio's governing file, lots entered by then)."""
    positions = store.load_positions(engine)
    return {day: positions_on(positions, day) for day in days}


def _tickers(held: dict[dt.date, pd.DataFrame]) -> list[str]:
    """Every ticker and underlying held on any of the days, plus the factor ETFs."""
    names: set[str] = set(SETTINGS.etfs)
    for frame in held.values():
        if len(frame):
            names |= set(frame["ticker"]) | set(frame["underlying"])
    return sorted(names)


@dg.asset(
    key=VALUATIONS_KEY,
    deps=[PRICES_KEY],
    description="Market value, exposure, cost basis, unrealized/daily/MTD/YTD P&L and exposure % of gross per "
    "position per trading day (fallbacks flagged). Table analytics.equity_position_valuations.",
    check_specs=[pandera_check_spec(VALUATIONS_KEY, VALUATIONS_SCHEMA)],
    metadata={"table": "analytics.equity_position_valuations"},
    **_DAILY,
)
def position_valuations(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, price_source: PriceSourceResource
) -> dg.MaterializeResult:
    """Value each day's held positions against that day's closes and their P&L references."""
    days = _days(context)
    engine = warehouse.engine
    held = _held_by_day(engine, days)
    start = calendar.last_session_of_previous_year(min(days))
    closes = store.close_history(engine, price_source.build(engine), _tickers(held), start, max(days))
    frames = {
        day: _write_day(
            engine, day, VALUATIONS_SCHEMA, {tables.position_valuations: pipeline.valuations(held[day], closes, day)}
        )
        for day in days
    }
    return _result(VALUATIONS_KEY, VALUATIONS_SCHEMA, frames)


@dg.asset(
    key=GREEKS_KEY,
    deps=[VALUATIONS_KEY],
    description="Black-Scholes delta, gamma, theta, vega, rho per option (vollib; 30-session historical "
    "volatility of the underlying), ±1 delta per share for stocks, the seed's mock table only when inputs are "
    "missing (source = mock), and delta-adjusted exposure. Table analytics.equity_position_greeks.",
    check_specs=[pandera_check_spec(GREEKS_KEY, GREEKS_SCHEMA)],
    metadata={"table": "analytics.equity_position_greeks"},
    **_DAILY,
)
def position_greeks(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, price_source: PriceSourceResource
) -> dg.MaterializeResult:
    """Greeks per position per day."""
    days = _days(context)
    engine = warehouse.engine
    held = _held_by_day(engine, days)
    start = calendar.sessions_back(min(days), SETTINGS.volatility_window + 1)[0]
    closes = store.close_history(engine, price_source.build(engine), _tickers(held), start, max(days))
    frames = {
        day: _write_day(
            engine,
            day,
            GREEKS_SCHEMA,
            {tables.position_greeks: pipeline.position_greeks(held[day], closes, day, SETTINGS)},
        )
        for day in days
    }
    sources = (
        pd.concat(frames.values())["source"].value_counts().to_dict() if any(len(f) for f in frames.values()) else {}
    )
    by_source = dg.MetadataValue.json({k: int(v) for k, v in sources.items()})
    return _result(GREEKS_KEY, GREEKS_SCHEMA, frames, {"sources": by_source})


def _gross(valuations: pd.DataFrame, day: dt.date) -> dict[tuple[str, str], float]:
    today = valuations[valuations["as_of_date"] == day]
    return {k: float(v) for k, v in today.groupby(["tenant_id", "portfolio_id"])["market_value"].sum().items()}


@dg.asset(
    key=BETAS_KEY,
    deps=[GREEKS_KEY],
    description="Univariate OLS (with intercept) of each position's daily returns on each factor ETF over 60 "
    "sessions (≥ 20 aligned observations, no zero-filling): beta, alpha, R², t, SE, n; an option takes its "
    "underlying's beta (method `underlying`: exposure = delta-adjusted exposure × beta). Also portfolio beta "
    "and dollar exposure per factor (analytics.equity_portfolio_factors) and the factor correlation matrix with VIFs "
    "(analytics.equity_factor_diagnostics). Short Interest is reported unavailable unless a series is given. "
    "Table analytics.equity_factor_betas.",
    check_specs=[pandera_check_spec(BETAS_KEY, BETAS_SCHEMA)],
    metadata={"table": "analytics.equity_factor_betas"},
    **_DAILY,
)
def factor_betas(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, price_source: PriceSourceResource
) -> dg.MaterializeResult:
    """Betas per position and factor, portfolio aggregates and diagnostics, per day."""
    days = _days(context)
    engine = warehouse.engine
    held = _held_by_day(engine, days)
    start = calendar.sessions_back(min(days), SETTINGS.beta_window + 1)[0]
    closes = store.close_history(engine, price_source.build(engine), _tickers(held), start, max(days))
    greeks_rows = store.read_rows(engine, tables.position_greeks, start, max(days))
    valuations = store.read_rows(engine, tables.position_valuations, min(days), max(days))
    frames, vifs = {}, {}
    for day in days:
        day_greeks = greeks_rows[greeks_rows["as_of_date"] == day]
        betas, exposures, diagnostics = pipeline.factor_betas(
            held[day], closes, day_greeks, _gross(valuations, day), day, SETTINGS
        )
        frames[day] = _write_day(
            engine,
            day,
            BETAS_SCHEMA,
            {tables.factor_betas: betas, tables.portfolio_factors: exposures, tables.factor_diagnostics: diagnostics},
        )
        vifs = {r.etf: round(float(r.vif), 2) for r in diagnostics.itertuples()}
    return _result(BETAS_KEY, BETAS_SCHEMA, frames, {"vif": dg.MetadataValue.json(vifs)})


@dg.asset(
    key=RISK_KEY,
    deps=[BETAS_KEY],
    description="Portfolio daily return = daily P&L / previous gross market value; beta to SPY, annualised "
    "volatility and Sharpe over 60 sessions, max drawdown over 90 (empyrical), 1-day 95% VaR parametric and "
    "historical, and factor-model VaR √(eᵀBΣBᵀe) with sample and 0.94-EWMA covariance. "
    "Table analytics.equity_risk_metrics.",
    check_specs=[pandera_check_spec(RISK_KEY, RISK_SCHEMA)],
    metadata={"table": "analytics.equity_risk_metrics"},
    **_DAILY,
)
def risk_metrics(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, price_source: PriceSourceResource
) -> dg.MaterializeResult:
    """Risk metrics per portfolio per day."""
    days = _days(context)
    engine = warehouse.engine
    lookback = max(SETTINGS.drawdown_window, SETTINGS.risk_window, SETTINGS.beta_window) + 1
    start = calendar.sessions_back(min(days), lookback)[0]
    valuations = store.read_rows(engine, tables.position_valuations, start, max(days))
    history = valuations.groupby(["tenant_id", "portfolio_id", "as_of_date"], as_index=False)[
        ["daily_pnl", "market_value"]
    ].sum()
    closes = store.close_history(engine, price_source.build(engine), SETTINGS.etfs, start, max(days))
    etf_returns = closes.astype(float) / closes.astype(float).shift(1) - 1.0
    greeks_rows = store.read_rows(engine, tables.position_greeks, min(days), max(days))
    betas = store.read_rows(engine, tables.factor_betas, min(days), max(days))
    frames = {}
    for day in days:
        window = etf_returns[etf_returns.index <= day].tail(SETTINGS.beta_window)
        spy = etf_returns["SPY"] if "SPY" in etf_returns else pd.Series(dtype=float)
        spy.index = pd.Index(spy.index)
        frame = pipeline.risk_metrics(
            history[history["as_of_date"] <= day],
            spy,
            greeks_rows[greeks_rows["as_of_date"] == day],
            betas[betas["as_of_date"] == day],
            window,
            day,
            SETTINGS,
        )
        frames[day] = _write_day(engine, day, RISK_SCHEMA, {tables.risk_metrics: frame})
    return _result(RISK_KEY, RISK_SCHEMA, frames)


@dg.asset(
    key=SNAPSHOTS_KEY,
    deps=[RISK_KEY],
    description="One row per portfolio per trading day: totals, long/short/gross/net exposure, P&L, Greeks by "
    "view, factor betas and risk metrics; rows older than the retention (factors.yaml, default 365 days) are "
    "removed. Table analytics.equity_portfolio_snapshots.",
    check_specs=[pandera_check_spec(SNAPSHOTS_KEY, SNAPSHOTS_SCHEMA)],
    metadata={"table": "analytics.equity_portfolio_snapshots"},
    **_DAILY,
)
def portfolio_snapshots(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Snapshot each portfolio per day, then apply the retention."""
    days = _days(context)
    engine = warehouse.engine
    start, end = min(days), max(days)
    valuations = store.read_rows(engine, tables.position_valuations, start, end)
    greeks_rows = store.read_rows(engine, tables.position_greeks, start, end)
    factors_rows = store.read_rows(engine, tables.portfolio_factors, start, end)
    risk_rows = store.read_rows(engine, tables.risk_metrics, start, end)
    frames = {}
    for day in days:
        frame = pipeline.snapshots(
            valuations[valuations["as_of_date"] == day],
            greeks_rows[greeks_rows["as_of_date"] == day],
            factors_rows[factors_rows["as_of_date"] == day],
            risk_rows[risk_rows["as_of_date"] == day],
            day,
        )
        frames[day] = _write_day(engine, day, SNAPSHOTS_SCHEMA, {tables.portfolio_snapshots: frame})
    cutoff = end - dt.timedelta(days=SETTINGS.snapshot_retention_days)
    with engine.begin() as conn:
        removed = conn.execute(
            tables.portfolio_snapshots.delete().where(tables.portfolio_snapshots.c.as_of_date < cutoff)
        ).rowcount
    retention = {"retention_cutoff": cutoff.isoformat(), "rows_removed_by_retention": removed}
    return _result(SNAPSHOTS_KEY, SNAPSHOTS_SCHEMA, frames, retention)


equity_file_assets: list[dg.AssetsDefinition] = [equity_positions]
"""Run by `equity_files_job` for every landed positions file."""

daily_assets: list[dg.AssetsDefinition] = [
    market_prices,
    position_valuations,
    position_greeks,
    factor_betas,
    risk_metrics,
    portfolio_snapshots,
]
"""The trading-day chain, in order."""
