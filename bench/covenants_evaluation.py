"""Covenant evaluation throughput: 10,000 deals × 8 quarters × 5 covenants (400,000 results) in ≤ 5 s.

Run: `.venv/bin/python bench/covenants_evaluation.py [--deals 10000]`. The vectorized exact evaluator
(`evaluate_covenants`) against a baseline measured in the same run: the same formulas evaluated row by
row with `fractions.Fraction` over a 2% sample, extrapolated to every row. The evaluator is warmed up on
one deal first (untimed). Timed for the evaluator: everything from the covenant and measurement frames to
the result frame (formula parsing, pivoting the measurements, statuses). Timed for the baseline: only the
per-row evaluation and status; building its lookup dict and compiling the formulas are not timed (in the
baseline's favour), and it builds no result frame: it does less.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import uuid
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from orchestration.covenants.demo import METRICS, quarter_bounds  # noqa: E402
from orchestration.covenants.evaluation import covenant_status, evaluate_covenants  # noqa: E402
from orchestration.covenants.formula import round_half_away_from_zero  # noqa: E402

TARGET_SECONDS = 5.0
KINDS = (
    ("total_debt / ebitda", "<=", 450),
    ("ebitda / interest_expense", ">=", 250),
    ("current_assets / current_liabilities", ">=", 120),
    ("(ebitda - capex) / (interest_expense + scheduled_principal)", ">=", 125),
    ("capex / ebitda", "<=", 40),
)


def build(deals: int, quarters: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    deal_ids = [str(uuid.UUID(int=i + 1)) for i in range(deals)]
    covenants = pd.DataFrame(
        [
            {
                "covenant_id": str(uuid.UUID(int=(d + 1) * 16 + k)),
                "deal_id": deal_id,
                "formula": formula,
                "threshold_value_scaled": threshold,
                "threshold_direction": direction,
                "frequency": "QUARTERLY",
            }
            for d, deal_id in enumerate(deal_ids)
            for k, (formula, direction, threshold) in enumerate(KINDS)
        ]
    )
    periods = [quarter_bounds(q, dt.date(2024, 1, 1)) for q in range(quarters)]
    n = deals * quarters * len(METRICS)
    measurements = pd.DataFrame(
        {
            "deal_id": np.repeat(deal_ids, quarters * len(METRICS)),
            "period_start": np.tile(np.repeat([p[0] for p in periods], len(METRICS)), deals),
            "period_end": np.tile(np.repeat([p[1] for p in periods], len(METRICS)), deals),
            "metric_name": np.tile(METRICS, deals * quarters),
            "metric_value_scaled": rng.integers(1_000_000, 5_000_000_000, size=n),
        }
    )
    return covenants, measurements


def baseline_rate(covenants: pd.DataFrame, measurements: pd.DataFrame, share: float = 0.02) -> tuple[float, int]:
    """Row-by-row Fraction evaluation (compile once per formula, then eval per row): seconds per row."""
    values = measurements.set_index(["deal_id", "period_start", "metric_name"])["metric_value_scaled"].to_dict()
    periods = sorted(measurements["period_start"].unique())
    sample = covenants.sample(frac=share, random_state=0)
    compiled = {f: compile(f, "<formula>", "eval") for f in sample["formula"].unique()}
    rows = 0
    start = time.perf_counter()
    for c in sample.itertuples():
        for period in periods:
            env = {m: Fraction(int(values[(c.deal_id, period, m)])) for m in METRICS}
            value = eval(compiled[c.formula], {"__builtins__": {}}, env)  # the unsafe way, for the baseline only
            scaled = round_half_away_from_zero(value.numerator * 100, value.denominator)
            covenant_status(scaled, c.threshold_value_scaled, c.threshold_direction, 10)
            rows += 1
    return (time.perf_counter() - start) / rows, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--quarters", type=int, default=8)
    args = parser.parse_args()
    covenants, measurements = build(args.deals, args.quarters)
    first = covenants["deal_id"].iloc[0]
    evaluate_covenants(  # warm-up, untimed
        covenants[covenants["deal_id"] == first], measurements[measurements["deal_id"] == first], tolerance=10
    )
    start = time.perf_counter()
    result = evaluate_covenants(covenants, measurements, tolerance=10)
    elapsed = time.perf_counter() - start
    expected = args.deals * args.quarters * len(KINDS)
    assert len(result) == expected, (len(result), expected)
    per_row, sampled = baseline_rate(covenants, measurements)
    baseline = per_row * expected
    counts = result["status"].value_counts().to_dict()
    print(
        "includes: evaluator from frames to result frame; baseline per-row eval + status only (its lookup dict, "
        "formula compile and any result frame excluded: it does less); excludes: generating the data, imports"
    )
    print(f"{'what':58} {'rows':>9} {'seconds':>9} {'rows/s':>11}")
    print(f"{'evaluate_covenants (vectorized, exact)':58} {expected:>9,} {elapsed:>9.2f} {expected / elapsed:>11,.0f}")
    print(
        f"{f'baseline: per-row Fraction eval ({sampled:,} rows, extrapolated)':58} {expected:>9,} "
        f"{baseline:>9.2f} {1 / per_row:>11,.0f}"
    )
    print(f"speed-up vs baseline: {baseline / elapsed:.1f}x; statuses: {counts}")
    verdict = "met" if elapsed <= TARGET_SECONDS else "missed"
    scope = f"{args.deals:,} deals x {args.quarters} quarters x 5 covenants"
    print(f"target <= {TARGET_SECONDS:.0f} s for {scope}: {elapsed:.2f} s ({verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
