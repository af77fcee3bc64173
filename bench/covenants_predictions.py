"""Breach predictions for 10,000 deals in ≤ 1 s: probability, risk tier and top-3 SHAP features per deal.

Run: `.venv/bin/python bench/covenants_predictions.py [--deals 10000]`. Trains the breach model on a
generated 50-deal portfolio, then scores 10,000 deals' latest feature rows (resampled from it) with
`pipeline.score` in one batch. Baseline in the same run: the same scoring one deal at a time (500 deals,
extrapolated).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from orchestration.covenants.config import BREACH_MODEL_CONFIG, load_covenants_config, load_model_config  # noqa: E402
from orchestration.covenants.demo import covenants_csv, generate_portfolio  # noqa: E402
from orchestration.covenants.evaluation import evaluate_covenants  # noqa: E402
from orchestration.covenants.features import build_features, derive_spec  # noqa: E402
from orchestration.covenants.inputs import parse_inputs  # noqa: E402
from orchestration.covenants.pipeline import score  # noqa: E402
from orchestration.covenants.training import train_classifier  # noqa: E402

TARGET_SECONDS = 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deals", type=int, default=10_000)
    args = parser.parse_args()
    portfolio = generate_portfolio(seed=1)
    deals = parse_inputs(json.dumps({"deals": portfolio.deals}).encode(), "d.json").deals
    covenants = parse_inputs(covenants_csv(portfolio.covenants).encode(), "c.csv").covenants
    measurements = parse_inputs(json.dumps({"measurements": portfolio.measurements}).encode(), "m.json").measurements
    evaluations = evaluate_covenants(covenants, measurements, tolerance=10)
    features = build_features(deals, covenants, evaluations, measurements, derive_spec(deals, covenants, measurements))
    labelled = features[features["label"].notna()]
    trained = train_classifier(
        labelled.drop(columns="label"), labelled["label"].to_numpy(), load_model_config(BREACH_MODEL_CONFIG).training
    )
    rng = np.random.default_rng(0)
    rows = features.drop(columns="label").iloc[rng.integers(0, len(features), size=args.deals)]
    rows = rows.reset_index(drop=True)
    rows.index = pd.MultiIndex.from_tuples(
        [(f"deal-{i:05d}", "2025-10-01", "2025-12-31") for i in range(args.deals)],
        names=["deal_id", "period_start", "period_end"],
    )
    settings = load_covenants_config()
    start = time.perf_counter()
    scored = score(trained.booster, rows, "model-bench", settings)
    elapsed = time.perf_counter() - start
    assert len(scored) == args.deals
    sample = rows.iloc[:500]
    start = time.perf_counter()
    for i in range(len(sample)):
        score(trained.booster, sample.iloc[i : i + 1], "model-bench", settings)
    baseline = (time.perf_counter() - start) / len(sample) * args.deals
    tiers = scored["risk_tier"].value_counts().to_dict()
    print(
        f"model: {trained.result['n_features']} features, {trained.booster.num_boosted_rounds()} trees; tiers {tiers}"
    )
    print(f"{'what':52} {'deals':>7} {'seconds':>8} {'deals/s':>9}")
    for label, seconds in (
        ("pipeline.score, one batch (prob + tier + SHAP top-3)", elapsed),
        ("baseline: one deal at a time (500, extrapolated)", baseline),
    ):
        print(f"{label:52} {args.deals:>7,} {seconds:>8.3f} {args.deals / seconds:>9,.0f}")
    print(f"speed-up vs baseline: {baseline / elapsed:.0f}x")
    verdict = "met" if elapsed <= TARGET_SECONDS else "missed"
    print(f"target <= {TARGET_SECONDS:.0f} s for {args.deals:,} deals: {elapsed:.3f} s ({verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
