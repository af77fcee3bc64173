"""The breach model on generated data with a planted signal, reproducibility, splits, metrics and devices."""

import json

import numpy as np
import pytest
import xgboost as xgb

from orchestration.covenants import training
from orchestration.covenants.config import BREACH_MODEL_CONFIG, TrainingConfig, load_model_config
from orchestration.covenants.demo import covenants_csv, generate_portfolio
from orchestration.covenants.evaluation import evaluate_covenants
from orchestration.covenants.features import build_features, derive_spec, latest_rows
from orchestration.covenants.inputs import parse_inputs
from orchestration.covenants.training import (
    TrainingError,
    classification_metrics,
    feature_importances,
    resolve_device,
    risk_tier,
    shap_contributions,
    split_indices,
    train_classifier,
)


@pytest.fixture(scope="module")
def labelled():
    """Features of one generated 50-deal, 12-quarter portfolio, parsed through the real input parser."""
    portfolio = generate_portfolio(seed=7)
    deals = parse_inputs(json.dumps({"deals": portfolio.deals}).encode(), "d.json").deals
    covenants = parse_inputs(covenants_csv(portfolio.covenants).encode(), "c.csv").covenants
    measurements = parse_inputs(json.dumps({"measurements": portfolio.measurements}).encode(), "m.json").measurements
    evaluations = evaluate_covenants(covenants, measurements, tolerance=10)
    features = build_features(deals, covenants, evaluations, measurements, derive_spec(deals, covenants, measurements))
    return features, portfolio


def _config(**overrides) -> TrainingConfig:
    return load_model_config(BREACH_MODEL_CONFIG, overrides).training


def test_the_planted_signal_is_learned_and_training_is_reproducible(labelled, monkeypatch):
    monkeypatch.setattr(training, "cuda_available", lambda: False)  # the same answer on a GPU machine
    features, _ = labelled
    rows = features[features["label"].notna()]
    x, y = rows.drop(columns="label"), rows["label"].to_numpy()
    first = train_classifier(x, y, _config())
    result = first.result
    assert result["test_metrics"]["auc"] >= 0.9
    assert result["samples_total"] == 50 * 11  # 12 quarters, the last has no next period to label it
    assert result["samples_train"] + result["samples_val"] + result["samples_test"] == result["samples_total"]
    assert 1 <= result["best_round"] <= result["total_rounds"] <= 200
    assert result["early_stopped"] == (result["total_rounds"] < 200)
    assert first.booster.num_boosted_rounds() == result["best_round"]  # cut at the best validation round
    assert set(result["test_metrics"]) == {"loss", "auc", "accuracy", "precision", "recall", "f1_score"}
    assert result["device_used"] == "cpu"  # the config asks for `auto`; the probe finds no CUDA device

    again = train_classifier(x, y, _config())
    assert again.result == result
    np.testing.assert_array_equal(
        shap_contributions(first.booster, x),
        shap_contributions(again.booster, x),
    )
    other = train_classifier(x, y, _config(random_state=3))
    assert other.result["samples_test"] == result["samples_test"]


def test_features_have_the_documented_columns_and_labels(labelled):
    features, portfolio = labelled
    assert {"cov_total_debt_div_ebitda_value", "cov_total_debt_div_ebitda_headroom_qoq", "min_headroom"} <= set(
        features.columns
    )
    assert {"log_commitment", "years_to_maturity", "metric_ebitda_qoq"} <= set(features.columns)
    assert any(c.startswith("sector_") for c in features.columns)
    assert features["label"].isna().sum() == 50  # each deal's last quarter
    # Deals planted to deteriorate breach far more often in the following quarter.
    by_deal = features.groupby(level="deal_id")["label"].max()
    bad = by_deal[by_deal.index.isin(portfolio.deteriorating)]
    good = by_deal[~by_deal.index.isin(portfolio.deteriorating)]
    assert bad.mean() > 0.8 > 0.2 > good.mean()
    assert len(latest_rows(features)) == 50


def test_stratified_and_grouped_splits():
    labels = np.array([0] * 80 + [1] * 20)
    train, val, test = split_indices(labels, _config())
    assert (len(train), len(val), len(test)) == (70, 15, 15)
    # stratified: 20% positives everywhere (14/70, 3/15, 3/15)
    assert [labels[part].sum() for part in (train, val, test)] == [14, 3, 3]
    groups = np.repeat(np.arange(50), 2)
    grouped = split_indices(np.repeat([0] * 40 + [1] * 10, 2), _config(), groups)
    company_sets = [set(groups[part]) for part in grouped]
    assert not (company_sets[0] & company_sets[1])
    assert not (company_sets[0] & company_sets[2])
    assert not (company_sets[1] & company_sets[2])
    assert sum(len(s) for s in company_sets) == 50
    with pytest.raises(TrainingError, match="at least 3 positive"):
        split_indices(np.array([0] * 50 + [1] * 2), _config())


def test_config_ratios_must_sum_to_one_and_fields_are_the_seeds():
    with pytest.raises(ValueError, match="must be 1"):
        _config(train_ratio=0.8)
    config = _config()
    assert set(config.model_dump()) == {
        "learning_rate",
        "max_depth",
        "n_estimators",
        "subsample",
        "colsample_bytree",
        "random_state",
        "train_ratio",
        "val_ratio",
        "test_ratio",
        "early_stopping_rounds",
        "device",
        "reg_alpha",
        "reg_lambda",
        "scale_pos_weight",
    }


def test_device_auto_is_cpu_without_a_gpu_and_cuda_is_refused(monkeypatch):
    # No CUDA device: `auto` is exactly `cpu`, and an explicit `cuda` is refused.
    monkeypatch.setattr(training, "cuda_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    assert resolve_device("cpu") == "cpu"
    with pytest.raises(TrainingError, match="no CUDA device"):
        resolve_device("cuda")


@pytest.mark.parametrize("built_with_cuda", [True, False])
def test_device_auto_is_cuda_only_when_xgboost_has_cuda_and_a_device_is_present(monkeypatch, built_with_cuda):
    # A device is present: `auto` is `cuda` exactly when XGBoost was built with CUDA, else `cpu`.
    monkeypatch.setattr(training, "cuda_available", lambda: True)
    monkeypatch.setattr(xgb, "build_info", lambda: {"USE_CUDA": built_with_cuda})
    assert resolve_device("auto") == ("cuda" if built_with_cuda else "cpu")
    assert resolve_device("cpu") == "cpu"
    if built_with_cuda:
        assert resolve_device("cuda") == "cuda"
    else:
        with pytest.raises(TrainingError, match="no CUDA device"):
            resolve_device("cuda")


def test_metrics_against_hand_counts():
    labels = np.array([1, 1, 0, 0])
    probabilities = np.array([0.9, 0.4, 0.6, 0.1])
    metrics = classification_metrics(labels, probabilities)
    # predicted 1,0,1,0: TP=1 FP=1 FN=1 TN=1 → accuracy 0.5, precision 0.5, recall 0.5, F1 0.5
    assert (metrics["accuracy"], metrics["precision"], metrics["recall"], metrics["f1_score"]) == (0.5, 0.5, 0.5, 0.5)
    # pairs (pos, neg): (0.9,0.6) ok, (0.9,0.1) ok, (0.4,0.6) wrong, (0.4,0.1) ok → AUC 3/4
    assert metrics["auc"] == 0.75
    # log loss = −mean(ln 0.9, ln 0.4, ln 0.4, ln 0.9)
    assert metrics["loss"] == pytest.approx(-(2 * np.log(0.9) + 2 * np.log(0.4)) / 4)


def test_risk_tiers_at_their_edges():
    assert [risk_tier(p) for p in (0.0, 0.329, 0.33, 0.659, 0.66, 1.0)] == [
        "LOW",
        "LOW",
        "MEDIUM",
        "MEDIUM",
        "HIGH",
        "HIGH",
    ]


def test_importances_cover_every_feature_and_shap_adds_up(labelled):
    features, _ = labelled
    rows = features[features["label"].notna()]
    trained = train_classifier(rows.drop(columns="label"), rows["label"].to_numpy(), _config())
    ranking = feature_importances(trained.booster, trained.feature_names)
    assert [r["rank"] for r in ranking] == list(range(1, len(trained.feature_names) + 1))
    assert {r["name"] for r in ranking} == set(trained.feature_names)
    assert sum(r["importance"] for r in ranking) == pytest.approx(1.0, abs=1e-4)
    x = rows.drop(columns="label").head(20)
    contributions = shap_contributions(trained.booster, x)
    margins = trained.booster.predict(xgb.DMatrix(x.to_numpy(float), feature_names=list(x.columns)), output_margin=True)
    np.testing.assert_allclose(contributions.sum(axis=1), margins, rtol=1e-4, atol=1e-4)
    # A second method sharing no code with `get_score`: walk the JSON dump of every tree and add up each
    # split's gain by the column it splits on (the booster's names are the features' names, in order).
    by_column = dict(zip(trained.booster.feature_names, trained.feature_names, strict=True))
    gains = dict.fromkeys(trained.feature_names, 0.0)
    stack = [json.loads(tree) for tree in trained.booster.get_dump(dump_format="json", with_stats=True)]
    while stack:
        node = stack.pop()
        if "children" in node:
            gains[by_column[node["split"]]] += float(node["gain"])
            stack.extend(node["children"])
    total = sum(gains.values())
    assert total > 0
    shares = {name: gain / total for name, gain in gains.items()}
    for row in ranking:
        assert row["importance"] == pytest.approx(shares[row["name"]], abs=2e-6), row["name"]
    assert ranking[0]["name"] == max(shares, key=shares.__getitem__)  # the largest gain share ranks first
