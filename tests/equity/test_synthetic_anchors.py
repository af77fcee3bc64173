"""Synthetic prices at believable levels: each ticker's path is anchored at the first landed entry price.

Seed 004's sample shorts MSFT at 380 on 2024-01-20 (a Saturday); before anchoring, the synthetic MSFT stood at
$25.55 and the short showed +$177k. Pure checks: the anchor's session closes at its level, returns are
untouched by the scale, an option is priced off its underlying's anchored spot (Black-Scholes worked here with
math.erf), and every generated stock has a believable volatility. Warehouse check with a ticker no other test
uses: the earliest stock entry across tenants anchors it (an option's premium never does), the stored bar then
keeps that level whatever lands later.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from orchestration.equity import store, synthetic, tables
from orchestration.equity.assets import PRICES_KEY
from orchestration.equity.config import load_settings
from orchestration.equity.demo import LONGS, SHORTS
from orchestration.equity.resources import PriceSourceResource

HEADER = "ticker,quantity,entry_price,entry_date,tags\n"
FRIDAY, SATURDAY = dt.date(2024, 1, 19), dt.date(2024, 1, 20)


def _ticker() -> str:
    """Five letters no other test lands (so no other landing anchors it first)."""
    return "Q" + "".join(chr(ord("A") + int(c, 16) % 26) for c in uuid.uuid4().hex[:4])


def _black_scholes_call(spot: float, strike: float, years: float, rate: float, vol: float) -> float:
    def n(x: float) -> float:
        return 0.5 * (1 + math.erf(x / math.sqrt(2)))

    d1 = (math.log(spot / strike) + (rate + vol * vol / 2) * years) / (vol * math.sqrt(years))
    return spot * n(d1) - strike * math.exp(-rate * years) * n(d1 - vol * math.sqrt(years))


def test_the_anchor_session_closes_at_its_level_and_returns_keep_their_shape():
    anchor = synthetic.Anchor(SATURDAY, 380.0)  # a Saturday anchors the Friday before
    path = synthetic.closes("MSFT", anchor)
    assert path.loc[pd.Timestamp(FRIDAY)] == pytest.approx(380.0, rel=1e-12)
    unit = synthetic.unit_path("MSFT")
    np.testing.assert_allclose(path.pct_change().dropna(), unit.pct_change().dropna(), rtol=1e-9)
    other = synthetic.closes("MSFT", synthetic.Anchor(dt.date(2025, 6, 2), 50.0))
    assert (path / other).std() / (path / other).mean() < 1e-12  # another anchor is only another scale


def test_an_option_is_priced_off_its_underlyings_anchored_spot():
    anchor = synthetic.Anchor(FRIDAY, 200.0)
    day, symbol = dt.date(2024, 3, 1), "ABCD241220C00210000"
    spot = float(synthetic.closes("ABCD", anchor).loc[pd.Timestamp(day)])
    years = (dt.date(2024, 12, 20) - day).days / 365
    expected = _black_scholes_call(spot, 210.0, years, 0.05, synthetic.annual_volatility("ABCD"))
    bars = synthetic.bars(symbol, day, day, 0.05, {"ABCD": anchor})
    assert float(bars["close"].iloc[0]) == pytest.approx(expected, rel=1e-6)
    assert 150 < spot < 260  # six weeks from an anchor at 200


def test_every_stock_has_a_believable_volatility():
    rng = np.random.default_rng(7)
    names = [*LONGS, *SHORTS, *("".join(chr(65 + i) for i in rng.integers(0, 26, 4)) for _ in range(150))]
    window = slice(pd.Timestamp("2020-01-02"), pd.Timestamp("2025-12-31"))
    realised = [synthetic.unit_path(t).loc[window].pct_change().std() * math.sqrt(252) for t in names]
    assert min(realised) > 0.10, min(realised)
    assert max(realised) < 0.50, max(realised)
    settings = load_settings()
    anchors = settings.synthetic.anchors()
    for ticker in [*LONGS, *SHORTS]:  # the demo book: no calendar year moves a stock by more than half
        path = synthetic.closes(ticker, anchors[ticker])
        for year in (2024, 2025):
            start = path.loc[: pd.Timestamp(year - 1, 12, 31)].iloc[-1]
            end = path.loc[: pd.Timestamp(year, 12, 31)].iloc[-1]
            assert abs(end / start - 1) < 0.5, (ticker, year, end / start - 1)


def test_configured_levels_are_the_anchor_of_a_ticker_no_file_prices():
    settings = load_settings().synthetic
    source = PriceSourceResource().build()
    msft = source.fetch(["MSFT"], settings.anchor_date, settings.anchor_date).prices
    assert float(msft["close"].iloc[0]) == pytest.approx(329.81)  # MSFT's close of 2023-10-27, factors.yaml
    odd = source.fetch(["QZZZZ"], settings.anchor_date, settings.anchor_date).prices
    assert float(odd["close"].iloc[0]) == pytest.approx(settings.default_level)


@pytest.fixture
def cleanup(platform):
    tickers: list[str] = []
    yield tickers
    with platform.warehouse.begin() as conn:
        m = tables.market_prices
        conn.execute(m.delete().where(m.c.ticker.in_(tickers)))
        for table in (tables.positions, tables.portfolios):
            conn.execute(table.delete().where(table.c.tenant_id.like("anchor-%")))


def test_the_first_landed_entry_anchors_the_ticker_and_the_stored_bar_keeps_it(platform, lander, cleanup):
    ticker = _ticker()
    cleanup.append(ticker)
    suffix = uuid.uuid4().hex[:6]
    option = f"{ticker}240119C00150000"
    first = HEADER + f'{ticker},-500,380.00,{SATURDAY},"hedge"\n{option},10,5.50,2024-01-10,\n'
    later = HEADER + f"{ticker},100,50.00,2024-03-01,\n"
    for tenant, content in ((f"anchor-a-{suffix}", first), (f"anchor-b-{suffix}", later)):
        assert lander.positions(lander.land(tenant, "book.csv", content, '{"portfolio_id": "p"}')).success
    anchors = store.synthetic_anchors(platform.warehouse)
    assert anchors[ticker] == synthetic.Anchor(SATURDAY, 380.0)  # not the option's earlier premium of 5.50

    assert lander.daily(FRIDAY, FRIDAY, selection=[PRICES_KEY]).success
    m = tables.market_prices
    query = sa.select(m.c.close).where(m.c.ticker == ticker, m.c.price_date == FRIDAY)
    with platform.warehouse.connect() as conn:
        assert conn.execute(query).scalar_one() == pytest.approx(380.0, rel=1e-12)

    earlier = HEADER + f"{ticker},100,10.00,2023-06-01,\n"  # lands afterwards with an earlier entry
    assert lander.positions(lander.land(f"anchor-c-{suffix}", "book.csv", earlier, '{"portfolio_id": "p"}')).success
    kept = store.synthetic_anchors(platform.warehouse)[ticker]  # the stored bar: 380 up to float rounding
    assert kept.day == FRIDAY
    assert kept.level == pytest.approx(380.0, rel=1e-12)
    march = PriceSourceResource().build(platform.warehouse).fetch([ticker], dt.date(2024, 3, 1), dt.date(2024, 3, 1))
    unit = synthetic.unit_path(ticker)
    by_hand = 380.0 * unit.loc[pd.Timestamp("2024-03-01")] / unit.loc[pd.Timestamp(FRIDAY)]
    assert float(march.prices["close"].iloc[0]) == pytest.approx(by_hand, rel=1e-12)
