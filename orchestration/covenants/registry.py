"""Model versioning: UBJSON files in the model store, the registry table and the promotion rule (issue 7).

Every trained model is saved as `<store>/<tenant>/<scope>/model-YYYY-MM-DD-HHMMSS.ubj` and recorded in
`analytics.covenants_models`. It is promoted to active (copied to `active.ubj` beside it, and recorded in
`analytics.covenants_model_promotions`) only when it flags at least one validation breach as HIGH risk
(recall > 0 at the HIGH tier threshold of `covenants.yaml`; tenant scopes, where tiers are served) and, when
a model is active, beats the active model's validation AUC (issue 14). `promotion_reason` says why.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from orchestration.core.warehouse import replace_partitions
from orchestration.covenants import state, tables
from orchestration.covenants.config import load_covenants_config
from orchestration.covenants.training import TrainedModel, model_id_for

if TYPE_CHECKING:  # loaded on first use: every Dagster process imports this module
    import xgboost as xgb

ACTIVE_FILE = "active.ubj"


def scope_directory(root: Path, tenant_id: str, scope: str) -> Path:
    """`<root>/<tenant>/breach` for a tenant's model; `<root>/external/<dataset>` for public datasets."""
    if scope.startswith("external:"):
        return root / "external" / scope.split(":", 1)[1]
    return root / tenant_id / scope


def unique_model_id(at: dt.datetime, taken: set[str]) -> str:
    """Seed 001's `model-YYYY-MM-DD-HHMMSS`; a second already used moves on to the next free second."""
    moment = at.replace(microsecond=0)
    while (candidate := model_id_for(moment)) in taken:
        moment += dt.timedelta(seconds=1)
    return candidate


@dataclass(frozen=True)
class Candidate:
    """What the promotion rule reads of a model: validation AUC and recall at the HIGH tier (None = undefined)."""

    val_auc: float | None
    high_recall: float | None


def recall_at(labels: np.ndarray, probabilities: np.ndarray, threshold: float) -> float | None:
    """Share of the positives with probability ≥ threshold; None when there is no positive."""
    positives = np.asarray(labels).astype(int) == 1
    if not positives.any():
        return None
    return float(np.mean(np.asarray(probabilities)[positives] >= threshold))


def promotion_decision(
    candidate: Candidate,
    active_val_auc: float | None,
    *,
    has_active: bool,
    high: float,
    tolerance: float = 0.0,
    require_recall: bool = True,
) -> tuple[bool, str]:
    """Promote only with recall > 0 at the HIGH tier and, when a model is active, val AUC > active − tolerance.

    The default tolerance 0 means strictly better. `require_recall=False` (public-dataset scopes, which never
    serve tiers) skips the recall test. The reason names the deciding numbers.
    """
    tier = f"the HIGH tier (p ≥ {high:g}) on the validation split"
    if require_recall and candidate.high_recall is None:
        return False, f"recall at {tier} is undefined: no breach in the validation split"
    if require_recall and (candidate.high_recall or 0) <= 0:
        return False, f"recall 0 at {tier}: no breach would be flagged HIGH"
    recall = f"recall {candidate.high_recall:.2f} at {tier}" if require_recall else "no tier served"
    if not has_active:
        return True, f"first model of its scope; {recall}"
    new = candidate.val_auc
    if new is None or math.isnan(new):
        return False, "validation AUC is undefined (one class in the validation split)"
    if active_val_auc is None or math.isnan(active_val_auc):
        return True, f"validation AUC {new:.4f}, active model's undefined; {recall}"
    margin = f" − tolerance {tolerance:g}" if tolerance else ""
    if new > active_val_auc - tolerance:
        return True, f"validation AUC {new:.4f} > active {active_val_auc:.4f}{margin}; {recall}"
    return False, f"validation AUC {new:.4f} does not beat active {active_val_auc:.4f}{margin}"


def _val_auc(result: dict[str, Any] | None) -> float | None:
    """A registered result's validation AUC (`val_metrics.auc`, else `best_val_auc`); None when undefined."""
    if not result:
        return None
    value = (result.get("val_metrics") or {}).get("auc", result.get("best_val_auc"))
    return None if value is None or not math.isfinite(float(value)) else float(value)


def candidate_of(trained: TrainedModel, high: float) -> Candidate:
    """The promotion rule's view of a trained model (no validation predictions → recall undefined)."""
    recall = recall_at(*trained.validation, high) if trained.validation is not None else None
    return Candidate(_val_auc(trained.result), recall)


def save_model(booster: xgb.Booster, directory: Path, model_id: str) -> Path:
    """Write the booster in XGBoost's UBJSON format (the `.ubj` extension selects it), atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{model_id}.ubj"
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".", suffix=".ubj")
    os.close(fd)
    booster.save_model(tmp)
    os.replace(tmp, target)
    return target


def activate(model_path: Path) -> Path:
    """Copy a model file over `active.ubj` in its folder, atomically (readers never see half a file)."""
    target = model_path.parent / ACTIVE_FILE
    fd, tmp = tempfile.mkstemp(dir=model_path.parent, prefix=".", suffix=".ubj")
    os.close(fd)
    shutil.copyfile(model_path, tmp)
    os.replace(tmp, target)
    return target


def load_model(path: Path | str) -> xgb.Booster:
    import xgboost as xgb

    booster = xgb.Booster()
    booster.load_model(str(path))
    return booster


@dataclass
class Registered:
    """A model as registered: its id, paths, promotion decision and seed 001's result object."""

    model_id: str
    model_path: Path
    active_model_path: Path
    promoted: bool
    reason: str
    result: dict[str, Any]


def register(
    engine: Engine,
    trained: TrainedModel,
    *,
    store_root: Path,
    tenant_id: str,
    scope: str,
    run_id: str,
    source_partition: str,
    tolerance: float,
    high_threshold: float | None = None,
    extra: dict[str, Any] | None = None,
    feature_spec: dict[str, Any] | None = None,
    feature_importances: list[dict[str, Any]] | None = None,
    now: dt.datetime | None = None,
) -> Registered:
    """Save the model file, decide promotion, write the registry (and promotion) rows; return the result.

    `high_threshold` is the HIGH risk tier's lower edge; None reads it from `covenants.yaml`, the same edge the
    predictions use.
    """
    trained_at = now or dt.datetime.now(dt.UTC)
    model_id = unique_model_id(trained_at, state.taken_model_ids(engine, tenant_id, scope))
    directory = scope_directory(store_root, tenant_id, scope)
    model_path = save_model(trained.booster, directory, model_id)
    active_path = directory / ACTIVE_FILE
    test_auc = trained.result["test_metrics"]["auc"]
    current = state.active_model(engine, tenant_id, scope)
    high = load_covenants_config().risk_tiers["high"] if high_threshold is None else high_threshold
    candidate = candidate_of(trained, high)
    active_val_auc = _val_auc(current["result"]) if current else None
    promoted, reason = promotion_decision(
        candidate,
        active_val_auc,
        has_active=current is not None,
        high=high,
        tolerance=tolerance,
        require_recall=not scope.startswith("external:"),
    )
    result = {
        "status": "complete",
        **(extra or {}),
        "model_id": model_id,
        "model_path": str(model_path),
        "active_model_path": str(active_path),
        **trained.result,
        "promoted": promoted,
        "promotion_reason": reason,
        "promotion_checks": {
            "metric": "val_auc",
            "val_auc": candidate.val_auc,
            "active_model_id": current["model_id"] if current else None,
            "active_val_auc": active_val_auc,
            "high_tier_threshold": high,
            "val_recall_at_high": candidate.high_recall,
        },
    }
    if feature_importances is not None:
        result["feature_importances"] = feature_importances
    key = f"{scope}:{model_id}"
    row = {
        "model_id": model_id,
        "scope": scope,
        "run_id": run_id,
        "source_partition": source_partition,
        "trained_at": trained_at,
        "model_path": str(model_path),
        "active_model_path": str(active_path),
        "result": _json_safe(result),
        "feature_spec": feature_spec,
        "feature_importances": feature_importances,
        "test_auc": None if test_auc is None or math.isnan(test_auc) else test_auc,
        "promoted": promoted,
        "promotion_reason": reason,
    }
    frames = {tables.models: pd.DataFrame([row])}
    if promoted:
        promotion = {
            "model_id": model_id,
            "scope": scope,
            "previous_model_id": current["model_id"] if current else None,
            "promoted_at": trained_at,
            "test_auc": row["test_auc"],
            "previous_test_auc": current["test_auc"] if current else None,
            "reason": reason,
        }
        frames[tables.model_promotions] = pd.DataFrame([promotion])
    replace_partitions(engine, frames, tenant_id=tenant_id, partition_key=key)
    if promoted:
        activate(model_path)
    return Registered(model_id, model_path, active_path, promoted, reason, result)


def _json_safe(value: Any) -> Any:
    """NaN and infinities become null so the result is valid JSON."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
