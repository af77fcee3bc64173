"""Deterministic covenant demo data: 50 deals per tenant, 2–4 covenants each, 12 quarters of measurements.

About a third of the deals deteriorate from a random quarter on (EBITDA falls, debt creeps up), so
their leverage and coverage covenants drift into NEAR_BREACH and then BREACH: the breach model has a
planted signal. Half of those recover a few quarters later, so a breach today is not a certain breach
tomorrow. Healthy deals wander with noise around comfortable levels, a few close to a threshold.
Every quarterly report is on one basis (issue 14): flows (EBITDA, interest, capex, principal) are the last
twelve months to the quarter end, balances (debt, current assets and liabilities) are at the quarter end, so
leverage and interest coverage breach at realistic rates. The same seed always gives the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from orchestration.core.landing import copy_into_landing

DEMO_NAMESPACE = uuid.UUID("6f1d3c1e-5b7a-4e0f-9a57-0c0b5a1e7d42")
SECTORS = ("Technology", "Healthcare", "Manufacturing", "Retail", "Energy", "Telecom")
REGIONS = ("North America", "Europe", "Asia Pacific", "Latin America")
START = dt.date(2023, 1, 1)
TENANT_SEEDS = {"acme": 1, "globex": 2}

METRICS = (
    "total_debt",
    "ebitda",
    "interest_expense",
    "current_assets",
    "current_liabilities",
    "capex",
    "scheduled_principal",
)
LTM_QUARTERS = 4
LEVERAGE_AT_CLOSE = (2.6, 3.6)
ANNUAL_RATE = (0.065, 0.095)
AMORTISATION_PER_QUARTER = 0.0125

COVENANT_KINDS: tuple[tuple[str, str, str, tuple[int, int]], ...] = (
    ("Max Leverage Ratio", "total_debt / ebitda", "<=", (400, 500)),
    ("Min Interest Coverage", "ebitda / interest_expense", ">=", (200, 300)),
    ("Min Current Ratio", "current_assets / current_liabilities", ">=", (100, 130)),
    ("Min Fixed Charge Coverage", "(ebitda - capex) / (interest_expense + scheduled_principal)", ">=", (110, 140)),
)


def quarter_bounds(index: int, start: dt.date = START) -> tuple[dt.date, dt.date]:
    """Calendar quarter `index` after `start` (a quarter start): its first and last day."""
    month = start.month - 1 + 3 * index
    first = dt.date(start.year + month // 12, month % 12 + 1, 1)
    after = dt.date(first.year + (first.month + 2) // 12, (first.month + 2) % 12 + 1, 1)
    return first, after - dt.timedelta(days=1)


@dataclass
class Portfolio:
    """A generated portfolio in seed 001's request shapes, plus which deals were planted to deteriorate."""

    deals: list[dict[str, Any]]
    covenants: list[dict[str, Any]]
    measurements: list[dict[str, Any]]
    deteriorating: set[str]


def _uid(*parts: object) -> str:
    return str(uuid.uuid5(DEMO_NAMESPACE, ":".join(map(str, parts))))


def generate_portfolio(
    seed: int, n_deals: int = 50, quarters: int = 12, share_deteriorating: float = 0.35
) -> Portfolio:
    """Deals, covenants and quarterly measurements (amounts in cents) with planted deterioration."""
    rng = np.random.default_rng(seed)
    deals: list[dict[str, Any]] = []
    covenants: list[dict[str, Any]] = []
    measurements: list[dict[str, Any]] = []
    deteriorating: set[str] = set()
    for d in range(n_deals):
        deal_id = _uid(seed, "deal", d)
        commitment = int(rng.integers(50, 1500)) * 1_000_000 * 100
        deals.append(
            {
                "id": {"value": deal_id},
                "name": f"Deal {seed}-{d:03d} Senior Facility",
                "borrower": f"Borrower {seed}-{d:03d} Inc",
                "sector": SECTORS[int(rng.integers(len(SECTORS)))],
                "region": REGIONS[int(rng.integers(len(REGIONS)))],
                "commitment_amount_cents": commitment,
                "currency": "USD" if rng.random() < 0.7 else "EUR",
                "maturity_date_iso": dt.date(2026 + int(rng.integers(0, 6)), 6, 30).isoformat(),
            }
        )
        n_cov = int(rng.integers(2, 5))
        for k, (name, formula, direction, (low, high)) in enumerate(COVENANT_KINDS[:n_cov]):
            covenants.append(
                {
                    "id": {"value": _uid(seed, "covenant", d, k)},
                    "deal_id": {"value": deal_id},
                    "name": name,
                    "formula": formula,
                    "threshold_value_scaled": int(rng.integers(low // 25, high // 25 + 1)) * 25,
                    "threshold_direction": direction,
                    "frequency": "QUARTERLY",
                }
            )
        bad = rng.random() < share_deteriorating
        onset = int(rng.integers(2, quarters - 3)) if bad else quarters
        # Some deteriorating borrowers recover (cost cuts, an equity cure) after a few bad quarters.
        recovery = onset + int(rng.integers(3, 7)) if bad and rng.random() < 0.5 else quarters + 99
        if bad:
            deteriorating.add(deal_id)
        measurements.extend(_deal_measurements(rng, deal_id, commitment, quarters, onset, recovery))
    return Portfolio(deals, covenants, measurements, deteriorating)


def _deal_measurements(
    rng: np.random.Generator, deal_id: str, commitment: int, quarters: int, onset: int, recovery: int
) -> list[dict[str, Any]]:
    """One deal's quarterly reports on one basis: flows are LTM (the last four quarters), balances at quarter end.

    Quarterly flows are simulated from three quarters before the first report, so the first LTM is full.
    """
    annual_ebitda = commitment * rng.uniform(0.25, 0.4)
    leverage = rng.uniform(LEVERAGE_AT_CLOSE[0], LEVERAGE_AT_CLOSE[1])
    rate = rng.uniform(ANNUAL_RATE[0], ANNUAL_RATE[1])
    capex_share = rng.uniform(0.1, 0.2)
    current = rng.uniform(1.5, 2.4)
    flows: dict[str, list[float]] = {"ebitda": [], "interest_expense": [], "capex": [], "scheduled_principal": []}
    rows: list[dict[str, Any]] = []
    for q in range(-(LTM_QUARTERS - 1), quarters):
        decline = max(0, max(0, min(q, recovery) - onset + 1) - 2 * max(0, q - recovery))
        debt = annual_ebitda * leverage * (1.03**decline) * rng.normal(1.0, 0.02)
        flows["ebitda"].append(annual_ebitda / 4 * (0.86**decline) * rng.normal(1.0, 0.06))
        flows["interest_expense"].append(debt * rate / 4 * (1.04**decline))
        flows["capex"].append(annual_ebitda / 4 * capex_share * rng.normal(1.0, 0.1))
        flows["scheduled_principal"].append(debt * AMORTISATION_PER_QUARTER)
        assets = commitment * 0.2 * rng.normal(1.0, 0.03)
        liabilities = assets / (current * (0.93**decline) * rng.normal(1.0, 0.03))
        if q < 0:
            continue
        start, end = quarter_bounds(q)
        metrics = {
            "total_debt": debt,
            **{name: sum(values[-LTM_QUARTERS:]) for name, values in flows.items()},
            "current_assets": assets,
            "current_liabilities": liabilities,
        }
        rows.extend(
            {
                "deal_id": {"value": deal_id},
                "period_start_iso": start.isoformat(),
                "period_end_iso": end.isoformat(),
                "metric_name": metric,
                "metric_value_scaled": round(float(metrics[metric])),
            }
            for metric in METRICS
        )
    return rows


def covenants_csv(covenants: list[dict[str, Any]]) -> str:
    """Covenants as CSV with seed 001's field names (ids as plain UUIDs)."""
    out = io.StringIO()
    fields = ["id", "deal_id", "name", "formula", "threshold_value_scaled", "threshold_direction", "frequency"]
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for c in covenants:
        writer.writerow({**c, "id": c["id"]["value"], "deal_id": c["deal_id"]["value"]})
    return out.getvalue()


def portfolio_files(portfolio: Portfolio, folder: Path, prefix: str) -> list[Path]:
    """deals.json, covenants.csv and one measurements file per year, in landing order."""
    folder.mkdir(parents=True, exist_ok=True)
    files = [folder / f"{prefix}_deals.json", folder / f"{prefix}_covenants.csv"]
    files[0].write_text(json.dumps({"deals": portfolio.deals}, indent=1), encoding="utf-8")
    files[1].write_text(covenants_csv(portfolio.covenants), encoding="utf-8")
    years = sorted({m["period_end_iso"][:4] for m in portfolio.measurements})
    for year in years:
        path = folder / f"{prefix}_measurements_{year}.json"
        rows = [m for m in portfolio.measurements if m["period_end_iso"].startswith(year)]
        path.write_text(json.dumps({"measurements": rows}, indent=1), encoding="utf-8")
        files.append(path)
    return files


def write_demo(landing_root: Path, scratch: Path) -> list[Path]:
    """Write each tenant's portfolio into `scratch` and land it under landing/<tenant>/covenants/."""
    landed: list[Path] = []
    for tenant, seed in TENANT_SEEDS.items():
        for path in portfolio_files(generate_portfolio(seed), scratch / "covenants", tenant):
            landed.append(copy_into_landing(path, landing_root, tenant, "covenants"))
    return landed
