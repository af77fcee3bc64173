"""Breach predictions for 10,000 deals in ≤ 1 s: probability, risk tier and top-3 SHAP features per deal.

Run: `.venv/bin/python bench/covenants_predictions.py [--deals 10000]`. Trains the breach model on a
generated 50-deal portfolio (untimed), then generates a separate `--deals`-deal portfolio and times what the
predictions asset does after reading its inputs: `build_features` for every deal-period of every scored deal
(with the model's feature spec), `latest_rows`, and `pipeline.score` (probability, tier, SHAP top-3) in one
batch. Not timed: generating and parsing the portfolio, evaluating its covenants (the evaluations asset's work,
read from Postgres by the asset), reading from Postgres, loading the booster, writing the rows. Baseline in
the same run: `pipeline.score` one deal at a time on already-built feature rows (500 deals, extrapolated): it
builds no features, so it does less.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from orchestration.covenants.config import BREACH_MODEL_CONFIG, load_covenants_config, load_model_config  # noqa: E402
from orchestration.covenants.demo import covenants_csv, generate_portfolio  # noqa: E402
from orchestration.covenants.evaluation import evaluate_covenants  # noqa: E402
from orchestration.covenants.features import build_features, derive_spec, latest_rows  # noqa: E402
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
    spec = derive_spec(deals, covenants, measurements)
    big = generate_portfolio(seed=2, n_deals=args.deals)
    big_deals = parse_inputs(json.dumps({"deals": big.deals}).encode(), "d.json").deals
    big_covenants = parse_inputs(covenants_csv(big.covenants).encode(), "c.csv").covenants
    big_measurements = parse_inputs(json.dumps({"measurements": big.measurements}).encode(), "m.json").measurements
    big_evaluations = evaluate_covenants(big_covenants, big_measurements, tolerance=10)
    settings = load_covenants_config()
    score(trained.booster, labelled.drop(columns="label").iloc[:5], "model-bench", settings)  # warm-up, untimed
    start = time.perf_counter()
    all_rows = build_features(big_deals, big_covenants, big_evaluations, big_measurements, spec)
    rows = latest_rows(all_rows).drop(columns="label")
    built = time.perf_counter() - start
    scored = score(trained.booster, rows, "model-bench", settings)
    elapsed = time.perf_counter() - start
    assert len(scored) == args.deals, (len(scored), args.deals)
    sample = rows.iloc[:500]
    start = time.perf_counter()
    for i in range(len(sample)):
        score(trained.booster, sample.iloc[i : i + 1], "model-bench", settings)
    baseline = (time.perf_counter() - start) / len(sample) * args.deals
    tiers = scored["risk_tier"].value_counts().to_dict()
    print(
        f"model: {trained.result['n_features']} features, {trained.booster.num_boosted_rounds()} trees; tiers {tiers}"
    )
    print(
        f"includes: build_features over {len(all_rows):,} deal-periods, latest_rows, score; excludes: generating, "
        "parsing and evaluating the portfolio, Postgres reads and writes, loading the booster"
    )
    print(f"{'what':56} {'deals':>7} {'seconds':>8} {'deals/s':>9}")
    for label, seconds in (
        ("features + latest rows + score, one batch (timed path)", elapsed),
        ("  of which build_features + latest_rows", built),
        ("  of which pipeline.score (prob + tier + SHAP top-3)", elapsed - built),
        ("baseline: score only, one deal at a time (500, extrap.)", baseline),
    ):
        print(f"{label:56} {args.deals:>7,} {seconds:>8.3f} {args.deals / seconds:>9,.0f}")
    print(f"score-only speed-up vs baseline (same work): {baseline / (elapsed - built):.0f}x")
    verdict = "met" if elapsed <= TARGET_SECONDS else "missed"
    print(f"target <= {TARGET_SECONDS:.0f} s for {args.deals:,} deals: {elapsed:.3f} s ({verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
