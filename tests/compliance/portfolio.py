# ruff: noqa: E501 - the portfolio table reads best one holding per line
"""The hand-worked 20-holding portfolio and its deal (figures worked by hand in test_engine_handworked.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from orchestration.compliance.deal import DealInputs, parse_deal

COLUMNS = [
    "cusip",
    "issuer_name",
    "par_amount",
    "market_value",
    "spread",
    "rating_moodys",
    "rating_sp",
    "rating_fitch",
    "maturity_date",
    "industry",
    "country",
    "is_defaulted",
]

# fmt: off
ROWS: list[tuple[Any, ...]] = [
    # cusip,   issuer,            par,       mv,        spread, Moody's, S&P,    Fitch,  maturity,     industry,                              country, defaulted
    ("A00000001", "Alpha Corp",     5_000_000, 4_950_000, 350,  "B2",   None,   None,   "2031-01-01", "Aerospace & Defense",                 "US", False),
    ("A00000002", " Alpha Corp ",   3_000_000, 2_970_000, 325,  "B2",   None,   None,   "2030-01-01", "Aerospace & Defense",                 "US", False),
    ("B00000001", "Beta Inc",       6_000_000, 6_000_000, 400,  "B1",   None,   None,   "2032-01-01", "Healthcare & Pharmaceuticals",        "US", False),
    ("C00000001", "Gamma LLC",      4_000_000, 3_960_000, 375,  "NR",   "B+",   None,   "2029-01-01", "Healthcare & Pharmaceuticals",        "US", False),
    ("D00000001", "Delta Co",       5_000_000, 5_000_000, 300,  None,   "n/a",  "BB-",  "2031-07-01", "High Tech Industries",                "US", False),
    ("E00000001", "Epsilon Ltd",    4_000_000, 3_400_000, 450,  "Caa1", None,   None,   "2029-07-01", "Retail",                              "US", False),
    ("F00000001", "Zeta Holdings",  3_000_000, 2_400_000, 500,  "WR",   "CCC+", None,   "2030-07-01", "Retail",                              "US", False),
    ("G00000001", "Eta Group",      2_000_000, 1_200_000, 550,  "Caa2", None,   None,   "2028-01-01", "Services: Business",                  "US", False),
    ("H00000001", "Theta Partners", 2_000_000, 1_400_000, 600,  "",     "",     "CCC",  "2028-07-01", "Services: Business",                  "US", False),
    ("I00000001", "Iota SA",        1_000_000,   500_000, None, None,   "NR",   None,   "2027-01-01", "Retail",                              "FR", False),
    ("K00000001", "Kappa Inc",      2_000_000,   500_000, 400,  "Ca",   None,   None,   "2027-07-01", "Retail",                              "US", True),
    ("L00000001", "Nu Corp",        1_000_000,   600_000, 350,  None,   "D",    None,   "2028-01-01", "Automotive",                          "US", True),
    ("M00000001", "Lambda plc",     5_000_000, 5_000_000, 375,  "B3",   "CCC",  None,   "2031-01-01", "Telecommunications",                  "GB", False),
    ("M00000002", "Lambda plc",     2_000_000, 1_980_000, None, "B3",   None,   None,   "2033-01-01", None,                                  "gb", False),
    ("N00000001", "Mu Inc",         6_000_000, 6_060_000, 325,  "Ba2",  None,   None,   "2030-01-01", "Chemicals, Plastics & Rubber",        "CA", False),
    ("P00000001", "Omicron Corp",   8_000_000, 8_000_000, 350,  "B2",   None,   None,   "2031-01-01", "Containers, Packaging & Glass",       "US", False),
    ("Q00000001", "Pi Industries",  7_000_000, 7_000_000, 400,  "B1",   None,   None,   "2032-07-01", "Capital Equipment",                   "US", False),
    ("R00000001", "Rho Media",      6_000_000, 5_940_000, 425,  "B2",   None,   None,   "2030-07-01", "Media: Broadcasting & Subscription",  "US", False),
    ("S00000001", "Sigma Foods",    9_000_000, 9_000_000, 300,  "Ba3",  None,   None,   "2031-01-01", "Beverage, Food & Tobacco",            "US", False),
    ("T00000001", "Tau Energy",     5_000_000, 4_900_000, 450,  "B3",   None,   None,   "2029-01-01", "Energy: Oil & Gas",                   "US", False),
]
# fmt: on

DEAL: dict[str, Any] = {
    "as_of_date": "2026-01-01",
    "currency": "USD",
    "accounts": {"principal_cash": 2_000_000},
    "rates": {"reference_rate_name": "SOFR", "reference_rate_pct": 5.0, "accrual_days": 90, "day_count": "ACT/360"},
    "senior_fees_and_expenses": 100_000,
    "defaulted_recovery_rate_pct": 40,
    "ccc_limit_pct": 7.5,
    "domestic_country": "US",
    "notes": [
        {"class": "A", "par": 60_000_000, "spread_bps": 150, "rating": "Aaa", "seniority": 1},
        {"class": "B", "par": 10_000_000, "spread_bps": 250, "rating": "Aa2", "seniority": 2},
        {"class": "C", "par": 8_000_000, "spread_bps": 400, "rating": "A2", "seniority": 3},
        {"class": "Subordinated", "par": 12_000_000, "spread_bps": None, "rating": "NR", "seniority": 4},
    ],
    "tests": [
        {"id": "oc_senior", "name": "Senior OC Test", "category": "overcollateralization", "direction": "min",
         "unit": "percent", "denominator_classes": ["A", "B"], "trigger_level": 115, "target_level": 120},
        {"id": "ic_senior", "name": "Senior IC Test", "category": "interest_coverage", "direction": "min",
         "unit": "percent", "denominator_classes": ["A", "B"], "trigger_level": 120, "target_level": 130},
        {"id": "warf_test", "name": "WARF Test", "category": "credit_quality", "direction": "max",
         "unit": "rating_factor", "trigger_level": 3000, "target_level": 2800},
        {"id": "was_test", "name": "WAS Test", "category": "collateral_quality", "direction": "min",
         "unit": "bps", "trigger_level": 350, "target_level": 375},
        {"id": "wal_test", "name": "WAL Test", "category": "collateral_quality", "direction": "max",
         "unit": "years", "trigger_level": 6, "target_level": 5.5},
        {"id": "diversity_test", "name": "Diversity Test", "category": "collateral_quality", "direction": "min",
         "unit": "score", "trigger_level": 10, "target_level": 12},
        {"id": "ccc_bucket", "name": "CCC Bucket Test", "category": "credit_quality", "direction": "max",
         "unit": "percent", "trigger_level": 7.5, "target_level": 7.0},
        {"id": "conc_single_obligor", "name": "Single Obligor", "category": "concentration", "direction": "max",
         "unit": "percent", "trigger_level": 12, "target_level": 10},
        {"id": "conc_industry", "name": "Industry", "category": "concentration", "direction": "max",
         "unit": "percent", "trigger_level": 15, "target_level": 12},
        {"id": "conc_country", "name": "Non-domestic", "category": "concentration", "direction": "max",
         "unit": "percent", "trigger_level": 20, "target_level": 15},
        {"id": "oc_class_c", "name": "Class C OC", "category": "overcollateralization", "direction": "min",
         "unit": "percent", "denominator_classes": ["A", "B", "C"], "trigger_level": 105, "target_level": 108},
    ],
}  # fmt: skip


def holdings() -> pd.DataFrame:
    """The portfolio as a canonical holdings frame."""
    frame = pd.DataFrame(ROWS, columns=COLUMNS)
    frame["maturity_date"] = pd.to_datetime(frame["maturity_date"]).dt.date
    frame["holding_id"] = [f"h{i:02d}" for i in range(len(frame))]
    return frame


def deal() -> DealInputs:
    """The portfolio's deal."""
    return parse_deal(DEAL, fallback_as_of=dt.date(2026, 1, 1))
