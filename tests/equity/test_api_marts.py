"""The equity marts and routes over a book written by hand: every served sum and count worked out below.

Rows go straight into raw/analytics (no pipeline), dated 2031 and landed in 2000 so no pipeline run or
backfill sensor of the other equity tests touches them; then the real dbt models are built over them.

The book (tenant eqhand), trading day 2031-07-11 unless said otherwise:
  P1, file v2 (effective 07-08; supersedes v1, effective 07-01, that held ZZZ tagged old, alpha):
    p-aaa  AAA                 LONG   mv 200  exposure  200  daily P&L  5     tags alpha, beta
    p-call AAA240719C00020000  LC     mv 250  exposure  250  daily P&L 10     tags alpha
    p-bbb  BBB                 SHORT  mv 200  exposure -200  daily P&L -3     tags beta
    p-ccc  CCC                 LONG   mv   7  exposure    7  daily P&L  1.5   (untagged)
    and on 07-10 only p-aaa (mv 190).
  P2 (effective 07-01), valued on 07-09 only, no Greeks (analytics keys a row by tenant, day and position id,
  so one id is in two portfolios on different days):
    q-ddd  DDD  LONG  mv 1000  tags alpha;   p-aaa  AAA  LONG  mv 300  tags gamma  (the same id as in P1)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import warnings
from typing import Any

import pytest
import sqlalchemy as sa

from api.keys import create_api_key
from api.main import create_app
from orchestration.equity import tables as t
from tests.api.helpers import api_settings, assert_envelope

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

TENANT = "eqhand"
DAY, EARLIER, P2_DAY = dt.date(2031, 7, 11), dt.date(2031, 7, 10), dt.date(2031, 7, 9)
CALL = "AAA240719C00020000"
NAN = float("nan")


def _landed(day: int) -> dt.datetime:
    return dt.datetime(2000, 1, day, tzinfo=dt.UTC)


def _file(key: str, portfolio: str, effective: dt.date, count: int, landed: int) -> dict[str, Any]:
    return {
        "tenant_id": TENANT,
        "partition_key": key,
        "portfolio_id": portfolio,
        "name": f"Book {portfolio} ({key})",
        "base_currency": "USD",
        "file_name": f"{key}.csv",
        "effective_from": effective,
        "position_count": count,
        "landed_at": _landed(landed),
    }


def _held(file: dict[str, Any], position_id: str, ticker: str, kind: str, quantity: float, tags: list[str]):
    option = ticker == CALL
    return {
        "tenant_id": TENANT,
        "partition_key": file["partition_key"],
        "portfolio_id": file["portfolio_id"],
        "position_id": position_id,
        "row_number": 2,
        "ticker": ticker,
        "underlying": ticker[:3],
        "position_type": kind,
        "quantity": quantity,
        "entry_price": 1,
        "entry_date": dt.date(2031, 1, 2),
        "multiplier": 100 if option else 1,
        "option_type": "C" if option else None,
        "strike": 20 if option else None,
        "expiry": dt.date(2024, 7, 19) if option else None,
        "tags": tags,
        "effective_from": file["effective_from"],
        "landed_at": file["landed_at"],
    }


def _valued(held: dict[str, Any], day: dt.date, value: float, exposure: float, pnl: float) -> dict[str, Any]:
    return {
        "tenant_id": TENANT,
        "partition_key": day.isoformat(),
        "as_of_date": day,
        **{k: held[k] for k in ("portfolio_id", "position_id", "ticker", "underlying", "position_type", "tags")},
        **{k: held[k] for k in ("quantity", "multiplier", "entry_price", "entry_date")},
        "price": 1.0,
        "price_source": "market",
        "previous_close": 1.0,
        "market_value": value,
        "exposure": exposure,
        "cost_basis": 0.0,
        "unrealized_pnl": exposure,
        "daily_pnl": pnl,
        "daily_pnl_fallback": False,
        "mtd_pnl": pnl,
        "ytd_pnl": pnl,
        "period_pnl_fallback": False,
        "exposure_pct_gross": 0.0,
    }


def _greeks(valued: dict[str, Any], source: str, dae: float | None, *figures: float) -> dict[str, Any]:
    names = ("delta", "gamma", "theta", "vega", "rho")
    return {
        **{k: valued[k] for k in ("tenant_id", "partition_key", "as_of_date", "portfolio_id", "position_id")},
        **{k: valued[k] for k in ("ticker", "position_type")},
        "source": source,
        "risk_free_rate": 0.05,
        **dict(zip(names, figures, strict=True)),
        **{f"position_{n}": v for n, v in zip(names, figures, strict=True)},
        "delta_adjusted_exposure": dae,
    }


def _snapshot(day: dt.date, value: float, pnl: float, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "tenant_id": TENANT,
        "partition_key": day.isoformat(),
        "as_of_date": day,
        "portfolio_id": "P1",
        **dict.fromkeys(("total_market_value", "gross_exposure", "long_exposure"), value),
        **dict.fromkeys(("short_exposure", "net_exposure", "cost_basis", "unrealized_pnl"), 0.0),
        **dict.fromkeys(("daily_pnl", "mtd_pnl", "ytd_pnl"), pnl),
        "position_count": sum(counts.values()),
        "counts_by_type": {k: counts.get(k, 0) for k in ("LONG", "SHORT", "LC", "LP", "SC", "SP")},
        "greeks": {},
        "factor_betas": {},
        "risk_metrics": {},
    }


def _factor(name: str, etf: str, beta: float, status: str) -> dict[str, Any]:
    return {
        "tenant_id": TENANT,
        "partition_key": DAY.isoformat(),
        "as_of_date": DAY,
        "portfolio_id": "P1",
        "factor": name,
        "etf": etf,
        "portfolio_beta": beta,
        "dollar_exposure": beta * 100,
        "positions_with_beta": 0 if status != "ok" else 3,
        "status": status,
        "reason": None if status == "ok" else "fewer than 20 observations",
    }


def _write(platform: Any) -> None:
    v1, v2, f2 = (
        _file("eqhand.v1", "P1", dt.date(2031, 7, 1), 1, 1),
        _file("eqhand.v2", "P1", dt.date(2031, 7, 8), 4, 2),
        _file("eqhand.p2", "P2", dt.date(2031, 7, 1), 2, 3),
    )
    aaa, call = _held(v2, "p-aaa", "AAA", "LONG", 10, ["alpha", "beta"]), _held(v2, "p-call", CALL, "LC", 2, ["alpha"])
    bbb, ccc = _held(v2, "p-bbb", "BBB", "SHORT", -5, ["beta"]), _held(v2, "p-ccc", "CCC", "LONG", 1, [])
    ddd, other_aaa = _held(f2, "q-ddd", "DDD", "LONG", 100, ["alpha"]), _held(f2, "p-aaa", "AAA", "LONG", 15, ["gamma"])
    old = _held(v1, "p-zzz", "ZZZ", "LONG", 1, ["old", "alpha"])
    values = {
        "aaa": _valued(aaa, DAY, 200, 200, 5),
        "call": _valued(call, DAY, 250, 250, 10),
        "bbb": _valued(bbb, DAY, 200, -200, -3),
        "ccc": _valued(ccc, DAY, 7, 7, 1.5),
    }
    greeks = [
        _greeks(values["aaa"], "stock", 200, 10, 0, 0, 0, 0),
        _greeks(values["call"], "black_scholes", 250, 120, 3, -2, 5, 1),
        _greeks(values["bbb"], "stock", -200, -5, 0, 0, 0, 0),
        _greeks(values["ccc"], "mock", None, 1, 0.5, -0.25, 0.75, 0.125),
    ]
    earlier = [
        _valued(aaa, EARLIER, 190, 190, 4),
        _valued(ddd, P2_DAY, 1000, 1000, 20),
        _valued(other_aaa, P2_DAY, 300, 300, 7),
    ]
    diagnostics = [
        {"tenant_id": "_market", "partition_key": DAY.isoformat(), "as_of_date": DAY, "factor": f, "etf": e}
        | {"vif": vif, "correlations": {e: 1.0}, "n_obs": 60}
        for f, e, vif in (("Momentum", "MTUM", NAN), ("Market", "SPY", 1.5))
    ]
    with platform.warehouse.begin() as conn:
        conn.execute(sa.insert(t.portfolios), [v1, v2, f2])
        conn.execute(sa.insert(t.positions), [old, aaa, call, bbb, ccc, ddd, other_aaa])
        conn.execute(sa.insert(t.position_valuations), [*values.values(), *earlier])
        conn.execute(sa.insert(t.position_greeks), greeks)
        conn.execute(
            sa.insert(t.portfolio_snapshots),
            [_snapshot(EARLIER, 190, 4, {"LONG": 1}), _snapshot(DAY, 657, 13.5, {"LONG": 2, "SHORT": 1, "LC": 1})],
        )
        conn.execute(
            sa.insert(t.portfolio_factors),
            [_factor("Momentum", "MTUM", NAN, "insufficient_data"), _factor("Market", "SPY", 1.2, "ok")],
        )
        conn.execute(sa.insert(t.factor_diagnostics), diagnostics)


@pytest.fixture(scope="module")
def book(platform):
    _write(platform)
    platform.run_dbt("build", "--select", "staging.equity", "marts.equity")
    client = TestClient(create_app(api_settings(), instance=platform.instance))
    client.__enter__()
    keys = {
        "a": {"X-API-Key": create_api_key(platform.warehouse, TENANT, "equity marts tests")},
        "b": {"X-API-Key": create_api_key(platform.warehouse, "eqhand-other", "equity marts tests")},
    }
    yield client, keys, platform
    client.__exit__(None, None, None)


def _get(book, path, status=200, who="a", **params):
    client, keys, _ = book
    response = client.get(f"/api/v1{path}", headers=keys[who], params=params)
    assert response.status_code == status, response.text
    return response.json()


def _groups(book, **params) -> dict[str, tuple]:
    body = _get(book, "/positions", portfolio_id="P1", **params)
    keys = [g["key"] for g in body["groups"]]
    assert keys == sorted(keys)  # by key, code point order: "(untagged)" first
    return {
        g["key"]: (g["count"], g["market_value"], g["exposure"], g["daily_pnl"], g["position_ids"])
        for g in body["groups"]
    }


def test_positions_list_and_groups_summed_by_hand(book):
    body = _get(book, "/positions", portfolio_id="P1")
    assert body["as_of_date"] == DAY.isoformat()
    assert [p["position_id"] for p in body["data"]] == ["p-aaa", "p-call", "p-bbb", "p-ccc"]  # by ticker
    assert body["count"] == 4
    assert body["groups"] is None
    assert _groups(book, groupBy="type") == {
        "LC": (1, 250, 250, 10, ["p-call"]),
        "LONG": (2, 207, 207, 6.5, ["p-aaa", "p-ccc"]),
        "SHORT": (1, 200, -200, -3, ["p-bbb"]),
    }
    assert _groups(book, groupBy="tag") == {
        "(untagged)": (1, 7, 7, 1.5, ["p-ccc"]),
        "alpha": (2, 450, 450, 15, ["p-aaa", "p-call"]),
        "beta": (2, 400, 0, 2, ["p-aaa", "p-bbb"]),
    }


def test_filtered_groups_cover_only_the_filtered_positions(book):
    # beta → p-aaa and p-bbb; p-aaa is also in alpha, so alpha holds p-aaa alone
    assert _groups(book, groupBy="tag", tags="beta") == {
        "alpha": (1, 200, 200, 5, ["p-aaa"]),
        "beta": (2, 400, 0, 2, ["p-aaa", "p-bbb"]),
    }
    assert _groups(book, groupBy="tag", type="LONG") == {
        "(untagged)": (1, 7, 7, 1.5, ["p-ccc"]),
        "alpha": (1, 200, 200, 5, ["p-aaa"]),
        "beta": (1, 200, 200, 5, ["p-aaa"]),
    }
    assert _groups(book, groupBy="type", tags="ALPHA,Beta", tagMode="all") == {"LONG": (1, 200, 200, 5, ["p-aaa"])}
    assert _groups(book, groupBy="type", tags="alpha,beta", tagMode="any", type="SHORT,LC") == {
        "LC": (1, 250, 250, 10, ["p-call"]),
        "SHORT": (1, 200, -200, -3, ["p-bbb"]),
    }
    nothing = _get(book, "/positions", portfolio_id="P1", groupBy="tag", tags="gamma")
    assert (nothing["count"], nothing["data"], nothing["groups"]) == (0, [], [])


def test_served_sums_and_counts_agree_with_the_served_list(book):
    for params in ({}, {"tags": "beta"}, {"type": "LONG"}, {"tags": "alpha", "type": "LC,SHORT"}):
        for group_by in ("type", "tag"):
            body = _get(book, "/positions", portfolio_id="P1", groupBy=group_by, **params)
            listed = {p["position_id"]: p for p in body["data"]}
            for group in body["groups"]:
                members = [listed[i] for i in group["position_ids"]]
                keys = [[m["position_type"]] if group_by == "type" else m["tags"] or ["(untagged)"] for m in members]
                assert all(group["key"] in k for k in keys)
                assert group["count"] == len(members)
                for figure in ("market_value", "exposure", "daily_pnl"):
                    assert group[figure] == pytest.approx(sum(m[figure] for m in members))
            expected = {
                k
                for p in body["data"]
                for k in ([p["position_type"]] if group_by == "type" else p["tags"] or ["(untagged)"])
            }
            assert {g["key"] for g in body["groups"]} == expected


def test_tag_counts_are_of_current_positions(book):
    # current files: P1 v2 (p-aaa, p-call, p-bbb, p-ccc) and P2 (q-ddd, p-aaa); v1's ZZZ (old, alpha) no longer
    tags = _get(book, "/tags")["data"]
    assert [(x["name"], x["position_count"]) for x in tags] == [("alpha", 3), ("beta", 2), ("gamma", 1)]
    assert tags[0]["color"] == "#" + hashlib.sha256(b"alpha").hexdigest()[:6].upper()
    _, _, platform = book
    with platform.warehouse.connect() as conn:  # the same counts over marts.equity_current_positions' rows
        rows = conn.execute(
            sa.text("select tags from marts.equity_current_positions where tenant_id = :t"), {"t": TENANT}
        ).scalars()
        counted: dict[str, int] = {}
        for row in rows:
            for tag in row:
                counted[tag] = counted.get(tag, 0) + 1
    assert counted == {x["name"]: x["position_count"] for x in tags}
    assert [(x["name"], x["position_count"]) for x in _get(book, "/positions/p-aaa/tags")["data"]] == [
        ("alpha", 3),
        ("beta", 2),
    ]
    in_p2 = _get(book, "/positions/p-aaa/tags", portfolio_id="P2")["data"]
    assert [(x["name"], x["position_count"]) for x in in_p2] == [("gamma", 1)]
    assert _get(book, "/positions/p-ccc/tags")["data"] == []
    assert _get(book, "/tags", who="b") == {"data": []}


def test_a_position_id_in_two_portfolios_is_resolved_by_portfolio(book):
    first = _get(book, "/positions/p-aaa")
    assert (first["portfolio_id"], first["as_of_date"], first["market_value"]) == ("P1", DAY.isoformat(), 200)
    assert first["greeks"] == {
        "source": "stock",
        "delta": 10,
        "gamma": 0,
        "theta": 0,
        "vega": 0,
        "rho": 0,
        "delta_adjusted_exposure": 200,
    }
    assert _get(book, "/positions/p-aaa", portfolio_id="P1") == first
    second = _get(book, "/positions/p-aaa", portfolio_id="P2")
    assert (second["portfolio_id"], second["as_of_date"], second["market_value"]) == ("P2", P2_DAY.isoformat(), 300)
    assert (second["tags"], second["greeks"]) == (["gamma"], None)
    client, keys, _ = book
    assert_envelope(
        client.get("/api/v1/positions/q-ddd", headers=keys["a"], params={"portfolio_id": "P1"}),
        404,
        "RESOURCE_NOT_FOUND",
    )
    assert_envelope(client.get("/api/v1/positions/p-aaa", headers=keys["b"]), 404, "RESOURCE_NOT_FOUND")
    mock = _get(book, "/positions/p-ccc")["greeks"]
    assert (mock["source"], mock["delta_adjusted_exposure"]) == ("mock", None)


def test_portfolios_overview_and_as_of(book):
    portfolios = _get(book, "/portfolios")["data"]
    # P1's current file is v2 (4 positions, not v1's 1); P2 has no snapshot yet
    assert [(p["portfolio_id"], p["position_count"], p["effective_from"], p["as_of_date"]) for p in portfolios] == [
        ("P1", 4, "2031-07-08", DAY.isoformat()),
        ("P2", 2, "2031-07-01", None),
    ]
    overview = _get(book, "/portfolio")
    assert (overview["portfolio_id"], overview["as_of_date"], overview["total_value"]) == ("P1", DAY.isoformat(), 657)
    assert overview["pnl"] == {"daily": 13.5, "mtd": 13.5, "ytd": 13.5}
    listed = _get(book, "/positions")["data"]
    assert overview["position_count"] == len(listed) == 4
    assert overview["pnl"]["daily"] == sum(p["daily_pnl"] for p in listed)
    assert overview["counts_by_type"] == {"LONG": 2, "SHORT": 1, "LC": 1, "LP": 0, "SC": 0, "SP": 0}
    assert _get(book, "/portfolio", as_of="2031-07-10")["total_value"] == 190
    assert [p["position_id"] for p in _get(book, "/positions", as_of="2031-07-10")["data"]] == ["p-aaa"]
    _get(book, "/portfolio", 404, as_of="2031-07-09")
    _get(book, "/portfolio", 404, portfolio_id="P2")  # no snapshot computed
    snapshots = _get(book, "/portfolio/snapshots", start="2031-07-10")["data"]
    assert [(s["as_of_date"], s["position_count"]) for s in snapshots] == [("2031-07-10", 1), ("2031-07-11", 4)]


def test_greeks_views_summed_by_hand(book):
    # longs = DAE ≥ 0 (p-ccc's missing DAE counts as 0): p-aaa, p-call, p-ccc; shorts: p-bbb
    views = {v: _get(book, "/risk/greeks", view=v) for v in ("portfolio", "longs", "shorts")}
    figures = ("count", "delta", "gamma", "theta", "vega", "rho", "delta_adjusted_exposure", "mock_positions")
    assert {v: tuple(body[f] for f in figures) for v, body in views.items()} == {
        "portfolio": (4, 126, 3.5, -2.25, 5.75, 1.125, 250, 1),
        "longs": (3, 131, 3.5, -2.25, 5.75, 1.125, 450, 1),
        "shorts": (1, -5, 0, 0, 0, 0, -200, 0),
    }
    listed = _get(book, "/positions")["data"]
    assert views["portfolio"]["delta"] == sum(p["greeks"]["delta"] for p in listed)
    _get(book, "/risk/greeks", 404, portfolio_id="P2")  # P2 has no Greeks


def test_factors_in_configured_order_with_nan_as_null(book):
    body = _get(book, "/risk/factors")
    assert body["as_of_date"] == DAY.isoformat()
    assert [(f["factor"], f["portfolio_beta"], f["status"]) for f in body["factors"]] == [
        ("Market", 1.2, "ok"),
        ("Momentum", None, "insufficient_data"),
    ]
    assert [(d["factor"], d["vif"]) for d in body["diagnostics"]] == [("Market", 1.5), ("Momentum", None)]
    assert body["window_days"] == 60
