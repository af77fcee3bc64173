"""Seed 004's sample portfolio for `calcbridge demo`: $3M gross, 20 longs, 15 shorts, 15 options (tenant acme).

Entry prices are the synthetic source's closes on the entry date at the configured levels (factors.yaml
`synthetic.levels`), so the 90 trading days of history the backfill computes move like the synthetic market and
the entries anchor each ticker where the configuration does. The same call always writes the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

from orchestration.core.landing import copy_into_landing
from orchestration.equity import synthetic
from orchestration.equity.config import settings
from orchestration.equity.occ import OptionSymbol, format_occ

DEMO_TENANT = "acme"
PORTFOLIO_ID = "acme-long-short"
ENTRY_DATE = dt.date(2025, 11, 3)
EXPIRY = dt.date(2027, 6, 18)
LONGS = [
    "AAPL",
    "MSFT",
    "NVDA",
    "AMZN",
    "GOOGL",
    "META",
    "JPM",
    "V",
    "MA",
    "UNH",
    "LLY",
    "HD",
    "COST",
    "PG",
    "KO",
    "PEP",
    "XOM",
    "CVX",
    "ABBV",
    "MRK",
]
SHORTS = ["TSLA", "NFLX", "INTC", "BA", "DIS", "T", "VZ", "WFC", "BAC", "GS", "CAT", "IBM", "ORCL", "CSCO", "PFE"]
OPTIONS = (  # (underlying, C/P, contracts: + long / − short, strike as a fraction of spot)
    ("AAPL", "C", 20, 1.05),
    ("MSFT", "C", 15, 1.00),
    ("NVDA", "C", -10, 1.15),
    ("AMZN", "P", 20, 0.95),
    ("GOOGL", "C", 12, 1.10),
    ("META", "P", -10, 0.90),
    ("JPM", "C", 15, 1.00),
    ("TSLA", "P", 25, 1.00),
    ("NFLX", "P", 10, 0.95),
    ("XOM", "C", -20, 1.10),
    ("KO", "P", -25, 0.90),
    ("BA", "P", 20, 1.05),
    ("LLY", "C", 8, 1.05),
    ("DIS", "C", -15, 1.10),
    ("COST", "P", 10, 0.95),
)
LONG_BUDGET = 1_800_000.0
SHORT_BUDGET = 1_050_000.0
OPTION_BUDGET = 150_000.0
TAGS = {
    "AAPL": "momentum,tech",
    "MSFT": "core,tech",
    "NVDA": "momentum,tech",
    "AMZN": "core,tech",
    "GOOGL": "core,tech",
    "META": "momentum,tech",
    "JPM": "value,financials",
    "V": "quality",
    "MA": "quality",
    "UNH": "defensive,healthcare",
    "LLY": "momentum,healthcare",
    "HD": "value",
    "COST": "quality,defensive",
    "PG": "defensive",
    "KO": "defensive",
    "PEP": "defensive",
    "XOM": "value,energy",
    "CVX": "value,energy",
    "ABBV": "healthcare",
    "MRK": "healthcare",
}


def _anchor(ticker: str) -> synthetic.Anchor:
    configured = settings().synthetic
    return configured.anchors().get(ticker, configured.default)


def _close(ticker: str, day: dt.date) -> float:
    return float(synthetic.closes(ticker, _anchor(ticker)).loc[day.isoformat()])


def positions_csv() -> str:
    """The positions file (header as in the issue; tags quoted)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["ticker", "quantity", "entry_price", "entry_date", "tags"])
    for ticker in LONGS:
        price = round(_close(ticker, ENTRY_DATE), 2)
        writer.writerow([ticker, round(LONG_BUDGET / len(LONGS) / price), f"{price:.2f}", ENTRY_DATE, TAGS[ticker]])
    for ticker in SHORTS:
        price = round(_close(ticker, ENTRY_DATE), 2)
        quantity = -round(SHORT_BUDGET / len(SHORTS) / price)
        writer.writerow([ticker, quantity, f"{price:.2f}", ENTRY_DATE, "hedge,short-book"])
    per_option = OPTION_BUDGET / len(OPTIONS)
    for underlying, kind, contracts, moneyness in OPTIONS:
        spot = _close(underlying, ENTRY_DATE)
        strike = max(round(spot * moneyness / 5) * 5, 5)
        symbol = format_occ(OptionSymbol(underlying, EXPIRY, kind, Decimal(strike)))
        premium = round(synthetic.option_close(symbol, ENTRY_DATE, anchor=_anchor(underlying)), 2)
        size = max(1, round(per_option / (premium * 100))) * (1 if contracts > 0 else -1)
        writer.writerow([symbol, size, f"{premium:.2f}", ENTRY_DATE, "options,hedge" if contracts < 0 else "options"])
    return out.getvalue()


def write_demo(landing_root: Path, scratch: Path) -> list[Path]:
    """Write the portfolio and its sidecar into `scratch` and land them under landing/acme/equity/."""
    folder = scratch / "equity"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "acme_long_short.csv"
    path.write_text(positions_csv(), encoding="utf-8")
    sidecar = {"portfolio_id": PORTFOLIO_ID, "name": "Acme Long/Short Equity", "base_currency": "USD"}
    (folder / f"{path.name}.meta.json").write_text(json.dumps(sidecar, sort_keys=True), encoding="utf-8")
    return [copy_into_landing(path, landing_root, DEMO_TENANT, "equity")]
