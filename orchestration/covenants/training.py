"""XGBoost training with seed 001's configuration: device choice, stratified splits, early stopping, metrics.

Pure functions (no Dagster, no database): `train_classifier` takes a feature frame and labels and returns
the booster trimmed to its best round plus the seed's result fields (issue 7, Breach model).
"""

from __future__ import annotations

import ctypes
import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # xgboost and scikit-learn load on first use: every Dagster process imports this module
    import xgboost as xgb

from orchestration.covenants.config import TrainingConfig

_UNSAFE_FEATURE_CHARS = re.compile(r"[\[\]<,]")


class TrainingError(ValueError):
    """The data or the configuration cannot produce a model (too few samples, one class, no GPU)."""


def cuda_available() -> bool:
    """True when the CUDA driver loads and reports a device; any failure means no (never raises)."""
    for name in ("libcuda.so.1", "libcuda.so", "nvcuda.dll"):
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        try:
            if lib.cuInit(0) != 0:
                return False
            count = ctypes.c_int(0)
            return lib.cuDeviceGetCount(ctypes.byref(count)) == 0 and count.value > 0
        except (AttributeError, OSError):
            return False
    return False


def resolve_device(device: str) -> str:
    """`auto` is `cuda` only when XGBoost was built with CUDA and a device is present; else `cpu`."""
    import xgboost as xgb

    built_with_cuda = bool(xgb.build_info().get("USE_CUDA"))
    if device == "auto":
        return "cuda" if built_with_cuda and cuda_available() else "cpu"
    if device == "cuda" and not (built_with_cuda and cuda_available()):
        raise TrainingError("device 'cuda' was requested but no CUDA device is available (use 'auto' or 'cpu')")
    return device


def xgb_feature_names(names: list[str]) -> list[str]:
    """XGBoost refuses `[`, `]`, `<` and `,` in feature names; replace them, keep the rest readable."""
    cleaned = [_UNSAFE_FEATURE_CHARS.sub("_", str(n)).strip() or f"f{i}" for i, n in enumerate(names)]
    seen: dict[str, int] = {}
    unique = []
    for name in cleaned:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return unique


def split_indices(
    labels: np.ndarray, config: TrainingConfig, groups: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stratified train/val/test row indices; with `groups`, whole groups go to one split (no leakage).

    Groups are stratified by whether any of their rows is positive.
    """
    from sklearn.model_selection import train_test_split

    labels = np.asarray(labels).astype(int)
    if groups is None:
        units = np.arange(len(labels))
        unit_labels = labels
    else:
        frame = pd.DataFrame({"group": groups, "label": labels})
        per_group = frame.groupby("group", sort=True)["label"].max()
        units = per_group.index.to_numpy()
        unit_labels = per_group.to_numpy()
    counts = np.bincount(unit_labels, minlength=2)
    if counts.min() < 3:
        raise TrainingError(f"need at least 3 positive and 3 negative samples to stratify, got {counts.tolist()}")
    # Absolute sizes, so 100 rows at 0.7/0.15/0.15 are exactly 70/15/15.
    n_test = max(2, round(len(units) * config.test_ratio))
    n_val = max(2, round(len(units) * config.val_ratio))
    rest, test = train_test_split(units, test_size=n_test, stratify=unit_labels, random_state=config.random_state)
    rest_labels = pd.Series(unit_labels, index=units).loc[rest].to_numpy()
    train, val = train_test_split(rest, test_size=n_val, stratify=rest_labels, random_state=config.random_state)
    if groups is None:
        return np.sort(train), np.sort(val), np.sort(test)
    index = pd.Series(np.arange(len(labels)), index=pd.Index(groups))
    return tuple(np.sort(index.loc[index.index.isin(part)].to_numpy()) for part in (train, val, test))  # type: ignore[return-value]


def classification_metrics(labels: np.ndarray, probabilities: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    """Seed 001's metrics: log loss, AUC, accuracy, precision, recall, F1 (positive when p ≥ threshold)."""
    from sklearn.metrics import accuracy_score, f1_score, log_loss, precision_score, recall_score, roc_auc_score

    labels = np.asarray(labels).astype(int)
    predicted = (probabilities >= threshold).astype(int)
    both = len(np.unique(labels)) == 2
    return {
        "loss": float(log_loss(labels, np.clip(probabilities, 1e-15, 1 - 1e-15), labels=[0, 1])),
        "auc": float(roc_auc_score(labels, probabilities)) if both else float("nan"),
        "accuracy": float(accuracy_score(labels, predicted)),
        "precision": float(precision_score(labels, predicted, zero_division=0)),
        "recall": float(recall_score(labels, predicted, zero_division=0)),
        "f1_score": float(f1_score(labels, predicted, zero_division=0)),
    }


def xgb_params(config: TrainingConfig, device: str) -> dict[str, Any]:
    params: dict[str, Any] = {
        "objective": "binary:logistic",
        "eval_metric": ["logloss", "auc"],  # early stopping watches the last one: validation AUC
        "tree_method": "hist",
        "device": device,
        "learning_rate": config.learning_rate,
        "max_depth": config.max_depth,
        "subsample": config.subsample,
        "colsample_bytree": config.colsample_bytree,
        "reg_alpha": config.reg_alpha,
        "reg_lambda": config.reg_lambda,
        "seed": config.random_state,
    }
    if config.scale_pos_weight is not None:
        params["scale_pos_weight"] = config.scale_pos_weight
    return params


@dataclass
class TrainedModel:
    """A booster cut at its best validation round, its feature names, seed 001's result fields and its validation."""

    booster: xgb.Booster
    feature_names: list[str]
    result: dict[str, Any]
    validation: tuple[np.ndarray, np.ndarray] | None = None
    """Validation labels and predicted probabilities: what the promotion rule judges the model on."""


def model_id_for(at: dt.datetime) -> str:
    """Seed 001's id format `model-YYYY-MM-DD-HHMMSS` (UTC)."""
    return at.astimezone(dt.UTC).strftime("model-%Y-%m-%d-%H%M%S")


def dmatrix(features: pd.DataFrame, names: list[str], labels: np.ndarray | None = None) -> xgb.DMatrix:
    import xgboost as xgb

    values = features.to_numpy(dtype=np.float64, na_value=np.nan)
    return xgb.DMatrix(values, label=labels, feature_names=xgb_feature_names(names), missing=np.nan)


def best_round_index(val_auc: list[float], val_logloss: list[float]) -> int:
    """The 0-based round with the highest validation AUC; ties go to the lowest validation log loss.

    AUC only ranks, so it often peaks at the first tree and stays there; cutting at that first peak keeps
    probabilities near the base rate, which never reach the HIGH tier. Among rounds that rank equally
    well, the best-calibrated one (lowest log loss) is kept.
    """
    return min(range(len(val_auc)), key=lambda i: (-val_auc[i], val_logloss[i], i))


def train_classifier(
    features: pd.DataFrame, labels: np.ndarray, config: TrainingConfig, groups: np.ndarray | None = None
) -> TrainedModel:
    """Split, train with early stopping on validation AUC, cut at the best round, measure every split."""
    import xgboost as xgb

    labels = np.asarray(labels).astype(int)
    names = [str(c) for c in features.columns]
    train, val, test = split_indices(labels, config, groups)
    device = resolve_device(config.device)
    parts = {name: (features.iloc[idx], labels[idx]) for name, idx in (("train", train), ("val", val), ("test", test))}
    matrices = {name: dmatrix(x, names, y) for name, (x, y) in parts.items()}
    history: dict[str, dict[str, list[float]]] = {}
    booster = xgb.train(
        xgb_params(config, device),
        matrices["train"],
        num_boost_round=config.n_estimators,
        evals=[(matrices["val"], "val")],  # train metrics are measured once, at the end
        early_stopping_rounds=config.early_stopping_rounds,
        evals_result=history,
        verbose_eval=False,
    )
    total_rounds = booster.num_boosted_rounds()
    best_iteration = best_round_index(history["val"]["auc"][:total_rounds], history["val"]["logloss"][:total_rounds])
    best_val_auc = float(history["val"]["auc"][best_iteration])
    booster = booster[: best_iteration + 1]
    metrics = {
        f"{name}_metrics": classification_metrics(y, booster.predict(matrices[name])) for name, (_, y) in parts.items()
    }
    result: dict[str, Any] = {
        "samples_total": len(labels),
        "samples_train": len(train),
        "samples_val": len(val),
        "samples_test": len(test),
        "n_features": len(names),
        "best_val_auc": best_val_auc,
        "best_round": best_iteration + 1,
        "total_rounds": total_rounds,
        "early_stopped": total_rounds < config.n_estimators,
        **metrics,
        "config": config.model_dump(),
        "device_used": device,
    }
    validation = (parts["val"][1], booster.predict(matrices["val"]))
    return TrainedModel(booster=booster, feature_names=names, result=result, validation=validation)


def feature_importances(booster: xgb.Booster, names: list[str]) -> list[dict[str, Any]]:
    """Every feature's share of total gain (0–1, summing to 1 when any split exists), ranked 1..n."""
    safe = xgb_feature_names(names)
    gains = booster.get_score(importance_type="total_gain")
    values = np.array([float(np.sum(gains.get(s, 0.0))) for s in safe])
    total = values.sum()
    shares = values / total if total > 0 else values
    order = sorted(range(len(names)), key=lambda i: (-shares[i], names[i]))
    return [{"name": names[i], "importance": round(float(shares[i]), 6), "rank": r + 1} for r, i in enumerate(order)]


def shap_contributions(booster: xgb.Booster, features: pd.DataFrame) -> np.ndarray:
    """XGBoost's exact TreeSHAP contributions (`pred_contribs=True`): one column per feature, then the bias."""
    return booster.predict(dmatrix(features, [str(c) for c in features.columns]), pred_contribs=True)


def predict_probabilities(booster: xgb.Booster, features: pd.DataFrame) -> np.ndarray:
    return booster.predict(dmatrix(features, [str(c) for c in features.columns]))


def risk_tier(probability: float, medium: float = 0.33, high: float = 0.66) -> str:
    """LOW < 0.33 ≤ MEDIUM < 0.66 ≤ HIGH (issue 7; the seed's tier table)."""
    if probability >= high:
        return "HIGH"
    if probability >= medium:
        return "MEDIUM"
    return "LOW"


def top_contributions(contributions: np.ndarray, features: pd.DataFrame, k: int) -> list[list[dict[str, Any]]]:
    """Per row, the k features with the largest absolute SHAP contribution (log-odds), with their values."""
    names = [str(c) for c in features.columns]
    values = features.to_numpy(dtype=np.float64, na_value=np.nan)
    out: list[list[dict[str, Any]]] = []
    for row in range(contributions.shape[0]):
        feature_part = contributions[row, : len(names)]
        order = np.argsort(-np.abs(feature_part), kind="stable")[:k]
        out.append(
            [
                {
                    "feature": names[i],
                    "contribution": round(float(feature_part[i]), 6),
                    "value": None if np.isnan(values[row, i]) else round(float(values[row, i]), 6),
                }
                for i in order
            ]
        )
    return out
