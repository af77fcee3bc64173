"""Deterministic demo files for every domain, written into the landing zone by `calcbridge demo`.

Each domain contributes a generator `(landing_root) -> list[Path]`; the foundation's generator writes
one small file per domain for two tenants so the landing spine has something to carry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from orchestration.core.landing import copy_into_landing
from orchestration.covenants import demo as covenants_demo
from orchestration.performance import demo as performance_demo

DEMO_TENANTS = ("acme", "globex")

DemoGenerator = Callable[[Path, Path], list[Path]]
"""(landing_root, scratch_dir) -> files landed."""


def _foundation_files(landing_root: Path, scratch: Path) -> list[Path]:
    """A tiny positions CSV per tenant: enough to exercise the spine."""
    landed: list[Path] = []
    for index, tenant in enumerate(DEMO_TENANTS):
        csv = scratch / f"{tenant}_positions.csv"
        csv.write_text(
            "ticker,quantity,entry_price,entry_date,tags\n"
            f'AAPL,{100 + index},150.00,2026-01-02,"tech,core"\n'
            f"MSFT,{-50 - index},410.00,2026-01-02,hedge\n",
            encoding="utf-8",
        )
        (scratch / f"{csv.name}.meta.json").write_text(
            json.dumps({"name": f"{tenant.title()} core book", "tags": ["demo"]}), encoding="utf-8"
        )
        landed.append(copy_into_landing(csv, landing_root, tenant, "equity"))
    return landed


DEMO_GENERATORS: dict[str, DemoGenerator] = {
    "foundation": _foundation_files,
    "covenants": covenants_demo.write_demo,
    "performance": performance_demo.write_demo,
}


def write_demo(landing_root: Path, scratch: Path) -> list[Path]:
    """Run every registered generator; the same call always writes the same bytes."""
    scratch.mkdir(parents=True, exist_ok=True)
    landed: list[Path] = []
    for generator in DEMO_GENERATORS.values():
        landed.extend(generator(landing_root, scratch))
    return landed
