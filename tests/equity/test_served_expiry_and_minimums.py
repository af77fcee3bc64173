"""Issue 14 items 2 and 4 as served: through the daily chain (Dagster, Postgres), dbt marts and the API.

A book with an AAPL call (strike 10: deep in the money) and a short AAPL put (strike 1: worthless) expiring on
Friday 2024-07-19, run over 2024-06-20 .. 2024-07-23 (23 sessions). Expected values are worked from the stored
market prices (the underlying's close on the expiry date) and the stored daily P&L, in plain Python.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import statistics
import warnings

import pytest
import sqlalchemy as sa

from api.keys import create_api_key
from api.main import create_app
from orchestration.equity import tables
from tests.api.helpers import api_settings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

TENANT = "eqexpiry"
CALL, PUT = "AAPL240719C00010000", "AAPL240719P00001000"
BOOK = (
    "ticker,quantity,entry_price,entry_date,tags\n"
    "AAPL,100,150.00,2023-12-01,tech\n"
    "MSFT,-50,300.00,2023-12-01,tech\n"
    f"{CALL},2,5.00,2023-12-01,options\n"
    f"{PUT},-3,0.50,2023-12-01,options\n"
)
START, EXPIRY, END = dt.date(2024, 6, 20), dt.date(2024, 7, 19), dt.date(2024, 7, 23)
FOURTH = dt.date(2024, 6, 25)  # the 4th session of the run: 3 returns


@pytest.fixture(scope="module")
def served(platform, lander):
    key = lander.land(TENANT, "book.csv", BOOK, '{"portfolio_id": "EXP"}')
    assert lander.positions(key).success
    assert lander.daily(START, END).success
    platform.run_dbt("build", "--select", "staging.equity", "marts.equity")
    client = TestClient(create_app(api_settings(), instance=platform.instance))
    client.__enter__()
    headers = {"X-API-Key": create_api_key(platform.warehouse, TENANT, "expiry tests")}

    def get(path: str, **params: str) -> dict:
        response = client.get(f"/api/v1{path}", headers=headers, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    yield get
    client.__exit__(None, None, None)


def _close(platform, ticker: str, day: dt.date) -> float:
    m = tables.market_prices
    with platform.warehouse.connect() as conn:
        return float(conn.execute(sa.select(m.c.close).where(m.c.ticker == ticker, m.c.price_date == day)).scalar())


def _positions(get, day: dt.date) -> dict[str, dict]:
    return {p["ticker"]: p for p in get("/positions", portfolio_id="EXP", as_of=day.isoformat())["data"]}


def test_the_option_settles_at_intrinsic_value_on_its_expiry_day(platform, served):
    spot = _close(platform, "AAPL", EXPIRY)
    before = _positions(served, dt.date(2024, 7, 18))
    on = _positions(served, EXPIRY)
    call, put = on[CALL], on[PUT]
    assert not before[CALL]["expired"]
    assert before[CALL]["market_value"] > 0
    # call: max(S − 10, 0) = S − 10 (S ≈ 100s); put: max(1 − S, 0) = 0
    assert call["price"] == pytest.approx(spot - 10.0, rel=1e-12)
    assert put["price"] == 0.0
    assert call["price_source"] == put["price_source"] == "settlement"
    assert call["expired"]
    assert put["expired"]
    assert not on["AAPL"]["expired"]
    # daily P&L vs Thursday's option close: 2 × 100 × ((S − 10) − C_thu); −3 × 100 × (0 − P_thu)
    call_thu, put_thu = before[CALL]["price"], before[PUT]["price"]
    assert call["daily_pnl"] == pytest.approx(200 * ((spot - 10.0) - call_thu), rel=1e-9)
    assert put["daily_pnl"] == pytest.approx(-300 * (0.0 - put_thu), abs=1e-9)
    # realised P&L: 2 × 100 × ((S − 10) − 5); −3 × 100 × (0 − 0.50) = +150
    assert call["realized_pnl"] == pytest.approx(200 * (spot - 15.0), rel=1e-9)
    assert put["realized_pnl"] == pytest.approx(150.0)
    assert call["market_value"] == call["exposure"] == call["unrealized_pnl"] == 0.0
    assert call["greeks"]["source"] == "expired"
    assert call["greeks"]["delta"] == 0.0
    assert call["greeks"]["delta_adjusted_exposure"] == 0.0


def test_after_expiry_the_option_is_still_listed_flat_and_has_no_factor_exposure(platform, served):
    spot = _close(platform, "AAPL", EXPIRY)
    after = _positions(served, END)
    call = after[CALL]
    assert call["expired"]
    assert call["price"] == pytest.approx(spot - 10.0, rel=1e-12)
    assert call["daily_pnl"] == 0.0
    assert call["market_value"] == 0.0
    assert call["realized_pnl"] == pytest.approx(200 * (spot - 15.0), rel=1e-9)
    assert call["greeks"]["delta_adjusted_exposure"] == 0.0
    factors = served("/risk/factors", portfolio_id="EXP", as_of=END.isoformat())
    option_rows = [p for p in factors["positions"] if p["ticker"] in (CALL, PUT) and p["factor"] != "Short Interest"]
    assert option_rows
    assert all(p["status"] == "expired" and p["beta"] is None for p in option_rows)
    assert all(p["reason"].startswith("option expired on 2024-07-19") for p in option_rows)
    # portfolio Market dollar exposure = Σ DAE × β of the two stocks only
    stocks = {p["ticker"]: p["beta"] for p in factors["positions"] if p["factor"] == "Market" and len(p["ticker"]) < 6}
    dae = {t: after[t]["greeks"]["delta_adjusted_exposure"] for t in ("AAPL", "MSFT")}
    market = next(f for f in factors["factors"] if f["factor"] == "Market")
    assert market["dollar_exposure"] == pytest.approx(sum(dae[t] * stocks[t] for t in dae), rel=1e-9)
    assert market["positions_with_beta"] == 2


def test_the_ytd_fallback_flag_is_served(served):
    call = _positions(served, END)[CALL]
    # the option has no close on 2023-12-29: YTD P&L is P&L since entry, and says so; July's MTD has its close
    assert call["ytd_pnl_fallback"] is True
    assert call["ytd_pnl"] == pytest.approx(call["realized_pnl"], rel=1e-12)
    assert call["mtd_pnl_fallback"] is False
    assert _positions(served, END)["AAPL"]["ytd_pnl_fallback"] is False


def _returns(platform, upto: dt.date) -> list[float]:
    """r_t = Σ daily P&L_t / Σ market value_{t−1}, from the stored rows of the book."""
    v = tables.position_valuations
    query = sa.select(v.c.as_of_date, v.c.daily_pnl, v.c.market_value).where(
        v.c.tenant_id == TENANT, v.c.as_of_date <= upto
    )
    pnl: dict[dt.date, float] = {}
    value: dict[dt.date, float] = {}
    with platform.warehouse.connect() as conn:
        for day, daily, market_value in conn.execute(query):
            pnl[day] = pnl.get(day, 0.0) + daily
            value[day] = value.get(day, 0.0) + market_value
    days = sorted(pnl)
    return [pnl[d] / value[p] for p, d in itertools.pairwise(days)]


def test_three_returns_are_served_null_with_the_reason(served):
    metrics = served("/risk/metrics", portfolio_id="EXP", as_of=FOURTH.isoformat())
    assert metrics["n_returns"] == 3
    assert metrics["status"] == "insufficient_data"
    for name in ("beta_spy", "annual_volatility", "sharpe_ratio", "var_95_parametric", "var_95_historical"):
        assert metrics[name] is None, name
        assert metrics["reasons"][name] == "3 daily returns < 20 required (min_observations)"
    assert metrics["daily_return"] is not None


def test_with_enough_returns_the_served_numbers_are_the_hand_worked_ones(platform, served):
    metrics = served("/risk/metrics", portfolio_id="EXP", as_of=END.isoformat())
    returns = _returns(platform, END)
    assert metrics["n_returns"] == len(returns) == 22
    assert metrics["status"] == "ok"
    assert metrics["reasons"] == {}
    sd = statistics.stdev(returns)  # sample standard deviation (n − 1)
    assert metrics["annual_volatility"] == pytest.approx(sd * math.sqrt(252), rel=1e-9)
    z = 1.6448536269514722
    assert metrics["var_95_parametric"] == pytest.approx(-(statistics.fmean(returns) - z * sd), rel=1e-9)
