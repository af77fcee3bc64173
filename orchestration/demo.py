"""Deterministic demo files for every domain, written into the landing zone by `calcbridge demo`.

Each domain contributes a generator `(landing_root, scratch) -> list[Path]`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from orchestration.clo import demo as clo_demo
from orchestration.compliance import demo as compliance_demo
from orchestration.covenants import demo as covenants_demo
from orchestration.equity import demo as equity_demo
from orchestration.performance import demo as performance_demo
from orchestration.reconciliation import demo as reconciliation_demo

DEMO_TENANTS = ("acme", "globex")

DemoGenerator = Callable[[Path, Path], list[Path]]
"""(landing_root, scratch_dir) -> files landed."""


DEMO_GENERATORS: dict[str, DemoGenerator] = {
    "equity": equity_demo.write_demo,
    "covenants": covenants_demo.write_demo,
    "performance": performance_demo.write_demo,
    "clo": clo_demo.write_demo,
    "compliance": compliance_demo.write_demo,
    "reconciliation": reconciliation_demo.write_demo,
}


def write_demo(landing_root: Path, scratch: Path) -> list[Path]:
    """Run every registered generator; the same call always writes the same bytes."""
    scratch.mkdir(parents=True, exist_ok=True)
    landed: list[Path] = []
    for generator in DEMO_GENERATORS.values():
        landed.extend(generator(landing_root, scratch))
    return landed
