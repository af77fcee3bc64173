"""Performance engine benchmark: 2,000 positions × 252 days, every period, basis, weighting and linking.

Run: `.venv/bin/python bench/performance_engine.py [--positions 2000] [--days 252]`. Times the calculation
from the file's text to every result frame (parse, then returns, contributions, attribution) in FLOAT64 and
DECIMAL_STRICT; the target is judged on parse + calculation (the file has to be read), with the calculation
alone shown beside it. The numpy baseline in the same run does far less (one weighting, one basis, CARINO,
ITD only, no attribution; 1 of the engine's 18 contribution combinations): its time is shown with parsing
included too, and the ratio is labelled as not like for like. Excluded everywhere: generating the document
and serialising it to text. Targets: FLOAT64 ≤ 3 s, DECIMAL_STRICT ≤ 60 s.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from orchestration.performance.demo import dumps, synthetic_performance  # noqa: E402
from orchestration.performance.engine import (  # noqa: E402
    attribution_frames,
    contribution_frames,
    prepare,
    returns_frames,
)
from orchestration.performance.inputs import parse_performance  # noqa: E402

TARGETS = {"FLOAT64": 3.0, "DECIMAL_STRICT": 60.0}


def _baseline(text: str) -> float:
    """Far less than the task: one weighting, one basis, Carino over ITD only, plain numpy floats (after parsing)."""
    inp = parse_performance(text)
    start = time.perf_counter()
    begin = np.array([[float(v) for v in p.begin_mv] for p in inp.positions])
    pnl = np.array([[float(v) for v in p.pnl] for p in inp.positions])
    total = begin.sum(axis=0)
    contributions = pnl / total
    daily = contributions.sum(axis=0)
    k = np.log1p(daily) / daily
    r = np.prod(1 + daily) - 1
    (contributions * k).sum(axis=1) / (np.log1p(r) / r)
    return time.perf_counter() - start


def run(positions: int, days: int) -> list[tuple[str, float, float, int]]:
    rows: list[tuple[str, float, float, int]] = []
    document = synthetic_performance("BENCH", n_positions=positions, n_days=days)
    for mode in ("FLOAT64", "DECIMAL_STRICT"):
        document["config"]["precision_mode"] = mode
        text = dumps(document)
        t0 = time.perf_counter()
        inp = parse_performance(text)
        parsed = time.perf_counter() - t0
        t1 = time.perf_counter()
        prepared = prepare(inp)
        returns_frames(prepared)
        contributions = contribution_frames(prepared)
        attribution = attribution_frames(prepared)
        calc = time.perf_counter() - t1
        rows.append((mode, parsed, calc, len(contributions.lines) + len(attribution.effects)))
        if mode == "FLOAT64":
            rows.append(("baseline (numpy, 1 of 18 combos, less)", parsed, _baseline(text), positions))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--positions", type=int, default=2000)
    parser.add_argument("--days", type=int, default=252)
    args = parser.parse_args()
    rows = run(args.positions, args.days)
    print(f"performance engine: {args.positions} positions × {args.days} days, all periods/bases/weightings/linkings")
    print("includes: parsing the text and every result frame; excludes: generating and serialising the document")
    print(f"{'mode':40} {'parse s':>8} {'calc s':>8} {'total s':>8} {'result rows':>12} {'target s':>9}  met")
    for mode, parsed, calc, count in rows:
        target = TARGETS.get(mode)
        met = "" if target is None else ("yes" if parsed + calc <= target else "NO")
        print(
            f"{mode:40} {parsed:8.2f} {calc:8.2f} {parsed + calc:8.2f} {count:12,} "
            f"{target if target else '-':>9}  {met}"
        )
    base = next(parsed + calc for mode, parsed, calc, _ in rows if mode.startswith("baseline"))
    for mode, parsed, calc, _ in rows:
        if mode in TARGETS:
            print(
                f"{mode} / baseline total (not like for like: the baseline does 1 of 18): "
                f"{(parsed + calc) / base:,.1f}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
