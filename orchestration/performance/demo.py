"""Deterministic demo files: a seed-002 performance series and a seed-003 P&L facts file per tenant.

`synthetic_performance` also feeds the benchmark (bench/performance_engine.py) at any size. Positions
reconcile to the portfolio by construction: Σ begin_mv = begin_mv and Σ pnl = the gross P&L, with
fees paid out of the positions' EOD flows. Fees and tx_costs follow seed 002's sign: negative for charges.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

from orchestration.core.landing import copy_into_landing

CENTS = Decimal("0.01")
MICRO = Decimal("0.000001")
DEMO_TENANTS = ("acme", "globex")

DEMO_POSITIONS: tuple[tuple[str, str, str, str], ...] = (
    ("AAPL", "Apple Inc.", "Technology", "US"),
    ("MSFT", "Microsoft Corp.", "Technology", "US"),
    ("SAP", "SAP SE", "Technology", "Europe"),
    ("XOM", "Exxon Mobil Corp.", "Energy", "US"),
    ("SHEL", "Shell plc", "Energy", "Europe"),
    ("JNJ", "Johnson & Johnson", "Health Care", "US"),
)
BENCHMARK_WEIGHTS: dict[tuple[str, str], Decimal] = {
    ("Technology", "US"): Decimal("0.35"),
    ("Technology", "Europe"): Decimal("0.10"),
    ("Energy", "US"): Decimal("0.15"),
    ("Energy", "Europe"): Decimal("0.10"),
    ("Health Care", "US"): Decimal("0.20"),
    ("Health Care", "Europe"): Decimal("0.10"),
}


def business_days(start: dt.date, count: int) -> list[dt.date]:
    """`count` weekdays from `start` (holidays are not modelled in the demo)."""
    days: list[dt.date] = []
    day = start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _split(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split an amount in cents pro rata; the rounding remainder goes to the first share."""
    total = sum(weights, Decimal(0))
    shares = [(amount * w / total).quantize(CENTS, ROUND_HALF_EVEN) for w in weights]
    shares[0] += amount - sum(shares, Decimal(0))
    return shares


def _positions(n: int) -> list[tuple[str, str, str, str]]:
    if n <= len(DEMO_POSITIONS):
        return list(DEMO_POSITIONS[:n])
    sectors = sorted({s for _, _, s, _ in DEMO_POSITIONS})
    regions = ["US", "Europe"]
    return [(f"P{i:05d}", f"Position {i}", sectors[i % len(sectors)], regions[(i // 3) % 2]) for i in range(n)]


def synthetic_performance(
    portfolio_id: str,
    *,
    n_positions: int = 6,
    n_days: int = 300,
    start: dt.date = dt.date(2023, 10, 2),
    seed: int = 2,
    precision_mode: str = "DECIMAL_STRICT",
    initial_mv: Decimal = Decimal("10000000"),
) -> dict[str, Any]:
    """A reconciling seed-002 document: portfolio series, positions with group keys, a benchmark by group."""
    rng = random.Random(seed)  # noqa: S311 - deterministic demo data, not security
    dates = business_days(start, n_days)
    specs = _positions(n_positions)
    ends = _split(initial_mv, [Decimal(rng.randint(5, 20)) for _ in specs])
    series: list[dict[str, Any]] = []
    pos_series: list[list[dict[str, Any]]] = [[] for _ in specs]
    bench_rows: list[dict[str, Any]] = []
    market = {sector: 0.0 for _, _, sector, _ in specs}
    for t, day in enumerate(dates):
        begin_before = sum(ends, Decimal(0))
        bod = Decimal(0)
        eod = Decimal(0)
        if t and t % 37 == 0:
            bod = (begin_before * Decimal("0.02")).quantize(CENTS)
        if t and t % 53 == 0:
            eod = -(begin_before * Decimal("0.015")).quantize(CENTS)
        bod_shares = _split(bod, ends) if bod else [Decimal(0)] * len(specs)
        begins = [e + s for e, s in zip(ends, bod_shares, strict=True)]
        begin = sum(begins, Decimal(0))
        fees = (
            -(begin * Decimal("0.0075") / 252).quantize(CENTS)
            if day.weekday() == 4 or t == len(dates) - 1
            else Decimal(0)
        )  # seed 002: negative for a charge
        tx_costs = -((abs(bod) + abs(eod)) * Decimal("0.0005")).quantize(CENTS) if (bod or eod) else Decimal(0)
        for sector in market:
            market[sector] = rng.gauss(0.0003, 0.009)
        pnls: list[Decimal] = []
        for (_, _, sector, _), b_i in zip(specs, begins, strict=True):
            r = market[sector] + rng.gauss(0.0, 0.006)
            pnls.append((b_i * Decimal(repr(round(r, 6)))).quantize(CENTS, ROUND_HALF_EVEN))
        if tx_costs:
            pnls[0] += tx_costs  # position pnl is after transaction costs (convention 3); tx_costs < 0
        gross_end = [b_i + p_i for b_i, p_i in zip(begins, pnls, strict=True)]
        eod_shares = _split(eod + fees, gross_end) if (eod or fees) else [Decimal(0)] * len(specs)
        ends = [g + s for g, s in zip(gross_end, eod_shares, strict=True)]
        end = sum(ends, Decimal(0))
        series.append(
            {
                "date": day.isoformat(),
                "begin_mv": begin,
                "bod_cf": bod,
                "fees": fees,
                "tx_costs": tx_costs,
                "eod_cf": eod,
                "end_mv": end,
            }
        )
        for i in range(len(specs)):
            pos_series[i].append(
                {
                    "date": day.isoformat(),
                    "begin_mv": begins[i],
                    "bod_cf": bod_shares[i],
                    "pnl": pnls[i],
                    "eod_cf": eod_shares[i],
                    "end_mv": ends[i],
                }
            )
        for (sector, region), weight in BENCHMARK_WEIGHTS.items():
            ret = Decimal(repr(round(market.get(sector, 0.0002) + rng.gauss(0.0, 0.002), 6)))
            bench_rows.append(
                {"date": day.isoformat(), "key": {"sector": sector, "region": region}, "weight": weight, "return": ret}
            )
    return {
        "portfolio": {"id": portfolio_id, "base_currency": "USD"},
        "series": series,
        "positions": [
            {"id": pid, "name": name, "group_keys": {"sector": sector, "region": region}, "series": pos_series[i]}
            for i, (pid, name, sector, region) in enumerate(specs)
        ],
        "benchmark": {"mode": "BY_GROUP", "group_keys": ["sector", "region"], "weights": bench_rows},
        "config": {
            "precision_mode": precision_mode,
            "periods": [
                {
                    "type": "EXPLICIT",
                    "name": "H1_2024",
                    "start": "2024-01-01",
                    "end": "2024-06-30",
                    "frequency": "DAILY",
                },
                {"type": "ROLLING_MONTHS", "name": "1Y", "months": 12},
                {"type": "ROLLING_DAYS", "days": 30},
            ],
            "annualization": {"enabled": True, "basis": "ACT_365"},
            "metric_basis": "NET",
            "linking": "CARINO",
            "weighting": "BOD",
        },
    }


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # cents and 6-decimal rates: the shortest float repr is the same text
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(document: dict[str, Any]) -> str:
    """The document as JSON with plain numbers."""
    return json.dumps(document, default=_number, separators=(",", ":"))


PNL_FIGURES: tuple[tuple[str, bool, float], ...] = (
    ("interest_income", False, 1200.0),
    ("dividend_income", False, 3500.0),
    ("realized_gains", False, 8000.0),
    ("management_fees", True, 6250.0),
    ("custody_fees", True, 410.0),
    ("transaction_costs", True, 900.0),
)


def write_pnl_facts(path: Path, portfolio_id: str, start: dt.date, end: dt.date, seed: int) -> Path:
    """A seed-003 P&L facts CSV: a few facts per figure per month between start and end."""
    rng = random.Random(seed)  # noqa: S311 - deterministic demo data, not security
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["portfolio_id", "date", "figure", "amount", "is_offsetting"])
        day = start
        while day <= end:
            if day.weekday() < 5 and day.day in (3, 15, 27):
                for figure, offsetting, scale in PNL_FIGURES:
                    amount = Decimal(repr(round(scale * rng.uniform(0.5, 1.5), 2))).quantize(CENTS)
                    if figure == "realized_gains" and rng.random() < 0.3:
                        amount = -amount
                    writer.writerow([portfolio_id, day.isoformat(), figure, f"{amount}", str(offsetting).lower()])
            day += dt.timedelta(days=1)
    return path


def write_demo(landing_root: Path, scratch: Path) -> list[Path]:
    """Per tenant: one performance JSON (acme DECIMAL_STRICT, globex FLOAT64) and one P&L facts CSV."""
    scratch.mkdir(parents=True, exist_ok=True)
    landed: list[Path] = []
    for index, tenant in enumerate(DEMO_TENANTS):
        portfolio_id = f"{tenant.upper()}-GROWTH"
        mode = "DECIMAL_STRICT" if index == 0 else "FLOAT64"
        document = synthetic_performance(portfolio_id, seed=2 + index, precision_mode=mode)
        if index == 1:
            document["config"]["rounding"] = 10
        series = scratch / f"{tenant}_performance.json"
        series.write_text(dumps(document), encoding="utf-8")
        landed.append(copy_into_landing(series, landing_root, tenant, "performance"))
        first, last = document["series"][0]["date"], document["series"][-1]["date"]
        facts = write_pnl_facts(
            scratch / f"{tenant}_pnl_facts.csv",
            portfolio_id,
            dt.date.fromisoformat(first),
            dt.date.fromisoformat(last),
            seed=30 + index,
        )
        landed.append(copy_into_landing(facts, landing_root, tenant, "pnl"))
    return landed
