"""The demo deal's `Structure` sheet: deal parameters, the C14 indenture terms, note classes and the 52 tests.

The tests and terms are those of `assets_config/compliance/full_indenture.yaml` (the demo sidecar names that
profile), written into the sheet so the demo exercises the sheet parser's every label: flat labels for nested
keys (`Discount Cure Price Pct`, `Recovery Rate Second Lien Pct`, `Country Group II` with `DE, IE, SE, CH`) and
the rank / top_n / country_group / rating_basis columns of the Tests table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from orchestration.core.settings import PROJECT_ROOT

DEAL_NAME = "CalcBridge CLO 2024-1"
FULL_PROFILE = PROJECT_ROOT / "assets_config" / "compliance" / "full_indenture.yaml"
"""Read as YAML, not through the compliance package: compliance imports clo, never the other way round."""
TEST_COLUMNS = (
    "id", "name", "category", "direction", "unit", "denominator_classes", "rank", "top_n", "country_group",
    "rating_basis", "trigger_level", "target_level",
)  # fmt: skip


def _terms_rows(deal: dict[str, Any]) -> list[list[Any]]:
    """The C14 keys as label / value rows (the labels `deal.SCALAR_KEYS` reads)."""
    rule = deal["discount_obligation"]
    rows: list[list[Any]] = [
        ["stated_maturity_date", deal["stated_maturity_date"]],
        ["excess_wac_reference_coupon_pct", deal["excess_wac_reference_coupon_pct"]],
        ["Discount Loan Threshold Pct", rule["loan_threshold_pct"]],
        ["Discount Bond Threshold Pct", rule["bond_threshold_pct"]],
        ["Discount Cure Price Pct", rule["cure_price_pct"]],
    ]
    for seniority, rate in deal["recovery_rates_pct_by_seniority"].items():
        rows.append([f"Recovery Rate {seniority.replace('_', ' ').title()} Pct", rate])
    for group, codes in deal["country_groups"].items():
        label = group.removeprefix("group_").replace("_", " ")
        label = label.upper() if group.startswith("group_") else label.title()
        rows.append([f"Country Group {label}", ", ".join(codes)])
    return rows


def _cell(value: Any) -> Any:
    """A test field as a sheet cell (lists as 'A,B')."""
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return value


def structure_rows(as_of: dt.date) -> list[list[Any]]:
    """The `Structure` sheet of the demo workbook for report date `as_of`."""
    deal = yaml.safe_load(FULL_PROFILE.read_text(encoding="utf-8"))["deal"]
    tests = [[_cell(test.get(c)) for c in TEST_COLUMNS] for test in deal["tests"]]
    return [
        ["Deal", DEAL_NAME],
        ["as_of_date", as_of.isoformat()],
        ["currency", "USD"],
        ["principal_cash", 2_500_000],
        ["reference_rate_name", "SOFR"],
        ["reference_rate_pct", 4.3],
        ["accrual_days", 90],
        ["day_count", "ACT/360"],
        ["senior_fees_and_expenses", 450_000],
        ["defaulted_recovery_rate_pct", 40],
        ["ccc_limit_pct", 7.5],
        ["domestic_country", "US"],
        *_terms_rows(deal),
        [],
        ["Notes"],
        ["class", "par", "spread_bps", "rating", "seniority"],
        ["A", 465_000_000, 140, "Aaa", 1],
        ["B", 85_000_000, 200, "Aa2", 2],
        ["C", 45_000_000, 260, "A2", 3],
        ["D", 40_000_000, 400, "Baa3", 4],
        ["E", 30_000_000, 700, "Ba3", 5],
        ["Subordinated", 60_000_000, None, "NR", 6],
        [],
        ["Tests"],
        list(TEST_COLUMNS),
        *tests,
    ]
