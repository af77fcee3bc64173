"""The pieces that keep one portfolio's or one ticker's bad figures to itself (no database needed)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import pandas as pd
import pytest

from orchestration.core.checks import validate
from orchestration.core.errors import InputError
from orchestration.equity import pipeline, positions, schemas, store, tables
from orchestration.equity.prices import FetchResult, SyntheticPriceSource, TickerFailure, TransientSourceError
from orchestration.equity.schemas import VALUATIONS_SCHEMA

DAY = dt.date(2024, 7, 12)


def _held(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"tenant_id": t, "portfolio_id": p, "position_id": f"{t}-{p}", "quantity": q, "file_name": f"{p}.csv"}
            for t, p, q in rows
        ]
    )


def test_isolated_leaves_out_only_the_portfolio_whose_figures_fail():
    held = _held([("a", "p1", 10.0), ("b", "bad", 1e300), ("b", "p2", 7.0)])
    calls: list[list[tuple[str, str]]] = []

    def compute(keys: Sequence[tuple[str, str]]) -> tuple[pd.DataFrame, ...]:
        calls.append(list(keys))
        mine = pipeline.only(held, keys)
        return (mine.assign(value=mine["quantity"] * 1e10),)

    def check(frames: tuple[pd.DataFrame, ...]) -> tuple[pd.DataFrame, ...]:
        return (schemas.writable(frames[0].assign(var_95_factor=frames[0]["value"] ** 2), tables.risk_metrics, "t"),)

    (frame,), failed = pipeline.isolated(pipeline.portfolio_keys(held), compute, check)
    assert sorted(zip(frame["tenant_id"], frame["portfolio_id"], strict=True)) == [("a", "p1"), ("b", "p2")]
    assert list(failed) == [("b", "bad")]
    assert failed[("b", "bad")].code == "VALIDATION_ERROR"
    assert calls[0] == [("a", "p1"), ("b", "bad"), ("b", "p2")]  # all at once first, then one at a time


def test_isolated_computes_once_when_every_portfolio_is_sound():
    held = _held([("a", "p1", 10.0), ("b", "p2", 7.0)])
    calls = []

    def compute(keys):
        calls.append(keys)
        return (pipeline.only(held, keys),)

    (frame,), failed = pipeline.isolated(pipeline.portfolio_keys(held), compute, lambda frames: frames)
    assert (len(frame), failed, len(calls)) == (2, {}, 1)


def test_a_run_error_names_tenant_portfolio_file_and_days():
    error = InputError("VALIDATION_ERROR", "quantity 1e+300 is not a finite number", "bad.csv row 2")
    failures = [
        pipeline.PortfolioFailure("b", "bad", "bad.csv", DAY - dt.timedelta(days=1), "position_valuations", error),
        pipeline.PortfolioFailure("b", "bad", "bad.csv", DAY, "position_valuations", error),
    ]
    (entry,) = pipeline.left_out(failures)
    assert (entry["days"], entry["day"], entry["last_day"]) == (2, "2024-07-11", "2024-07-12")
    raised = pipeline.run_error([entry], 10)
    assert raised.code == "VALIDATION_ERROR"
    assert "tenant b, portfolio bad (bad.csv): 2 day(s)" in raised.message
    assert raised.where == "tenant b, portfolio bad, file bad.csv, 2024-07-11, position_valuations: bad.csv row 2"


@pytest.mark.parametrize(
    ("column", "value", "why"),
    [
        ("var_95_factor", math.inf, "not a finite number"),
        ("gross_market_value", math.nan, "not a finite number"),  # NOT NULL
        ("portfolio_id", None, "missing"),
    ],
)
def test_writable_refuses_what_the_warehouse_would(column, value, why):
    row = {"tenant_id": "a", "portfolio_id": "p", "as_of_date": DAY, "n_returns": 1, "gross_market_value": 1.0}
    frame = pd.DataFrame([row | {"var_95_factor": 1.0, "risk_free_rate": 0.04} | {column: value}])
    with pytest.raises(InputError, match=why) as raised:
        schemas.writable(frame, tables.risk_metrics, "equity/risk_metrics/2024-07-12")
    assert raised.value.details["column"] == column


def test_writable_refuses_a_non_finite_number_inside_json():
    frame = pd.DataFrame(
        [{"tenant_id": "a", "factor": "Market", "etf": "SPY", "n_obs": 1, "correlations": {"QQQ": math.inf}}]
    )
    with pytest.raises(InputError, match="correlations"):
        schemas.writable(frame, tables.factor_diagnostics, "here")
    assert schemas.writable(frame.assign(correlations=[{"QQQ": None}]), tables.factor_diagnostics, "here") is not None


def test_valid_prices_sets_aside_zero_negative_infinite_and_doubled_bars():
    rows = [
        ("KO", DAY, 60.0, 1000.0),
        ("ODD", DAY, 0.0, 1.0),
        ("NEG", DAY, -1.0, 1.0),
        ("INF", DAY, 10.0, math.inf),
        ("HUGE", DAY, 1e300, 1.0),
        ("TWICE", DAY, 5.0, 1.0),
        ("TWICE", DAY, 6.0, 1.0),
    ]
    prices = pd.DataFrame(
        [{"ticker": t, "price_date": d, "open": c, "high": c, "low": c, "close": c, "volume": v} for t, d, c, v in rows]
    )
    valid, refused = store.valid_prices(prices)
    assert list(valid["ticker"]) == ["KO"]
    assert sorted(t for t, _ in refused) == ["HUGE", "INF", "NEG", "ODD", "TWICE"]


class OneBrokenTicker:
    """A source whose `BROKEN` ticker raises (a malformed answer) inside a batch; the rest are synthetic."""

    name = "broken"

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.synthetic = SyntheticPriceSource()

    def fetch(self, tickers: Sequence[str], start: dt.date, end: dt.date) -> FetchResult:
        if "BROKEN" in tickers:
            raise self.error
        return self.synthetic.fetch(tickers, start, end)


def test_one_ticker_that_breaks_the_source_fails_alone():
    result = store.fetch_each(OneBrokenTicker(KeyError("c")), ["KO", "BROKEN", "MSFT"], DAY, DAY)
    assert sorted(result.prices["ticker"]) == ["KO", "MSFT"]
    assert result.failures == [TickerFailure("BROKEN", "SOURCE_ERROR", "KeyError: 'c'")]


def test_a_transient_fault_is_still_raised_for_the_retry_policy():
    with pytest.raises(TransientSourceError):
        store.fetch_each(OneBrokenTicker(TransientSourceError("503")), ["KO", "BROKEN"], DAY, DAY)


def test_the_bounds_are_inclusive_at_1e15_shares_and_1e9_dollars():
    header = "ticker,quantity,entry_price,entry_date,tags\n"
    ok = positions.parse_positions(
        (header + "KO,1000000000000000,1000000000,2024-01-02,\n").encode(),
        tenant_id="t",
        portfolio_id="p",
        file_name="f",
    )
    assert float(ok["quantity"].iloc[0]) == 1e15
    with pytest.raises(InputError, match="quantity") as raised:
        positions.parse_positions(
            (header + "KO,1e999,10,2024-01-02,\n").encode(), tenant_id="t", portfolio_id="p", file_name="f"
        )
    assert raised.value.where == "f row 2"


def test_check_figures_names_the_file_row_and_column():
    held = _held([("b", "bad", 1e300)]).assign(entry_price=150.0, row_number=2, ticker="AAPL")
    with pytest.raises(InputError, match="quantity") as raised:
        positions.check_figures(held)
    assert raised.value.where == "bad.csv row 2 (AAPL), column quantity"
    assert positions.check_figures(held.assign(quantity=-1e15)) is not None


def test_a_pandera_failure_of_one_portfolios_rows_leaves_out_that_portfolio_only():
    rows = [("a", "p1", 10.0, 10.0), ("b", "bad", -5.0, 5.0), ("b", "p2", 7.0, -7.0)]  # bad: market value < 0
    columns = ["tenant_id", "portfolio_id", "market_value", "exposure"]
    frame = pd.DataFrame(rows, columns=columns).assign(position_type="LONG", daily_pnl=0.0)

    def check(frames):
        return (validate(frames[0], VALUATIONS_SCHEMA, "equity/position_valuations/2024-07-12"),)

    (written,), failed = pipeline.isolated(
        pipeline.portfolio_keys(frame), lambda keys: (pipeline.only(frame, keys),), check
    )
    assert sorted(written["portfolio_id"]) == ["p1", "p2"]
    assert list(failed) == [("b", "bad")]
    assert "fail schema equity_position_valuations" in failed[("b", "bad")].message
