"""The equity domain's assets: positions per landed file, and the daily chain on XNYS trading days.

market_prices → position_valuations → position_greeks → factor_betas → risk_metrics → portfolio_snapshots,
each partitioned by trading day (keys are sessions only: weekends and NYSE holidays have no partition) and
able to run a whole range in one run (BackfillPolicy.single_run), which is how a new portfolio's 90-day
backfill runs. The calculations live in pipeline.py and the modules it calls.

A trading day covers every tenant, so one portfolio's bad figures never fail the others: each step computes
portfolio by portfolio when it must (pipeline.isolated), writes every portfolio that is fit, and lists the
ones left out in its failed `portfolios_computed` check (typed error naming tenant, portfolio and file). The
run's last daily step then fails the run with those errors (after writing), so the run is in the DLQ; a run
for one tenant or one backfill fails only for its own portfolios. Prices likewise fail one ticker at a time.
"""

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
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
from orchestration.equity import calendar, pipeline, schemas, store, tables, valuation
from orchestration.equity.config import load_tag_settings, settings
from orchestration.equity.occ import POSITION_TYPES
from orchestration.equity.pipeline import Frames, PortfolioFailure, PortfolioKey
from orchestration.equity.positions import check_figures, portfolio_file, positions_on
from orchestration.equity.prices import TickerFailure
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
COMPUTED_CHECK = "portfolios_computed"
DAILY_ORDER = [PRICES_KEY, VALUATIONS_KEY, GREEKS_KEY, BETAS_KEY, RISK_KEY, SNAPSHOTS_KEY]
BACKFILL_TAG = "calcbridge/backfill_id"
TENANT_TAG = "tenant"
LISTED = 100
"""Failing portfolios listed in a check's metadata and a run's failure (the count is always complete)."""


def _replace_day(engine: Engine, day: dt.date, frames: Mapping[sa.Table, pd.DataFrame]) -> None:
    """Replace every tenant's rows of one trading-day partition in all these tables, in one transaction."""
    replace_partitions(engine, dict(frames), tenant_id=ALL_TENANTS, partition_key=store.day_key(day))


def _days(context: dg.AssetExecutionContext) -> list[dt.date]:
    return [dt.date.fromisoformat(k) for k in context.partition_keys]


def _write_day(
    engine: Engine, day: dt.date, schema: pa.DataFrameSchema, frames: dict[sa.Table, pd.DataFrame]
) -> pd.DataFrame:
    """Validate the day's first frame with `schema`, replace the day in every table (one transaction), return it."""
    (table, frame), *_ = frames.items()
    if not frame.empty:
        frames = {**frames, table: validate(frame, schema, f"{DOMAIN}/{table.name}/{day}")}
    _replace_day(engine, day, frames)
    return frames[table]


def _fit(frame: pd.DataFrame, schema: pa.DataFrameSchema | None, table: sa.Table, where: str) -> pd.DataFrame:
    """The frame validated by its schema and every value one the table takes (else a typed VALIDATION_ERROR)."""
    if schema is not None and not frame.empty:
        frame = validate(frame, schema, where)
    return schemas.writable(frame, table, where)


def _computed_spec(key: dg.AssetKey) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        COMPUTED_CHECK,
        asset=key,
        description="Every portfolio of the day was computed and written; one left out is listed with its typed "
        "error (code, message, where: tenant, portfolio, file). The other portfolios' rows are written regardless.",
    )


@dataclass
class _DailyStep:
    """One daily asset over its days: per-portfolio writes, the portfolios left out, and how the run ends."""

    context: dg.AssetExecutionContext
    engine: Engine
    key: dg.AssetKey
    progress: store.BackfillProgress
    failures: list[PortfolioFailure] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.key.path[-1]

    def write(
        self,
        day: dt.date,
        driver: pd.DataFrame,
        compute: Callable[[Sequence[PortfolioKey]], Frames],
        outputs: Sequence[tuple[sa.Table, pa.DataFrameSchema | None]],
        also: Mapping[sa.Table, pd.DataFrame] | None = None,
    ) -> pd.DataFrame:
        """Compute the day for the portfolios of `driver` (isolated), replace the day with those fit to write."""
        where = f"{DOMAIN}/{self.name}/{day}"

        def check(frames: Frames) -> Frames:
            return tuple(
                _fit(frame, schema, table, where) for frame, (table, schema) in zip(frames, outputs, strict=True)
            )

        frames, failed = pipeline.isolated(pipeline.portfolio_keys(driver), compute, check, width=len(outputs))
        if failed:
            files = pipeline.file_names(driver if "file_name" in driver else self._held(day))
            for (tenant, portfolio), error in failed.items():
                self.fail(
                    PortfolioFailure(tenant, portfolio, files.get((tenant, portfolio), "?"), day, self.name, error)
                )
        written = {table: frame for (table, _), frame in zip(outputs, frames, strict=True)}
        _replace_day(self.engine, day, {**written, **(also or {})})
        return frames[0]

    def fail(self, failure: PortfolioFailure) -> None:
        self.failures.append(failure)
        self.context.log.error(f"left out: {failure.error.code}: {failure.error.message} (at {failure.where})")

    def _held(self, day: dt.date) -> pd.DataFrame:
        return positions_on(store.load_positions(self.engine), day)

    def result(
        self, schema: pa.DataFrameSchema, frames: dict[dt.date, pd.DataFrame], extra: dict[str, Any] | None = None
    ) -> dg.MaterializeResult:
        """Rows, days and the last day's preview; the pandera check and the every-portfolio-computed check."""
        last_day = max(frames)
        last = frames[last_day]
        rows = int(sum(len(f) for f in frames.values()))
        left_out = pipeline.left_out(self.failures)
        metadata = {
            "dagster/row_count": rows,
            "trading_days": len(frames),
            "as_of_date": last_day.isoformat(),
            "preview": preview(last) if len(last) else dg.MetadataValue.md("(no rows)"),
            "portfolios_left_out": len(left_out),
            **(extra or {}),
        }
        computed = dg.AssetCheckResult(
            check_name=COMPUTED_CHECK,
            asset_key=self.key,
            passed=not left_out,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"failed_portfolios": len(left_out), "failures": dg.MetadataValue.json(left_out[:LISTED])},
        )
        return dg.MaterializeResult(metadata=metadata, check_results=[passed_check(self.key, schema, rows), computed])

    def finish(self) -> None:
        """On the run's last daily step: fail the run with its own portfolios left out, else complete a backfill."""
        selected = set(self.context.run.asset_selection or ()) or set(
            self.context.job_def.asset_layer.selected_asset_keys
        )
        if any(key in selected for key in DAILY_ORDER[DAILY_ORDER.index(self.key) + 1 :]):
            return
        in_scope = self._scope()
        mine = [f for f in self._run_failures() if in_scope(f)]
        if mine:
            raise pipeline.run_error(mine, LISTED)
        self.progress.completed()

    def _run_failures(self) -> list[dict[str, Any]]:
        """Every portfolio left out by this run's daily steps (earlier steps' failed checks, then this one's)."""
        records = self.context.instance.get_records_for_run(
            run_id=self.context.run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ).records
        entries: dict[tuple[str, str], dict[str, Any]] = {}
        for record in records:
            evaluation = record.event_log_entry.dagster_event.event_specific_data  # type: ignore[union-attr]
            if evaluation.check_name != COMPUTED_CHECK or evaluation.passed or evaluation.asset_key == self.key:
                continue
            for entry in evaluation.metadata["failures"].value:
                entries.setdefault((entry["tenant_id"], entry["portfolio_id"]), entry)
        for entry in pipeline.left_out(self.failures):
            entries.setdefault((entry["tenant_id"], entry["portfolio_id"]), entry)
        return list(entries.values())

    def _scope(self) -> Callable[[Mapping[str, Any]], bool]:
        """A backfill's run fails for its own portfolio, a tenant's run for its tenant, any other run for all.

        So a run a tenant sees in its DLQ never fails for (nor names) another tenant's portfolio.
        """
        portfolio = store.backfill_portfolio(self.engine, self.context.run.tags.get(BACKFILL_TAG))
        if portfolio is not None:
            return lambda f: (f["tenant_id"], f["portfolio_id"]) == portfolio
        tenant = self.context.run.tags.get(TENANT_TAG)
        return lambda f: tenant is None or f["tenant_id"] == tenant


@contextmanager
def _daily(context: dg.AssetExecutionContext, warehouse: WarehouseResource, key: dg.AssetKey) -> Iterator[_DailyStep]:
    """A daily step: typed errors never retried, backfill progress kept, and the run's end decided after writing."""
    engine = warehouse.engine
    backfill_id = context.run.tags.get(BACKFILL_TAG)
    with input_errors(), store.backfill_progress(engine, backfill_id, starts=key == PRICES_KEY) as progress:
        step = _DailyStep(context, engine, key, progress)
        yield step
        step.finish()


def _sound(held: pd.DataFrame, keys: Sequence[PortfolioKey]) -> pd.DataFrame:
    """The positions of `keys` once their quantities and prices are finite and within bounds (else InputError)."""
    return check_figures(pipeline.only(held, keys))


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
    """Tickers to price: every held stock and underlying, the options not yet expired on the range's first day."""
    held = set()
    first = min(days)
    for day in days:
        on = positions_on(positions, day)
        live = [
            not valuation.is_expired(t, e, first - dt.timedelta(days=1))
            for t, e in zip(on["position_type"], on["expiry"], strict=True)
        ]
        held |= set(on["ticker"][live]) | set(on["underlying"])
    return sorted(held | set(SETTINGS.etfs))


@dg.asset(
    key=PRICES_KEY,
    # Every day reads the positions of every landed file (a day's holdings span files): all partitions upstream.
    deps=[dg.AssetDep(POSITIONS_KEY, partition_mapping=dg.AllPartitionMapping())],
    description="End-of-day bars of every held ticker, option and factor ETF for each trading day, from the "
    "PriceSource resource. A ticker the source cannot price, or whose bar the schema refuses (close not a positive "
    "finite price), is recorded in raw.equity_price_failures (not retried) and the day goes on. "
    "Table raw.equity_market_prices.",
    check_specs=[
        pandera_check_spec(PRICES_KEY, PRICES_SCHEMA),
        dg.AssetCheckSpec(PRICED_CHECK, asset=PRICES_KEY, description="Every requested ticker got a price."),
    ],
    metadata={"table": "raw.equity_market_prices"},
    **_DAILY,
)
def market_prices(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, price_source: PriceSourceResource
) -> Iterator[dg.MaterializeResult]:
    """Fetch the whole range in one call per ticker, set aside the bars the schema refuses, replace each day."""
    with _daily(context, warehouse, PRICES_KEY) as step:
        days = _days(context)
        positions = store.load_positions(step.engine)
        universe = _universe(positions, days)
        source = price_source.build(step.engine)
        result = store.fetch_each(source, universe, min(days), max(days))
        valid, refused = store.valid_prices(result.prices)
        prices = valid.assign(tenant_id=tables.MARKET_TENANT, source=source.name)
        frames = {}
        for day in days:
            invalid = [TickerFailure(t, "INVALID_PRICE", why) for (t, d), why in refused.items() if d == day]
            frames[day] = _write_day(
                step.engine,
                day,
                PRICES_SCHEMA,
                {
                    tables.market_prices: prices[prices["price_date"] == day].reset_index(drop=True),
                    tables.price_failures: pipeline.price_failures([*result.failures, *invalid], day, source.name),
                },
            )
        invalid_tickers = {t: TickerFailure(t, "INVALID_PRICE", why) for (t, _), why in sorted(refused.items())}
        failures = [*result.failures, *invalid_tickers.values()]
        owner = store.backfill_portfolio(step.engine, step.progress.backfill_id)
        own = set(_universe(pipeline.only(positions, [owner]), days)) if owner else set(universe)
        step.progress.priced(symbols=len(own), failures=[f for f in failures if f.ticker in own])
        for failure in failures:
            context.log.warning(f"{failure.ticker}: {failure.code}: {failure.message}")
        extra = {"tickers": len(universe), "source": source.name, "requests": result.requests}
        yield _prices_result(frames, failures, {**extra, "cache_hits": result.cache_hits})


def _prices_result(
    frames: dict[dt.date, pd.DataFrame], failures: Sequence[TickerFailure], extra: dict[str, Any]
) -> dg.MaterializeResult:
    """The range's result: rows and fetch statistics, the pandera check and the every-ticker-priced check (WARN)."""
    failed = {f.ticker: f"{f.code}: {f.message}" for f in failures}
    last_day = max(frames)
    rows = int(sum(len(f) for f in frames.values()))
    metadata = {
        "dagster/row_count": rows,
        "trading_days": len(frames),
        "as_of_date": last_day.isoformat(),
        "preview": preview(frames[last_day]) if len(frames[last_day]) else dg.MetadataValue.md("(no rows)"),
        "failed_tickers": dg.MetadataValue.json(failed),
        **extra,
    }
    priced = dg.AssetCheckResult(
        check_name=PRICED_CHECK,
        asset_key=PRICES_KEY,
        passed=not failed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"failed_tickers": dg.MetadataValue.json(failed)},
    )
    return dg.MaterializeResult(
        metadata=metadata, check_results=[passed_check(PRICES_KEY, PRICES_SCHEMA, rows), priced]
    )


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
    check_specs=[pandera_check_spec(VALUATIONS_KEY, VALUATIONS_SCHEMA), _computed_spec(VALUATIONS_KEY)],
    metadata={"table": "analytics.equity_position_valuations"},
    **_DAILY,
)
def position_valuations(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, price_source: PriceSourceResource
) -> Iterator[dg.MaterializeResult]:
    """Value each day's held positions against that day's closes and their P&L references."""
    with _daily(context, warehouse, VALUATIONS_KEY) as step:
        days = _days(context)
        held = _held_by_day(step.engine, days)
        start = calendar.last_session_of_previous_year(min(days))
        settled = [valuation.earliest_settlement(held[d], d, calendar.xnys().first_session.date()) for d in days]
        start = min([start, *(d for d in settled if d is not None)])  # expired options settle on the underlying's close
        closes = store.close_history(step.engine, price_source.build(step.engine), _tickers(held), start, max(days))
        frames = {
            day: step.write(
                day,
                held[day],
                lambda keys, day=day: (pipeline.valuations(_sound(held[day], keys), closes, day),),
                [(tables.position_valuations, VALUATIONS_SCHEMA)],
            )
            for day in days
        }
        yield step.result(VALUATIONS_SCHEMA, frames)


@dg.asset(
    key=GREEKS_KEY,
    deps=[VALUATIONS_KEY],
    description="Black-Scholes delta, gamma, theta, vega, rho per option (vollib; 30-session historical "
    "volatility of the underlying), ±1 delta per share for stocks, the seed's mock table only when inputs are "
    "missing (source = mock), and delta-adjusted exposure. Table analytics.equity_position_greeks.",
    check_specs=[pandera_check_spec(GREEKS_KEY, GREEKS_SCHEMA), _computed_spec(GREEKS_KEY)],
    metadata={"table": "analytics.equity_position_greeks"},
    **_DAILY,
)
def position_greeks(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, price_source: PriceSourceResource
) -> Iterator[dg.MaterializeResult]:
    """Greeks per position per day."""
    with _daily(context, warehouse, GREEKS_KEY) as step:
        days = _days(context)
        held = _held_by_day(step.engine, days)
        start = calendar.sessions_back(min(days), SETTINGS.volatility_window + 1)[0]
        closes = store.close_history(step.engine, price_source.build(step.engine), _tickers(held), start, max(days))
        frames = {
            day: step.write(
                day,
                held[day],
                lambda keys, day=day: (pipeline.position_greeks(_sound(held[day], keys), closes, day, SETTINGS),),
                [(tables.position_greeks, GREEKS_SCHEMA)],
            )
            for day in days
        }
        written = [f for f in frames.values() if len(f)]
        sources = pd.concat(written)["source"].value_counts().to_dict() if written else {}
        yield step.result(
            GREEKS_SCHEMA, frames, {"sources": dg.MetadataValue.json({k: int(v) for k, v in sources.items()})}
        )


def _gross(valuations: pd.DataFrame, day: dt.date) -> dict[tuple[str, str], float]:
    today = valuations[valuations["as_of_date"] == day]
    return {k: float(v) for k, v in today.groupby(["tenant_id", "portfolio_id"])["market_value"].sum().items()}


def _diagnostics(step: _DailyStep, closes: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """The day's market-wide factor diagnostics, or none (a `_market` failure) when they cannot be written."""
    try:
        frame = pipeline.factor_diagnostics(closes, day, SETTINGS)
        return schemas.writable(frame, tables.factor_diagnostics, f"{DOMAIN}/factor_diagnostics/{day}")
    except pipeline.COMPUTE_ERRORS as error:
        step.fail(
            PortfolioFailure(tables.MARKET_TENANT, "factor_diagnostics", "-", day, step.name, pipeline.typed(error))
        )
        return pd.DataFrame()


@dg.asset(
    key=BETAS_KEY,
    deps=[GREEKS_KEY],
    description="Univariate OLS (with intercept) of each position's daily returns on each factor ETF over 60 "
    "sessions (≥ 20 aligned observations, no zero-filling): beta, alpha, R², t, SE, n; an option takes its "
    "underlying's beta (method `underlying`: exposure = delta-adjusted exposure × beta). Also portfolio beta "
    "and dollar exposure per factor (analytics.equity_portfolio_factors) and the factor correlation matrix with VIFs "
    "(analytics.equity_factor_diagnostics). Short Interest is regressed on like the others when factors.yaml "
    "names a series folder, else reported unavailable with the reason. "
    "Table analytics.equity_factor_betas.",
    check_specs=[pandera_check_spec(BETAS_KEY, BETAS_SCHEMA), _computed_spec(BETAS_KEY)],
    metadata={"table": "analytics.equity_factor_betas"},
    **_DAILY,
)
def factor_betas(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, price_source: PriceSourceResource
) -> Iterator[dg.MaterializeResult]:
    """Betas per position and factor, portfolio aggregates per day; the market-wide diagnostics beside them."""
    with _daily(context, warehouse, BETAS_KEY) as step:
        days = _days(context)
        held = _held_by_day(step.engine, days)
        start = calendar.sessions_back(min(days), SETTINGS.beta_window + 1)[0]
        closes = store.close_history(step.engine, price_source.build(step.engine), _tickers(held), start, max(days))
        closes = store.with_short_interest(closes, SETTINGS)
        greeks_rows = store.read_rows(step.engine, tables.position_greeks, start, max(days))
        valuations = store.read_rows(step.engine, tables.position_valuations, min(days), max(days))
        frames, vifs = {}, {}
        for day in days:
            day_greeks, gross = greeks_rows[greeks_rows["as_of_date"] == day], _gross(valuations, day)

            def compute(
                keys: Sequence[PortfolioKey],
                day: dt.date = day,
                day_greeks: pd.DataFrame = day_greeks,
                gross: dict[PortfolioKey, float] = gross,
            ) -> Frames:
                held_today = _sound(held[day], keys)
                mine = pipeline.only(day_greeks, keys)
                return pipeline.factor_betas(held_today, closes, mine, gross, day, SETTINGS)[:2]

            diagnostics = _diagnostics(step, closes, day)
            frames[day] = step.write(
                day,
                held[day],
                compute,
                [(tables.factor_betas, BETAS_SCHEMA), (tables.portfolio_factors, None)],
                also={tables.factor_diagnostics: diagnostics},
            )
            vifs = {r.etf: round(float(r.vif), 2) for r in diagnostics.itertuples()} if len(diagnostics) else {}
        yield step.result(BETAS_SCHEMA, frames, {"vif": dg.MetadataValue.json(vifs)})


@dg.asset(
    key=RISK_KEY,
    deps=[BETAS_KEY],
    description="Portfolio daily return = daily P&L / previous gross market value; beta to SPY, annualised "
    "volatility and Sharpe over 60 sessions, max drawdown over 90 (empyrical), 1-day 95% VaR parametric and "
    "historical, and factor-model VaR √(eᵀBΣBᵀe) with sample and 0.94-EWMA covariance. "
    "Table analytics.equity_risk_metrics.",
    check_specs=[pandera_check_spec(RISK_KEY, RISK_SCHEMA), _computed_spec(RISK_KEY)],
    metadata={"table": "analytics.equity_risk_metrics"},
    **_DAILY,
)
def risk_metrics(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, price_source: PriceSourceResource
) -> Iterator[dg.MaterializeResult]:
    """Risk metrics per portfolio per day."""
    with _daily(context, warehouse, RISK_KEY) as step:
        days = _days(context)
        engine = step.engine
        lookback = max(SETTINGS.drawdown_window, SETTINGS.risk_window, SETTINGS.beta_window) + 1
        start = calendar.sessions_back(min(days), lookback)[0]
        valuations = store.read_rows(engine, tables.position_valuations, start, max(days))
        history = valuations.groupby(["tenant_id", "portfolio_id", "as_of_date"], as_index=False)[
            ["daily_pnl", "market_value"]
        ].sum()
        closes = store.close_history(engine, price_source.build(engine), SETTINGS.etfs, start, max(days))
        closes = store.with_short_interest(closes, SETTINGS)
        etf_returns = closes.astype(float) / closes.astype(float).shift(1) - 1.0
        spy = etf_returns["SPY"] if "SPY" in etf_returns else pd.Series(dtype=float)
        spy.index = pd.Index(spy.index)
        greeks_rows = store.read_rows(engine, tables.position_greeks, min(days), max(days))
        betas = store.read_rows(engine, tables.factor_betas, min(days), max(days))
        frames = {}
        for day in days:
            window = etf_returns[etf_returns.index <= day].tail(SETTINGS.beta_window)
            upto = history[history["as_of_date"] <= day]
            day_greeks, day_betas = greeks_rows[greeks_rows["as_of_date"] == day], betas[betas["as_of_date"] == day]

            def compute(
                keys: Sequence[PortfolioKey],
                day: dt.date = day,
                upto: pd.DataFrame = upto,
                day_greeks: pd.DataFrame = day_greeks,
                day_betas: pd.DataFrame = day_betas,
                window: pd.DataFrame = window,
            ) -> Frames:
                only = pipeline.only
                mine = (only(upto, keys), spy, only(day_greeks, keys), only(day_betas, keys), window)
                return (pipeline.risk_metrics(*mine, day, SETTINGS),)

            today = upto[upto["as_of_date"] == day]
            frames[day] = step.write(day, today, compute, [(tables.risk_metrics, RISK_SCHEMA)])
        yield step.result(RISK_SCHEMA, frames)


@dg.asset(
    key=SNAPSHOTS_KEY,
    deps=[RISK_KEY],
    description="One row per portfolio per trading day: totals, long/short/gross/net exposure, P&L, Greeks by "
    "view, factor betas and risk metrics; rows older than the retention (factors.yaml, default 365 days) are "
    "removed. Table analytics.equity_portfolio_snapshots.",
    check_specs=[pandera_check_spec(SNAPSHOTS_KEY, SNAPSHOTS_SCHEMA), _computed_spec(SNAPSHOTS_KEY)],
    metadata={"table": "analytics.equity_portfolio_snapshots"},
    **_DAILY,
)
def portfolio_snapshots(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    """Snapshot each portfolio per day, then apply the retention."""
    with _daily(context, warehouse, SNAPSHOTS_KEY) as step:
        days = _days(context)
        engine = step.engine
        start, end = min(days), max(days)
        inputs = [
            store.read_rows(engine, table, start, end)
            for table in (
                tables.position_valuations,
                tables.position_greeks,
                tables.portfolio_factors,
                tables.risk_metrics,
            )
        ]
        frames = {}
        for day in days:
            today = [frame[frame["as_of_date"] == day] for frame in inputs]

            def compute(keys: Sequence[PortfolioKey], day: dt.date = day, today: list[pd.DataFrame] = today) -> Frames:
                return (pipeline.snapshots(*(pipeline.only(frame, keys) for frame in today), day),)

            frames[day] = step.write(day, today[0], compute, [(tables.portfolio_snapshots, SNAPSHOTS_SCHEMA)])
        cutoff = end - dt.timedelta(days=SETTINGS.snapshot_retention_days)
        with engine.begin() as conn:
            removed = conn.execute(
                tables.portfolio_snapshots.delete().where(tables.portfolio_snapshots.c.as_of_date < cutoff)
            ).rowcount
        retention = {"retention_cutoff": cutoff.isoformat(), "rows_removed_by_retention": removed}
        yield step.result(SNAPSHOTS_SCHEMA, frames, retention)


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
