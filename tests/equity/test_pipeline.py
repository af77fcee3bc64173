"""The daily chain through Dagster on a real Postgres: partitions, re-runs, failures, backfill sensor."""

import datetime as dt
import itertools
import math
import statistics

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from orchestration.equity import calendar, store, tables
from orchestration.equity.assets import SETTINGS, TRADING_DAYS
from orchestration.equity.definitions import backfill_requests
from orchestration.equity.definitions import defs as equity_defs
from orchestration.equity.resources import PriceSourceResource
from tests.equity.conftest import UNKNOWN

BOOK = (
    "ticker,quantity,entry_price,entry_date,tags\n"
    'AAPL,100,150.00,2024-01-02,"momentum,tech"\n'
    'MSFT,-50,300.00,2024-01-02,"hedge,tech"\n'
    "AAPL250117C00300000,2,10.00,2024-01-02,options\n"
    'MSFT250117P00100000,-3,4.00,2024-01-02,"options,hedge"\n'
    f"{UNKNOWN},10,5.00,2024-01-02,\n"
)
START, END = dt.date(2024, 5, 1), dt.date(2024, 7, 12)


def _rows(platform, table, day):
    query = sa.select(table).where(table.c.partition_key == day.isoformat()).order_by(*table.primary_key.columns)
    with platform.warehouse.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


@pytest.fixture(scope="module")
def book(platform, lander):
    key = lander.land("eqpipe", "book.csv", BOOK, '{"portfolio_id": "P1", "name": "Pipe book"}')
    assert lander.positions(key).success
    result = lander.daily(START, END)
    assert result.success
    return key, result


def test_holidays_and_weekends_have_no_partition():
    keys = set(TRADING_DAYS.get_partition_keys())
    assert "2024-07-04" not in keys  # Independence Day
    assert "2024-07-06" not in keys
    assert "2024-07-07" not in keys  # weekend
    assert "2024-11-28" not in keys
    assert "2024-12-25" not in keys  # Thanksgiving, Christmas
    assert {"2024-07-03", "2024-07-05", "2024-11-29"} <= keys  # early close / the day after are sessions


def test_one_range_run_fills_every_session(platform, book):
    _, result = book
    materialized = {
        e.partition for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == "portfolio_snapshots"
    }
    assert "2024-07-04" not in materialized
    assert "2024-07-05" in materialized
    assert len(materialized) == 50  # XNYS sessions 2024-05-01 .. 2024-07-12
    with platform.warehouse.connect() as conn:
        dates = conn.execute(
            sa.select(sa.func.count(sa.distinct(tables.portfolio_snapshots.c.as_of_date))).where(
                tables.portfolio_snapshots.c.tenant_id == "eqpipe"
            )
        ).scalar_one()
    assert dates == 50


def test_unknown_ticker_is_recorded_and_the_day_goes_on(platform, book):
    day = dt.date(2024, 7, 12)
    failures = _rows(platform, tables.price_failures, day)
    assert [(f["ticker"], f["error_code"]) for f in failures] == [(UNKNOWN, "UNKNOWN_TICKER")]
    valuations = {
        r["ticker"]: r for r in _rows(platform, tables.position_valuations, day) if r["tenant_id"] == "eqpipe"
    }
    assert valuations[UNKNOWN]["price_source"] == "entry_price"  # the seed's fallback, flagged
    assert valuations["AAPL"]["price_source"] == "market"
    _, result = book
    checks = [c for c in result.get_asset_check_evaluations() if c.check_name == "all_tickers_priced"]
    assert checks
    assert not checks[0].passed
    assert checks[0].severity == dg.AssetCheckSeverity.WARN


def test_rerunning_a_partition_twice_gives_identical_rows(platform, lander, book):
    day = dt.date(2024, 7, 5)
    daily = [
        tables.market_prices,
        tables.position_valuations,
        tables.position_greeks,
        tables.factor_betas,
        tables.portfolio_factors,
        tables.risk_metrics,
        tables.portfolio_snapshots,
    ]
    assert lander.day(day).success
    first = {t.name: _rows(platform, t, day) for t in daily}
    assert lander.day(day).success
    second = {t.name: _rows(platform, t, day) for t in daily}
    assert first == second
    assert all(first[t.name] for t in daily)


def test_daily_numbers_hang_together(platform, book):
    day = dt.date(2024, 7, 12)
    vals = pd.DataFrame(_rows(platform, tables.position_valuations, day)).query("tenant_id == 'eqpipe'")
    prices = {r["ticker"]: r["close"] for r in _rows(platform, tables.market_prices, day)}
    prev = {r["ticker"]: r["close"] for r in _rows(platform, tables.market_prices, dt.date(2024, 7, 11))}
    aapl = vals.set_index("ticker").loc["AAPL"]
    assert aapl["market_value"] == pytest.approx(100 * prices["AAPL"])
    assert aapl["daily_pnl"] == pytest.approx(100 * (prices["AAPL"] - prev["AAPL"]))
    call = vals.set_index("ticker").loc["AAPL250117C00300000"]
    assert call["exposure"] == pytest.approx(2 * 100 * prices["AAPL250117C00300000"])
    greeks = pd.DataFrame(_rows(platform, tables.position_greeks, day)).query("tenant_id == 'eqpipe'")
    assert set(greeks.set_index("ticker").loc[["AAPL250117C00300000", "MSFT250117P00100000"], "source"]) == {
        "black_scholes"
    }
    betas = pd.DataFrame(_rows(platform, tables.factor_betas, day)).query("tenant_id == 'eqpipe'")
    stock = betas[(betas["ticker"] == "AAPL") & (betas["factor"] == "Market")].iloc[0]
    assert stock["status"] == "ok"
    assert stock["n_obs"] == 60
    assert betas[betas["factor"] == "Short Interest"]["status"].eq("unavailable").all()
    assert betas[betas["ticker"] == UNKNOWN]["status"].isin(["insufficient_data", "unavailable"]).all()
    (snapshot,) = [r for r in _rows(platform, tables.portfolio_snapshots, day) if r["tenant_id"] == "eqpipe"]
    assert snapshot["gross_exposure"] == pytest.approx(vals["market_value"].sum())
    assert snapshot["daily_pnl"] == pytest.approx(vals["daily_pnl"].sum())
    risk = pd.DataFrame(_rows(platform, tables.risk_metrics, day)).query("tenant_id == 'eqpipe'").iloc[0]
    assert risk["n_returns"] == 49
    expected = _risk_by_hand(platform, day)
    assert risk["annual_volatility"] == pytest.approx(expected["annual_volatility"], rel=1e-9)
    assert risk["var_95_parametric"] == pytest.approx(expected["var_95_parametric"], rel=1e-9)
    assert risk["var_95_factor"] == pytest.approx(expected["var_95_factor"], rel=1e-9)
    assert min(expected.values()) > 0  # none of the three matches is a trivial 0 == 0


def _risk_by_hand(platform, day: dt.date) -> dict[str, float]:
    """The day's risk figures recomputed from the stored rows in plain Python (statistics, no empyrical/scipy).

    r_t = Σ daily P&L_t / Σ market value_{t−1} over the book's 50 sessions → 49 returns;
    annual volatility = sample standard deviation (n − 1) × √252; parametric VaR = −(mean + z₀.₀₅ · sd);
    factor VaR = z₀.₉₅ · √(Lᵀ Σ L), L_k = Σ_i exposure_i · beta_ik (a missing beta counts 0), Σ the sample
    covariance (n − 1) of the factor ETFs' last 60 daily returns up to `day`.
    """
    v = tables.position_valuations
    query = sa.select(v.c.as_of_date, v.c.daily_pnl, v.c.market_value).where(v.c.tenant_id == "eqpipe")
    pnl: dict[dt.date, float] = {}
    value: dict[dt.date, float] = {}
    with platform.warehouse.connect() as conn:
        for as_of, daily_pnl, market_value in conn.execute(query):
            if as_of <= day:
                pnl[as_of] = pnl.get(as_of, 0.0) + daily_pnl
                value[as_of] = value.get(as_of, 0.0) + market_value
    dates = sorted(pnl)
    returns = [pnl[b] / value[a] for a, b in itertools.pairwise(dates) if value[a] > 0][-SETTINGS.risk_window :]
    sd = statistics.stdev(returns)
    normal = statistics.NormalDist()

    etfs = SETTINGS.etfs
    sessions = calendar.sessions_back(day, SETTINGS.beta_window + 1)
    closes = store.close_history(
        platform.warehouse, PriceSourceResource(unknown_tickers=[UNKNOWN]).build(platform.warehouse), etfs,
        sessions[0], day,
    )  # fmt: skip
    etf_returns = [[closes.loc[b, t] / closes.loc[a, t] - 1.0 for t in etfs] for a, b in itertools.pairwise(sessions)]
    n, k = len(etf_returns), len(etfs)
    means = [sum(row[j] for row in etf_returns) / n for j in range(k)]
    cov = [
        [sum((row[i] - means[i]) * (row[j] - means[j]) for row in etf_returns) / (n - 1) for j in range(k)]
        for i in range(k)
    ]
    exposure = {
        r["position_id"]: r["delta_adjusted_exposure"]
        for r in _rows(platform, tables.position_greeks, day)
        if r["tenant_id"] == "eqpipe"
    }
    loading = dict.fromkeys(etfs, 0.0)
    for r in _rows(platform, tables.factor_betas, day):
        if r["tenant_id"] == "eqpipe" and r["etf"] in loading and r["beta"] is not None and math.isfinite(r["beta"]):
            loading[r["etf"]] += (exposure.get(r["position_id"]) or 0.0) * r["beta"]
    variance = sum(loading[a] * cov[i][j] * loading[b] for i, a in enumerate(etfs) for j, b in enumerate(etfs))
    return {
        "annual_volatility": sd * math.sqrt(252),
        "var_95_parametric": -(statistics.fmean(returns) + normal.inv_cdf(0.05) * sd),
        "var_95_factor": normal.inv_cdf(0.95) * math.sqrt(variance),
    }


def test_a_bad_symbol_fails_only_its_file(platform, lander):
    key = lander.land(
        "eqbad", "bad.csv", "ticker,quantity,entry_price,entry_date,tags\nAAPL241319C00150000,1,1,2024-01-02,\n"
    )
    result = lander.positions(key, raise_on_error=False)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert failure.step_failure_data.user_failure_data.metadata["error_code"].value == "INVALID_SYMBOL"
    assert "bad.csv row 2" in failure.step_failure_data.error.message


def test_backfill_sensor_requests_one_range_run_per_new_portfolio(platform, book):
    requests, cursor = backfill_requests(platform.warehouse, None, dt.date(2024, 7, 8), 90)
    mine = [r for r in requests if r.tags["tenant"] == "eqpipe"]
    assert len(mine) == 1
    tags = mine[0].tags
    assert tags["dagster/asset_partition_range_end"] == "2024-07-08"
    # by hand: Jul 1-8 = 5 (Jul 4 closed), June 19 (Juneteenth), May 22 (Memorial Day), April 22, March 20
    # (Good Friday) = 88, then Feb 29 and Feb 28 → the 90th session back is 2024-02-28
    assert tags["dagster/asset_partition_range_start"] == "2024-02-28"
    again, _ = backfill_requests(platform.warehouse, cursor, dt.date(2024, 7, 8), 90)
    assert again == []
    with platform.warehouse.connect() as conn:
        progress = (
            conn.execute(
                sa.select(tables.backfill_progress).where(
                    tables.backfill_progress.c.backfill_id == tags["calcbridge/backfill_id"]
                )
            )
            .mappings()
            .one()
        )
    assert progress["status"] == "pending"
    assert progress["total_symbols"] == 5 + 7  # five tickers (underlyings among them) + seven ETFs


def test_schedules_skip_holidays():
    from orchestration.definitions import defs

    assert equity_defs().schedules
    schedule = defs.resolve_schedule_def("equity_market_data_schedule")
    holiday = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2024, 7, 4, 16, tzinfo=dt.UTC))
    assert isinstance(schedule.evaluate_tick(holiday).skip_message, str)
    context = dg.build_schedule_context(
        scheduled_execution_time=pd.Timestamp("2024-07-05 16:00", tz="America/New_York").to_pydatetime(),
        repository_def=defs.get_repository_def(),
    )
    (request,) = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == "2024-07-05"


def test_dbt_models_build_and_match_the_snapshots(platform, book):
    platform.run_dbt("build", "--select", "staging.equity", "marts.equity")
    with platform.warehouse.connect() as conn:
        daily = conn.execute(
            sa.text(
                "select as_of_date, daily_return, gross_exposure, daily_pnl from marts.equity_portfolio_daily "
                "where tenant_id = 'eqpipe' order by as_of_date"
            )
        ).all()
        current = conn.execute(
            sa.text("select count(*) from marts.equity_current_positions where tenant_id = 'eqpipe'")
        ).scalar_one()
    assert len(daily) == 50
    assert current == 5
    # the mart's return = P&L / previous gross, the same definition the risk metrics use
    assert daily[-1].daily_return == pytest.approx(daily[-1].daily_pnl / daily[-2].gross_exposure)


def test_execute_backfills_runs_one_range_run_and_records_progress(platform, lander):
    from orchestration.definitions import defs
    from orchestration.equity.definitions import execute_backfills

    key = lander.land("eqfill", "fill.csv", "ticker,quantity,entry_price,entry_date,tags\nKO,10,50,2024-01-02,\n")
    assert lander.positions(key).success
    with platform.warehouse.connect() as conn:
        landed = conn.execute(
            sa.select(tables.portfolios.c.landed_at).where(tables.portfolios.c.tenant_id == "eqfill")
        ).scalar_one()
    job = defs.resolve_job_def("equity_daily_job")
    cursor = (landed - dt.timedelta(microseconds=1)).isoformat()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("orchestration.equity.definitions.SETTINGS.backfill_days", 3)
        outcomes, _ = execute_backfills(job, platform.instance, platform.warehouse, cursor, dt.date(2024, 7, 8))
    assert [ok for _, _, ok in outcomes] == [True]
    with platform.warehouse.connect() as conn:
        progress = (
            conn.execute(
                sa.select(tables.backfill_progress).where(tables.backfill_progress.c.backfill_id == outcomes[0][1])
            )
            .mappings()
            .one()
        )
    assert progress["status"] == "completed"
    assert progress["start_date"] == dt.date(2024, 7, 3)  # Jul 3, 5, 8: the holiday is skipped
    assert progress["failed_symbols"] == 0
