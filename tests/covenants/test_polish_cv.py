"""The external breach model on real data: repeated stratified 5-fold cross-validation on Polish `1year.arff`.

Each outer training fold goes through the model's own training path unchanged (`load_dataset`, then
`train_classifier` with `assets_config/ml/external.yaml`: its 70/15/15 split of that fold, early stopping on
validation AUC, the booster cut at its best round); the booster is then scored with `predict_probabilities`
on the outer test fold, which it never saw. 5 repeats × 5 folds with fixed seeds; mean test AUC ≥ 0.93.
Skips when the shared data file is absent.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from orchestration.core.settings import PROJECT_ROOT
from orchestration.covenants.config import EXTERNAL_MODEL_CONFIG, load_model_config
from orchestration.covenants.external import load_dataset
from orchestration.covenants.training import classification_metrics, predict_probabilities, train_classifier

SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
POLISH_1YEAR = SHARED_DATA / "polish_bankruptcy" / "1year.arff"
FOLDS, REPEATS, CV_SEED = 5, 5, 2024
MIN_MEAN_AUC = 0.93

pytestmark = pytest.mark.skipif(not POLISH_1YEAR.is_file(), reason=f"{POLISH_1YEAR} is absent")


def test_polish_1year_repeated_stratified_cv_auc(record_property):
    import xgboost as xgb
    from sklearn.model_selection import RepeatedStratifiedKFold

    data = load_dataset("polish_1year", SHARED_DATA)
    assert data.features.shape == (7027, 64)  # UCI's 1year file
    assert int(data.labels.sum()) == 271
    splitter = RepeatedStratifiedKFold(n_splits=FOLDS, n_repeats=REPEATS, random_state=CV_SEED)
    aucs: list[float] = []
    start = time.perf_counter()
    # One thread per fit: `make test` runs one worker per core, and two OpenMP threads per fit on a shared
    # 2-core machine ran 5-8x slower here than one (same boosters: the result does not depend on it).
    with xgb.config_context(nthread=1):
        for fold, (train, test) in enumerate(splitter.split(data.features, data.labels)):
            # A fixed seed per repeat for the model's own inner split and XGBoost's row/column sampling.
            config = load_model_config(EXTERNAL_MODEL_CONFIG, {"random_state": 42 + fold // FOLDS}).training
            trained = train_classifier(data.features.iloc[train], data.labels[train], config)
            scores = predict_probabilities(trained.booster, data.features.iloc[test])
            aucs.append(classification_metrics(data.labels[test], scores)["auc"])
    seconds = time.perf_counter() - start
    mean, sd = float(np.mean(aucs)), float(np.std(aucs, ddof=1))
    summary = (
        f"Polish 1year, {REPEATS}x{FOLDS}-fold stratified CV: test AUC {mean:.4f} ± {sd:.4f} (sd over "
        f"{len(aucs)} folds; min {min(aucs):.4f}, max {max(aucs):.4f}) in {seconds:.1f} s"
    )
    print(summary)
    record_property("polish_cv_auc", summary)
    assert len(aucs) == FOLDS * REPEATS, summary
    assert all(np.isfinite(aucs)), summary
    assert mean >= MIN_MEAN_AUC, summary
