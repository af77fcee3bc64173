"""External-dataset benchmark: XGBoost on the Polish bankruptcy `1year.arff`, stratified 70/15/15 split.

Run: `.venv/bin/python bench/covenants_polish.py`. Reads `../shared/data/polish_bankruptcy/1year.arff`
(or `--data DIR`); prints a skip line and exits 0 when it is absent. Reports test AUC next to the
published XGBoost figure (0.956 ± 0.016, Amirshahi & Lahmiri 2024) and the training time against the
15 s CPU target, with a logistic-regression baseline trained on the same split in the same run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from orchestration.covenants.config import EXTERNAL_MODEL_CONFIG, TrainingConfig, load_model_config  # noqa: E402
from orchestration.covenants.external import ExternalDataMissingError, load_dataset  # noqa: E402
from orchestration.covenants.resources import SHARED_DATA_DIR  # noqa: E402
from orchestration.covenants.training import resolve_device, split_indices, train_classifier  # noqa: E402

PUBLISHED_AUC, PUBLISHED_SD = 0.956, 0.016
TARGET_SECONDS = 15.0


def logistic_baseline(features: pd.DataFrame, labels: np.ndarray, config: TrainingConfig) -> tuple[float, float]:
    """Median-imputed, clipped, standardised logistic regression on the same train/test rows."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    train, _, test = split_indices(labels, config)
    x = features.to_numpy(dtype=float)
    start = time.perf_counter()
    model = make_pipeline(
        SimpleImputer(strategy="median"),
        FunctionTransformer(lambda a: np.sign(a) * np.log1p(np.abs(a))),
        StandardScaler(),
        LogisticRegression(max_iter=2000),
    )
    model.fit(x[train], labels[train])
    seconds = time.perf_counter() - start
    return float(roc_auc_score(labels[test], model.predict_proba(x[test])[:, 1])), seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=SHARED_DATA_DIR)
    args = parser.parse_args()
    try:
        data = load_dataset("polish_1year", args.data)
    except ExternalDataMissingError as missing:
        print(f"skipped: {missing}")
        return 0
    config = load_model_config(EXTERNAL_MODEL_CONFIG).training
    start = time.perf_counter()
    trained = train_classifier(data.features, data.labels, config)
    seconds = time.perf_counter() - start
    result = trained.result
    base_auc, base_seconds = logistic_baseline(data.features, data.labels, config)
    print(
        f"dataset {data.path} : {len(data.labels):,} rows, {data.features.shape[1]} features, "
        f"{int(data.labels.sum())} bankrupt ({data.positive_rate:.1%})"
    )
    print(
        f"split {result['samples_train']}/{result['samples_val']}/{result['samples_test']} (stratified 70/15/15), "
        f"device {resolve_device(config.device)}, rounds {result['best_round']} best / {result['total_rounds']} run"
    )
    print(f"{'model':42} {'test AUC':>9} {'val AUC':>8} {'train s':>8}")
    print(
        f"{'XGBoost (assets_config/ml/external.yaml)':42} {result['test_metrics']['auc']:>9.4f} "
        f"{result['best_val_auc']:>8.4f} {seconds:>8.2f}"
    )
    print(f"{'baseline: logistic regression, same split':42} {base_auc:>9.4f} {'':>8} {base_seconds:>8.2f}")
    print(f"{'published XGBoost (Amirshahi & Lahmiri 2024)':42} {PUBLISHED_AUC:>9.3f}  ± {PUBLISHED_SD}")
    print(f"AUC ratio XGBoost / baseline: {result['test_metrics']['auc'] / base_auc:.3f}")
    verdict = "met" if seconds <= TARGET_SECONDS else "missed"
    print(f"target training <= {TARGET_SECONDS:.0f} s on CPU: {seconds:.2f} s ({verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
