"""The equity routes over the equity marts: shapes, as-of days, filters, 404s, bad params, tenant isolation."""

import datetime as dt
import warnings
from collections import Counter

import pytest

from api.keys import create_api_key
from api.main import create_app
from tests.api.helpers import api_settings, assert_envelope

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

BOOK_A = (
    "ticker,quantity,entry_price,entry_date,tags\n"
    'AAPL,100,150.00,2024-01-02,"momentum,tech"\n'
    'MSFT,-50,300.00,2024-01-02,"hedge,tech"\n'
    "NVDA,20,100.00,2024-01-02,momentum\n"
    "AAPL250117C00300000,2,10.00,2024-01-02,options\n"
)
BOOK_B = "ticker,quantity,entry_price,entry_date,tags\nXOM,10,100.00,2024-01-02,energy\n"
LAST = dt.date(2024, 7, 12)


@pytest.fixture(scope="module")
def world(platform, lander):
    a, b = "eqapia", "eqapib"
    for tenant, book, sidecar in (
        (a, BOOK_A, '{"portfolio_id": "PA", "name": "Book A"}'),
        (b, BOOK_B, '{"portfolio_id": "PB"}'),
    ):
        assert lander.positions(lander.land(tenant, "book.csv", book, sidecar)).success
    assert lander.daily(dt.date(2024, 6, 20), LAST).success
    platform.run_dbt("build", "--select", "staging.equity", "marts.equity")
    app = create_app(api_settings(), instance=platform.instance)
    client = TestClient(app)
    client.__enter__()
    keys = {
        "a": {"X-API-Key": create_api_key(platform.warehouse, a, "equity tests")},
        "b": {"X-API-Key": create_api_key(platform.warehouse, b, "equity tests")},
    }
    yield client, keys
    client.__exit__(None, None, None)


def _get(world, path, who="a", status=200, **params):
    client, keys = world
    response = client.get(f"/api/v1{path}", headers=keys[who], params=params)
    assert response.status_code == status, response.text
    return response


def test_portfolios_and_overview(world):
    body = _get(world, "/portfolios").json()
    assert [p["portfolio_id"] for p in body["data"]] == ["PA"]
    assert body["data"][0]["as_of_date"] == LAST.isoformat()
    overview = _get(world, "/portfolio", portfolio_id="PA").json()
    assert overview["as_of_date"] == LAST.isoformat()
    assert overview["counts_by_type"] == {"LONG": 2, "SHORT": 1, "LC": 1, "LP": 0, "SC": 0, "SP": 0}
    assert overview["gross_exposure"] == pytest.approx(overview["long_exposure"] - overview["short_exposure"])
    positions = _get(world, "/positions").json()
    assert overview["pnl"]["daily"] == pytest.approx(sum(p["daily_pnl"] for p in positions["data"]))
    earlier = _get(world, "/portfolio", as_of="2024-07-04").json()
    assert earlier["as_of_date"] == "2024-07-03"  # the holiday resolves to the session before


def test_positions_filters_and_groups(world):
    body = _get(world, "/positions", portfolio_id="PA").json()
    assert body["count"] == 4
    assert body["as_of_date"] == LAST.isoformat()
    option = next(p for p in body["data"] if p["position_type"] == "LC")
    assert option["greeks"]["source"] == "black_scholes"
    assert option["multiplier"] == 100
    tickers = lambda **q: sorted(p["ticker"] for p in _get(world, "/positions", **q).json()["data"])  # noqa: E731
    assert tickers(tags="momentum,hedge", tagMode="any") == ["AAPL", "MSFT", "NVDA"]
    assert tickers(tags="momentum,technology", tagMode="all") == ["AAPL"]  # tags.yaml renames tech → technology
    assert tickers(type="LONG,LC") == ["AAPL", "AAPL250117C00300000", "NVDA"]
    groups = _get(world, "/positions", groupBy="type").json()["groups"]
    assert {g["key"]: g["count"] for g in groups} == {"LC": 1, "LONG": 2, "SHORT": 1}
    by_tag = {g["key"]: g["count"] for g in _get(world, "/positions", groupBy="tag").json()["groups"]}
    assert by_tag["momentum"] == 2
    assert by_tag["technology"] == 2


def test_position_detail_tags_and_tag_list(world):
    first = _get(world, "/positions").json()["data"][0]
    detail = _get(world, f"/positions/{first['position_id']}").json()
    assert detail == first
    tags = _get(world, f"/positions/{first['position_id']}/tags").json()["data"]
    assert [t["name"] for t in tags] == first["tags"]
    all_tags = {t["name"]: t for t in _get(world, "/tags").json()["data"]}
    assert all_tags["momentum"]["color"] == "#FF5733"
    assert all_tags["momentum"]["position_count"] == 2


# BOOK_A by hand: types LONG = AAPL, NVDA; SHORT = MSFT; LC = the AAPL call. Tags after tags.yaml's
# tech → technology rename: momentum = AAPL, NVDA; technology = AAPL, MSFT; hedge = MSFT; options = the call.
OPTION = "AAPL250117C00300000"
BY_TYPE = {"LC": {OPTION}, "LONG": {"AAPL", "NVDA"}, "SHORT": {"MSFT"}}
BY_TAG = {"hedge": {"MSFT"}, "momentum": {"AAPL", "NVDA"}, "options": {OPTION}, "technology": {"AAPL", "MSFT"}}


def _assert_groups_sum_the_list(groups, positions, expected):
    """Each served group holds the hand-expected tickers, and its count and sums are its members' from the list."""
    assert [g["key"] for g in groups] == sorted(expected)
    for group in groups:
        members = [p for p in positions if p["position_id"] in group["position_ids"]]
        assert group["position_ids"] == [p["position_id"] for p in members]  # in list order
        assert {p["ticker"] for p in members} == expected[group["key"]]
        assert group["count"] == len(members) == len(expected[group["key"]])
        for figure in ("market_value", "exposure", "daily_pnl"):
            assert group[figure] == pytest.approx(sum(p[figure] for p in members), abs=1e-9), figure


def test_served_groups_and_tag_counts_agree_with_the_served_list(world):
    positions = _get(world, "/positions").json()["data"]
    assert {p["ticker"] for p in positions} == {"AAPL", "MSFT", "NVDA", OPTION}
    for p in positions:  # exposure = quantity × price × multiplier (the call: 2 contracts × 100); value = |exposure|
        assert p["exposure"] == pytest.approx(p["quantity"] * p["price"] * p["multiplier"])
        assert p["market_value"] == pytest.approx(abs(p["exposure"]))
    # cost basis by hand from BOOK_A: 100 × 150, −50 × 300, 20 × 100, 2 × 10 × 100
    assert {p["ticker"]: p["cost_basis"] for p in positions} == {
        "AAPL": 15000.0,
        "MSFT": -15000.0,
        "NVDA": 2000.0,
        OPTION: 2000.0,
    }
    for group_by, expected in (("type", BY_TYPE), ("tag", BY_TAG)):
        groups = _get(world, "/positions", groupBy=group_by).json()["groups"]
        _assert_groups_sum_the_list(groups, positions, expected)
    # filtered: momentum → AAPL (momentum, technology) and NVDA (momentum), grouped by their tags
    momentum = _get(world, "/positions", groupBy="tag", tags="momentum").json()
    _assert_groups_sum_the_list(
        momentum["groups"], momentum["data"], {"momentum": {"AAPL", "NVDA"}, "technology": {"AAPL"}}
    )
    stocks = _get(world, "/positions", groupBy="tag", type="LONG,SHORT").json()
    expected = {"hedge": {"MSFT"}, "momentum": {"AAPL", "NVDA"}, "technology": {"AAPL", "MSFT"}}
    _assert_groups_sum_the_list(stocks["groups"], stocks["data"], expected)
    # tag counts: by hand from BOOK_A, and as counted over the served list
    tags = {t["name"]: t["position_count"] for t in _get(world, "/tags").json()["data"]}
    assert tags == {tag: len(tickers) for tag, tickers in BY_TAG.items()}
    assert tags == Counter(tag for p in positions for tag in p["tags"])
    for p in positions:
        served = _get(world, f"/positions/{p['position_id']}/tags").json()["data"]
        assert {t["name"]: t["position_count"] for t in served} == {tag: tags[tag] for tag in p["tags"]}
    # counts that summarise the same list: /portfolios, the overview, the Greeks' portfolio view
    (portfolio,) = _get(world, "/portfolios").json()["data"]
    overview = _get(world, "/portfolio").json()
    assert portfolio["position_count"] == overview["position_count"] == len(positions) == 4
    assert {k: v for k, v in overview["counts_by_type"].items() if v} == {k: len(v) for k, v in BY_TYPE.items()}
    assert overview["counts_by_type"] == {
        **dict.fromkeys(("LONG", "SHORT", "LC", "LP", "SC", "SP"), 0),
        **Counter(p["position_type"] for p in positions),
    }
    greeks = _get(world, "/risk/greeks").json()
    assert greeks["count"] == len(positions)
    assert greeks["delta"] == pytest.approx(sum(p["greeks"]["delta"] for p in positions))


def test_risk_routes(world):
    views = {v: _get(world, "/risk/greeks", view=v).json() for v in ("portfolio", "longs", "shorts")}
    assert views["portfolio"]["count"] == views["longs"]["count"] + views["shorts"]["count"]
    assert views["portfolio"]["delta"] == pytest.approx(views["longs"]["delta"] + views["shorts"]["delta"])
    assert views["shorts"]["delta"] == pytest.approx(-50)  # the MSFT short: −1 per share
    factors = _get(world, "/risk/factors").json()
    assert [f["factor"] for f in factors["factors"]][:2] == ["Market", "Momentum"]
    short_interest = next(f for f in factors["factors"] if f["factor"] == "Short Interest")
    assert short_interest["status"] == "unavailable"
    assert short_interest["reason"]
    assert len(factors["diagnostics"]) == 7
    assert all(d["vif"] > 1 for d in factors["diagnostics"])
    metrics = _get(world, "/risk/metrics").json()
    assert metrics["as_of_date"] == LAST.isoformat()
    assert metrics["n_returns"] == 15
    snapshots = _get(world, "/portfolio/snapshots", start="2024-07-01", end="2024-07-12").json()["data"]
    assert [s["as_of_date"] for s in snapshots][:4] == ["2024-07-01", "2024-07-02", "2024-07-03", "2024-07-05"]


def test_market_data_routes(world):
    spy = _get(world, "/market-data/prices", ticker="spy", start="2024-07-01", end="2024-07-08").json()
    assert [p["as_of_date"] for p in spy["data"]] == [
        "2024-07-01",
        "2024-07-02",
        "2024-07-03",
        "2024-07-05",
        "2024-07-08",
    ]
    assert _get(world, "/market-data/prices", ticker="AAPL").json()["data"]
    _get(world, "/market-data/prices", "b", 404, ticker="AAPL")  # tenant b does not hold AAPL
    assert _get(world, "/market-data/backfill-progress").json() == {"data": []}


def test_tenant_isolation_and_errors(world):
    client, keys = world
    position = _get(world, "/positions").json()["data"][0]["position_id"]
    assert_envelope(client.get(f"/api/v1/positions/{position}", headers=keys["b"]), 404, "RESOURCE_NOT_FOUND")
    assert_envelope(
        client.get("/api/v1/portfolio", headers=keys["b"], params={"portfolio_id": "PA"}), 404, "RESOURCE_NOT_FOUND"
    )
    assert [p["portfolio_id"] for p in _get(world, "/portfolios", "b").json()["data"]] == ["PB"]
    assert_envelope(client.get("/api/v1/positions/nope", headers=keys["a"]), 404, "RESOURCE_NOT_FOUND")
    assert_envelope(
        client.get("/api/v1/positions", headers=keys["a"], params={"type": "BOND"}), 422, "VALIDATION_ERROR"
    )
    assert_envelope(
        client.get("/api/v1/positions", headers=keys["a"], params={"groupBy": "x"}), 422, "VALIDATION_ERROR"
    )
    assert_envelope(client.get("/api/v1/risk/greeks", headers=keys["a"], params={"view": "x"}), 422, "VALIDATION_ERROR")
    bad_range = client.get(
        "/api/v1/portfolio/snapshots", headers=keys["a"], params={"start": "2024-07-10", "end": "2024-07-01"}
    )
    assert_envelope(bad_range, 422, "VALIDATION_ERROR")
    assert_envelope(
        client.get("/api/v1/portfolio", headers=keys["a"], params={"as_of": "2020-01-01"}), 404, "RESOURCE_NOT_FOUND"
    )
    assert client.get("/api/v1/portfolios").status_code == 401
