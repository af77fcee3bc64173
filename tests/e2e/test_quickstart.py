"""docs/quickstart.md as written: the example files of examples/quickstart land with the CLI and are served.

One second home (its own Postgres, Dagster instance and uvicorn) runs exactly the quickstart's commands: `ingest`
each example file, `process`, `backfill equity` over 2023-07-24..2023-10-27, `apikey create`. With
`../shared/data/us_equity_daily_prices` beside the project the price source is `csv` on that folder (the
quickstart's "real prices" step, set only through the environment); without it the synthetic source runs and
the real-price test skips.

Worked by hand: the covenant pack's leverage is 100,000,000 / 18,000,000 = 5.56× in Q4 2024 (> 5.00×, breach)
and 4.00× in Q1; coverage 18,000,000 / 6,600,000 = 2.73× (< 3.00×, breach). The performance file's first day
returns 0.4 %. With real prices each served beta equals a direct OLS (cov/var) on the same 60 daily returns of
the files, read here with the csv module (1e-10), and the served volatility, Sharpe and beta to SPY equal
empyrical on the portfolio returns rebuilt from the served snapshots (daily P&L / previous gross exposure).
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pytest

from orchestration.core.settings import PROJECT_ROOT
from tests.e2e.second_home import api_server, cli, home_env

pytestmark = pytest.mark.e2e
EXAMPLES = PROJECT_ROOT / "examples" / "quickstart"
PRICES = PROJECT_ROOT.parent / "shared" / "data" / "us_equity_daily_prices"
TENANT = "quick"
START, END = "2023-07-24", "2023-10-27"
FILES = (
    ("clo_holdings.csv", "clo"),
    ("positions.csv", "equity"),
    ("covenant_pack.json", "covenants"),
    ("performance.json", "performance"),
)


@dataclass
class World:
    base: str
    key: str
    client: httpx.Client
    real_prices: bool
    process_output: str

    def get(self, path: str, **params: str) -> dict:
        response = self.client.get(self.base + "/api/v1" + path, params=params, headers={"X-API-Key": self.key})
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    home = Path(tempfile.mkdtemp(prefix="calcbridge-quickstart-"))  # not a pytest tmp dir: see test_tenant_isolation
    os.chmod(home, 0o755)
    env = home_env(home)
    real = PRICES.is_dir()
    if real:
        env |= {"CALCBRIDGE_PRICE_SOURCE": "csv", "CALCBRIDGE_PRICE_CSV_FOLDER": str(PRICES)}
    for name, domain in FILES:
        cli(env, "ingest", str(EXAMPLES / name), "--tenant", TENANT, "--domain", domain)
    processed = cli(env, "process")  # exit 0: every run succeeded
    cli(env, "backfill", "equity", "--tenant", TENANT, "--start", START, "--end", END)
    key = cli(env, "apikey", "create", "--tenant", TENANT).stdout.strip().splitlines()[-1]
    try:
        with api_server(env, home) as (base, client):
            yield World(base, key, client, real, processed.stdout)
    finally:
        cli(env, "db", "down", check=False)
        shutil.rmtree(home, ignore_errors=True)


def test_every_example_file_lands_and_is_served(world: World) -> None:
    assert " 0 failed" in world.process_output
    workbooks = world.get("/workbooks")["data"]
    assert len(workbooks) == 1
    holdings = world.get(f"/workbooks/{workbooks[0]['id']}/holdings")["data"]
    assert len(holdings) == 6
    assert sorted(h["loanx_id"] for h in holdings if h["loanx_id"]) == ["LX245117", "LX261904"]
    assert all(h["cusip"] is None for h in holdings if h["loanx_id"])

    deal_id = json.loads((EXAMPLES / "covenant_pack.json").read_text())["deals"][0]["id"]
    results = world.get(f"/evaluations/by-deal/{deal_id}")["data"]
    by = {(r["covenant_name"], r["period_end_iso"]): r for r in results}
    assert by[("Max Leverage Ratio", "2024-03-31")]["status"] == "OK"
    assert by[("Max Leverage Ratio", "2024-12-31")]["status"] == "BREACH"
    assert by[("Min Interest Coverage", "2024-12-31")]["status"] == "BREACH"

    daily = world.get("/performance/QS-FUND/daily")["data"]["rows"]
    assert daily[0]["date"] == "2024-01-02"
    assert float(daily[0]["return_net"]) == pytest.approx(0.004, abs=1e-9)


def _adjusted(ticker: str) -> dict[str, float]:
    """Date → adjusted close of one file, read with the csv module (the three layouts of the shared data)."""
    path = next(PRICES.rglob(f"{ticker}.csv"))
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    column = next(i for i, name in enumerate(header) if name in ("Adj Close", "Adjusted_close", f"{ticker}.Adjusted"))
    return {row[0]: float(row[column]) for row in rows[1:] if row[column] not in ("", "NA", "null")}


def test_real_prices_give_betas_of_a_direct_ols_and_empyrical_risk(world: World) -> None:
    if not world.real_prices:
        pytest.skip("../shared/data/us_equity_daily_prices is absent: the real-price check needs it")
    import empyrical

    factors = world.get("/risk/factors", as_of=END)
    assert factors["as_of_date"] == END
    spy = _adjusted("SPY")
    days = sorted(d for d in spy if d <= END)[-61:]
    assert days[-1] == END
    checked = 0
    for ticker in ("AAPL", "MSFT", "JPM", "XOM"):
        y = np.diff([_adjusted(ticker)[d] for d in days]) / np.array([_adjusted(ticker)[d] for d in days[:-1]])
        for factor, etf in (("Market", "SPY"), ("Value", "VTV"), ("Growth", "VUG"), ("Low Volatility", "SPLV")):
            closes = _adjusted(etf)
            x = np.diff([closes[d] for d in days]) / np.array([closes[d] for d in days[:-1]])
            by_hand = np.cov(y, x, ddof=1)[0, 1] / np.var(x, ddof=1)
            served = next(p for p in factors["positions"] if p["ticker"] == ticker and p["factor"] == factor)
            assert served["n_obs"] == 60
            assert served["beta"] == pytest.approx(by_hand, abs=1e-10)
            checked += 1
    assert checked == 16

    snapshots = world.get("/portfolio/snapshots", start=START, end=END)["data"]
    snapshots.sort(key=lambda s: s["as_of_date"])
    pnl = np.array([s["daily_pnl"] for s in snapshots[1:]])
    gross = np.array([s["gross_exposure"] for s in snapshots[:-1]])
    returns = (pnl / gross)[-60:]
    metrics = world.get("/risk/metrics", as_of=END)
    assert metrics["n_returns"] >= 60
    assert metrics["annual_volatility"] == pytest.approx(empyrical.annual_volatility(returns), rel=1e-9)
    assert metrics["sharpe_ratio"] == pytest.approx(empyrical.sharpe_ratio(returns, risk_free=0.05 / 252), rel=1e-9)
    spy_returns = np.array([spy[d] / spy[p] - 1 for p, d in itertools.pairwise(days)])
    assert metrics["beta_spy"] == pytest.approx(
        np.cov(returns, spy_returns)[0, 1] / np.var(spy_returns, ddof=1), rel=1e-6
    )
