"""Demo what-if scenario for the CLO demo deal: sell the second month's two largest CCC names, buy a B2 loan.

It names the workbook by its sidecar name (`CLO_Portfolio_2026_01.xlsx`), so it does not depend on ids.
Alert rules ship as configuration in assets_config/alerts/default.yaml.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from orchestration.clo import demo as clo_demo
from orchestration.core.landing import copy_into_landing


def scenario_document() -> dict[str, Any]:
    """The demo scenario (seed 000 Create Scenario Request shape plus the workbook reference)."""
    second = clo_demo.next_month(clo_demo.generate_holdings())
    ccc = sorted(
        (h for h in second if (h.moodys or "").startswith("Caa") and not h.defaulted),
        key=lambda h: (-h.par, h.cusip),
    )[:2]
    as_of = clo_demo.REPORT_DATES[1]
    changes: list[dict[str, Any]] = [{"type": "remove_position", "data": {"cusip": h.cusip}} for h in ccc]
    changes.append(
        {
            "type": "add_position",
            "data": {
                "issuer": "ABC Corporation",
                "cusip": "000361105",
                "par_amount": 5_000_000,
                "price": 98.5,
                "spread": 425,
                "rating_moodys": "B2",
                "rating_sp": "B",
                "maturity_date": "2029-06-15",
                "industry": "Healthcare & Pharmaceuticals",
                "country": "US",
            },
        }
    )
    return {
        "name": "Sell top CCC, add ABC Corp",
        "description": "Evaluate selling the two largest CCC positions and adding $5M ABC Corp senior secured",
        "workbook": clo_demo.sidecar(as_of)["name"],
        "changes": changes,
    }


def write_demo(landing_root: Path, scratch: Path) -> list[Path]:
    """Land the demo scenario file for the demo tenant."""
    path = scratch / "sell_ccc_add_abc.yaml"
    path.write_text(yaml.safe_dump(scenario_document(), sort_keys=False), encoding="utf-8")
    return [copy_into_landing(path, landing_root, clo_demo.DEMO_TENANT, "scenarios")]
