"""One tenant, one blast radius: a bad positions file or portfolio fails only its own part of the daily chain.

Three tenants land positions: `good` (one book), `bad` (a portfolio whose quantity becomes 1e300 in the
warehouse, as a file landed before the file-level bound would leave it, beside a sound one) and `odd` (a
deep out-of-the-money call the price source marks at 0, which the prices schema refuses). One trading day
of the whole chain then runs: the good figures are computed and written, worked by hand from the day's
closes; the bad portfolio has no rows and its typed failure names tenant, portfolio and file; the odd
ticker is a recorded price failure. A backfill run of the bad portfolio ends `failed` with its error.
"""

from __future__ import annotations

import datetime as dt
import uuid

import dagster as dg
import pytest
import sqlalchemy as sa

from orchestration.equity import tables

SUFFIX = uuid.uuid4().hex[:6]
GOOD, BAD, ODD, HUGE = f"eqgood-{SUFFIX}", f"eqbad-{SUFFIX}", f"eqodd-{SUFFIX}", f"eqhuge-{SUFFIX}"
MINE = (GOOD, BAD, ODD, HUGE)
DAY = dt.date(2024, 7, 12)
HEADER = "ticker,quantity,entry_price,entry_date,tags\n"
GOOD_BOOK = HEADER + "KO,10,50.00,2024-01-02,\nAAPL,-5,150.00,2024-01-02,hedge\n"
BAD_BOOK = HEADER + "AAPL,100,150.00,2024-01-02,\n"
SOUND_BOOK = HEADER + "MSFT,7,300.00,2024-01-02,\n"
ODD_CALL = "AAPL240719C09999000"  # strike $9,999: the synthetic source prices it at exactly 0
ODD_BOOK = HEADER + f"{ODD_CALL},1,0.05,2024-01-02,\nMSFT,3,300.00,2024-01-02,\n"
DAILY_TABLES = (
    tables.position_valuations,
    tables.position_greeks,
    tables.factor_betas,
    tables.portfolio_factors,
    tables.risk_metrics,
    tables.portfolio_snapshots,
)


def _rows(platform, table, tenant: str, day: dt.date = DAY) -> list[dict]:
    query = sa.select(table).where(table.c.tenant_id == tenant, table.c.partition_key == day.isoformat())
    with platform.warehouse.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def _close(platform, ticker: str, day: dt.date = DAY) -> float:
    m = tables.market_prices
    query = sa.select(m.c.close).where(m.c.ticker == ticker, m.c.price_date == day)
    with platform.warehouse.connect() as conn:
        return float(conn.execute(query).scalar_one())


@pytest.fixture(scope="module", autouse=True)
def forget(platform):
    """Remove this module's positions at its end, so later modules' daily runs never meet the bad portfolio."""
    yield
    with platform.warehouse.begin() as conn:
        for table in (tables.positions, tables.portfolios):
            conn.execute(table.delete().where(table.c.tenant_id.in_(MINE)))


@pytest.fixture(scope="module")
def landed(platform, lander):
    """Land and load every book; then the bad portfolio's quantity becomes 1e300 in raw.equity_positions."""
    keys = {
        "good": lander.land(GOOD, "book.csv", GOOD_BOOK, '{"portfolio_id": "main"}'),
        "bad": lander.land(BAD, "bad.csv", BAD_BOOK, '{"portfolio_id": "bad"}'),
        "sound": lander.land(BAD, "sound.csv", SOUND_BOOK, '{"portfolio_id": "sound"}'),
        "odd": lander.land(ODD, "odd.csv", ODD_BOOK, '{"portfolio_id": "odd"}'),
    }
    for key in keys.values():
        assert lander.positions(key).success
    p = tables.positions
    with platform.warehouse.begin() as conn:
        conn.execute(p.update().where(p.c.tenant_id == BAD, p.c.portfolio_id == "bad").values(quantity=10**300))
    return keys


@pytest.fixture(scope="module")
def day_run(landed, lander) -> dg.ExecuteInProcessResult:
    return lander.day(DAY, raise_on_error=False)


def test_the_good_tenants_figures_are_written_from_the_days_closes(platform, day_run):
    valuations = {r["ticker"]: r for r in _rows(platform, tables.position_valuations, GOOD)}
    ko, aapl = _close(platform, "KO"), _close(platform, "AAPL")
    assert valuations["KO"]["market_value"] == pytest.approx(10 * ko, rel=1e-12)
    assert valuations["AAPL"]["market_value"] == pytest.approx(5 * aapl, rel=1e-12)
    assert valuations["AAPL"]["exposure"] == pytest.approx(-5 * aapl, rel=1e-12)
    (risk,) = _rows(platform, tables.risk_metrics, GOOD)
    assert risk["gross_market_value"] == pytest.approx(10 * ko + 5 * aapl, rel=1e-12)
    (snapshot,) = _rows(platform, tables.portfolio_snapshots, GOOD)
    assert snapshot["gross_exposure"] == pytest.approx(10 * ko + 5 * aapl, rel=1e-12)
    assert snapshot["net_exposure"] == pytest.approx(10 * ko - 5 * aapl, rel=1e-12)
    assert {r["ticker"] for r in _rows(platform, tables.position_greeks, GOOD)} == {"KO", "AAPL"}
    assert {r["factor"] for r in _rows(platform, tables.portfolio_factors, GOOD)} >= {"Market"}


def test_the_bad_tenants_sound_portfolio_is_computed_and_the_bad_one_is_absent(platform, day_run):
    msft = _close(platform, "MSFT")
    for table in DAILY_TABLES:
        portfolios = {r["portfolio_id"] for r in _rows(platform, table, BAD)}
        assert portfolios == {"sound"}, table.name
    (sound,) = _rows(platform, tables.position_valuations, BAD)
    assert sound["market_value"] == pytest.approx(7 * msft, rel=1e-12)


def test_the_bad_portfolio_fails_the_run_with_a_typed_error_naming_it(day_run):
    assert not day_run.success
    failures = [e for e in day_run.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert [f.step_key for f in failures] == ["equity__portfolio_snapshots"]  # the chain's last step, after writing
    (failure,) = failures
    metadata = failure.step_failure_data.user_failure_data.metadata
    assert metadata["error_code"].value == "VALIDATION_ERROR"
    message = failure.step_failure_data.error.message
    for named in (BAD, "portfolio bad", "bad.csv", "quantity"):
        assert named in message
    assert GOOD not in message


def test_every_step_reports_the_failed_portfolio_in_a_failed_check(day_run):
    checks = {
        c.asset_key.path[-1]: c for c in day_run.get_asset_check_evaluations() if c.check_name == "portfolios_computed"
    }
    assert set(checks) == {
        "position_valuations",
        "position_greeks",
        "factor_betas",
        "risk_metrics",
        "portfolio_snapshots",
    }
    valuations = checks["position_valuations"]
    assert not valuations.passed
    assert valuations.severity == dg.AssetCheckSeverity.ERROR
    (failure,) = [f for f in valuations.metadata["failures"].value if f["tenant_id"] == BAD]
    assert (failure["portfolio_id"], failure["file_name"], failure["code"]) == ("bad", "bad.csv", "VALIDATION_ERROR")
    assert failure["day"] == DAY.isoformat()


def test_an_odd_ticker_is_a_price_failure_and_the_other_prices_are_written(platform, day_run):
    failures = {r["ticker"]: r["error_code"] for r in _rows(platform, tables.price_failures, tables.MARKET_TENANT)}
    assert failures.get(ODD_CALL) == "INVALID_PRICE"
    prices = {r["ticker"] for r in _rows(platform, tables.market_prices, tables.MARKET_TENANT)}
    assert {"KO", "AAPL", "MSFT", "SPY"} <= prices
    assert ODD_CALL not in prices
    valuations = {r["ticker"]: r for r in _rows(platform, tables.position_valuations, ODD)}
    assert valuations[ODD_CALL]["price_source"] == "entry_price"  # no market price: the flagged fallback
    assert valuations[ODD_CALL]["market_value"] == pytest.approx(1 * 100 * 0.05)
    assert valuations["MSFT"]["market_value"] == pytest.approx(3 * _close(platform, "MSFT"), rel=1e-12)
    factor_diagnostics = _rows(platform, tables.factor_diagnostics, tables.MARKET_TENANT)
    assert {r["etf"] for r in factor_diagnostics} >= {"SPY"}


def test_a_failed_backfill_says_failed_and_the_others_completed(platform, landed):
    from orchestration.definitions import defs
    from orchestration.equity.definitions import execute_backfills

    p = tables.portfolios
    with platform.warehouse.connect() as conn:
        first = conn.execute(sa.select(sa.func.min(p.c.landed_at)).where(p.c.tenant_id.in_(MINE))).scalar_one()
    job = defs.resolve_job_def("equity_daily_job")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("orchestration.equity.definitions.SETTINGS.backfill_days", 2)
        outcomes, _ = execute_backfills(
            job, platform.instance, platform.warehouse, (first - dt.timedelta(microseconds=1)).isoformat(), DAY
        )
    b = tables.backfill_progress
    with platform.warehouse.connect() as conn:
        rows = conn.execute(sa.select(b).where(b.c.tenant_id.in_(MINE))).mappings().all()
    progress = {(r["tenant_id"], r["portfolio_id"]): r for r in rows}
    success = {backfill_id: ok for _, backfill_id, ok in outcomes}
    assert len(success) == 4
    failed = progress[(BAD, "bad")]
    assert success[failed["backfill_id"]] is False
    assert failed["status"] == "failed"
    assert failed["error_details"]["code"] == "VALIDATION_ERROR"
    assert "portfolio bad" in failed["error_details"]["message"]
    assert "bad.csv" in failed["error_details"]["where"]
    assert failed["completed_at"] is None
    for key in ((GOOD, "main"), (BAD, "sound"), (ODD, "odd")):
        assert progress[key]["status"] == "completed", key
        assert success[progress[key]["backfill_id"]] is True
        assert BAD not in str(progress[key]["error_details"] or "")  # another tenant's failure is never shown
    assert ODD_CALL not in str(progress[(GOOD, "main")]["error_details"] or "")  # nor another tenant's ticker
    odd = progress[(ODD, "odd")]
    assert (odd["failed_symbols"], list(odd["error_details"])) == (1, [ODD_CALL])


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("AAPL,1e300,150.00,2024-01-02,", "quantity"),
        ("AAPL,-1e300,150.00,2024-01-02,", "quantity"),
        ("AAPL,10000000000000001,150.00,2024-01-02,", "quantity"),
        ("AAPL,100,1e300,2024-01-02,", "entry_price"),
    ],
)
def test_the_file_run_refuses_an_overflowing_quantity_or_price(lander, row, column):
    key = lander.land(HUGE, f"huge-{uuid.uuid4().hex[:6]}.csv", HEADER + row + "\n")
    result = lander.positions(key, raise_on_error=False)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert failure.step_failure_data.user_failure_data.metadata["error_code"].value == "VALIDATION_ERROR"
    assert "row 2" in failure.step_failure_data.error.message
    assert column in failure.step_failure_data.error.message
