"""What each covenants asset computes, as plain functions over the warehouse (no Dagster import).

`assets.py` only wires these into Dagster: read the partition's file, call one function, write its frame.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from orchestration.core import landing_log
from orchestration.core.landing_log import LandedRecord
from orchestration.core.warehouse import read_partition
from orchestration.covenants import registry, state, tables
from orchestration.covenants.config import CovenantsConfig, ModelConfig
from orchestration.covenants.evaluation import empty_evaluations, evaluate_covenants
from orchestration.covenants.external import load_dataset
from orchestration.covenants.features import FeatureSpec, build_features, derive_spec, latest_rows
from orchestration.covenants.inputs import CovenantInputs, check_deal_references, parse_inputs
from orchestration.covenants.training import (
    TrainingError,
    feature_importances,
    predict_probabilities,
    risk_tier,
    shap_contributions,
    top_contributions,
    train_classifier,
)

BREACH_SCOPE = "breach"
EXTERNAL_TENANT = "_public"
"""Tenant id of the public-dataset models: not a valid tenant slug, so it never collides with one."""


def reading_moment(landed_at: dt.datetime, first_landings: dict[str, dt.datetime]) -> dt.datetime:
    """The moment a file reads the tenant's state as of: the latest of its landing and its named deals' first landings.

    A deal that first landed after the file is the measurements-before-deals case, repaired by a re-run.
    """
    return max([landed_at, *first_landings.values()])


def as_of(engine: Engine, record: LandedRecord) -> dt.datetime:
    """`reading_moment` of a partition whose inputs are written (the evaluation, model and prediction assets)."""
    named = state.partition_references(engine, record.tenant_id, record.partition_key)
    return reading_moment(record.landed_at, state.first_landings(engine, record.tenant_id, named))


def parsed_inputs(engine: Engine, record: LandedRecord) -> CovenantInputs:
    """Parse and validate the partition's archived file; refuse references to deals the tenant never landed."""
    inputs = parse_inputs(landing_log.read_archived(record), record.file_name)
    named = (set(inputs.covenants["deal_id"]) | set(inputs.measurements["deal_id"])) - set(inputs.deals["deal_id"])
    check_deal_references(inputs, state.first_landings(engine, record.tenant_id, named), record.file_name)
    for frame in (inputs.deals, inputs.covenants, inputs.measurements):
        frame["landed_at"] = record.landed_at
    return inputs


def affected_pairs(
    covenants: pd.DataFrame, measurements: pd.DataFrame, file_covenants: set[str], file_periods: pd.DataFrame
) -> pd.DataFrame:
    """(covenant, period) pairs a file touches: its covenants in every period, and its periods for every covenant."""
    periods = measurements[["deal_id", "period_start", "period_end"]].drop_duplicates()
    pairs = covenants[["covenant_id", "deal_id"]].merge(periods, on="deal_id")
    touched = pairs.merge(
        file_periods.drop_duplicates(), on=["deal_id", "period_start", "period_end"], how="left", indicator=True
    )
    keep = touched["covenant_id"].isin(file_covenants) | (touched["_merge"] == "both")
    return touched.loc[keep, ["covenant_id", "period_start", "period_end"]].reset_index(drop=True)


def file_evaluations(engine: Engine, record: LandedRecord, tolerance: int) -> pd.DataFrame:
    """Evaluate every (covenant, period) this file affected, against the tenant's state as of the file."""
    tenant, key = record.tenant_id, record.partition_key
    own_covenants = read_partition(engine, tables.covenant_definitions, tenant_id=tenant, partition_key=key)
    own_measurements = read_partition(engine, tables.measurements, tenant_id=tenant, partition_key=key)
    moment = as_of(engine, record)
    current = state.tenant_state(engine, tenant, moment)
    pairs = affected_pairs(
        current["covenants"],
        current["measurements"],
        set(own_covenants["covenant_id"]),
        own_measurements[["deal_id", "period_start", "period_end"]],
    )
    if pairs.empty:
        return empty_evaluations().assign(evaluated_at=pd.Series(dtype="datetime64[ns, UTC]"))
    result = evaluate_covenants(current["covenants"], current["measurements"], tolerance, pairs)
    result["evaluated_at"] = moment
    return result


def contributing_partitions(engine: Engine, record: LandedRecord, evaluations: pd.DataFrame) -> list[str]:
    """The partitions (files) whose covenant definitions or measurements the file's evaluations used.

    The same as-of state `file_evaluations` read: the latest version of each definition and measurement
    landed up to this file, kept for the evaluated covenants and (deal, period) pairs.
    """
    if evaluations.empty:
        return [record.partition_key]
    moment = as_of(engine, record)
    covenants = state.current_rows(engine, tables.covenant_definitions, record.tenant_id, moment)
    measurements = state.current_rows(engine, tables.measurements, record.tenant_id, moment)
    used = covenants[covenants["covenant_id"].isin(set(evaluations["covenant_id"]))]
    periods = evaluations[["deal_id", "period_start", "period_end"]].drop_duplicates()
    measured = measurements.merge(periods, on=["deal_id", "period_start", "period_end"])
    keys = {record.partition_key, *used["partition_key"], *measured["partition_key"]}
    return sorted(keys)


def training_frame(
    engine: Engine, tenant_id: str, as_of: dt.datetime | None, spec: FeatureSpec | None = None
) -> tuple[pd.DataFrame, FeatureSpec]:
    """Features and labels of every deal-period of a tenant as of a landing time."""
    current = state.tenant_state(engine, tenant_id, as_of)
    evaluations = state.current_evaluations(engine, tenant_id, as_of)
    if spec is None:
        spec = derive_spec(current["deals"], current["covenants"], current["measurements"])
    features = build_features(current["deals"], current["covenants"], evaluations, current["measurements"], spec)
    return features, spec


@dataclass
class TrainingOutcome:
    """A registered model, or why none was trained."""

    registered: registry.Registered | None
    skipped_reason: str | None = None
    samples: int = 0
    positives: int = 0
    details: dict[str, Any] = field(default_factory=dict)


def train_breach_model(
    engine: Engine,
    record: LandedRecord,
    config: ModelConfig,
    *,
    store_root: Path,
    run_id: str,
) -> TrainingOutcome:
    """Train the tenant's breach model on its data as of the file; register and maybe promote it."""
    features, spec = training_frame(engine, record.tenant_id, as_of(engine, record))
    labelled = features[features["label"].notna()]
    samples, positives = len(labelled), int(labelled["label"].sum()) if len(labelled) else 0
    negatives = samples - positives
    if samples < config.min_samples or min(positives, negatives) < config.min_positives:
        reason = (
            f"not enough labelled deal-periods to train: {samples} samples, {positives} breaching next period "
            f"(needs {config.min_samples} samples and {config.min_positives} of each class)"
        )
        return TrainingOutcome(None, reason, samples, positives)
    x = labelled.drop(columns="label")
    try:
        trained = train_classifier(x, labelled["label"].to_numpy(), config.training)
    except TrainingError as error:
        return TrainingOutcome(None, str(error), samples, positives)
    registered = registry.register(
        engine,
        trained,
        store_root=store_root,
        tenant_id=record.tenant_id,
        scope=BREACH_SCOPE,
        run_id=run_id,
        source_partition=record.partition_key,
        tolerance=config.promotion.tolerance,
        feature_spec=spec.to_json(),
        feature_importances=feature_importances(trained.booster, trained.feature_names),
    )
    return TrainingOutcome(registered, None, samples, positives)


def breach_predictions(
    engine: Engine, tenant_id: str, as_of: dt.datetime | None, settings: CovenantsConfig
) -> tuple[pd.DataFrame, str | None]:
    """Each deal's breach probability for the next period from the tenant's active model (or why none)."""
    active = state.active_model(engine, tenant_id, BREACH_SCOPE)
    if active is None:
        return empty_predictions(), "no active breach model for this tenant yet"
    spec = FeatureSpec.from_json(active["feature_spec"] or {})
    features, _ = training_frame(engine, tenant_id, as_of, spec)
    if features.empty:
        return empty_predictions(), "no deal has measurements yet"
    latest = latest_rows(features).drop(columns="label")
    booster = registry.load_model(active["model_path"])
    return score(booster, latest, active["model_id"], settings), None


PREDICTION_COLUMNS = [
    "deal_id",
    "period_start",
    "period_end",
    "model_id",
    "probability",
    "risk_tier",
    "top_features",
]


def empty_predictions() -> pd.DataFrame:
    """A predictions frame with no rows but the right dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=float if c == "probability" else object) for c in PREDICTION_COLUMNS})


def score(booster: Any, latest: pd.DataFrame, model_id: str, settings: CovenantsConfig) -> pd.DataFrame:
    """Probabilities, tiers and SHAP top features for feature rows indexed by (deal, period)."""
    probabilities = predict_probabilities(booster, latest)
    contributions = shap_contributions(booster, latest)
    tops = top_contributions(contributions, latest, settings.top_features)
    tiers = settings.risk_tiers
    index = latest.index.to_frame(index=False)
    return pd.DataFrame(
        {
            "deal_id": index["deal_id"],
            "period_start": index["period_start"],
            "period_end": index["period_end"],
            "model_id": model_id,
            "probability": np.round(probabilities.astype(float), 6),
            "risk_tier": [risk_tier(float(p), tiers["medium"], tiers["high"]) for p in probabilities],
            "top_features": tops,
        }
    )


def train_external(
    engine: Engine, dataset: str, folder: Path, config: ModelConfig, *, store_root: Path, run_id: str
) -> registry.Registered:
    """Train on one public dataset (US rows split by company) and register it with ranked importances."""
    data = load_dataset(dataset, folder)
    trained = train_classifier(data.features, data.labels, config.training, data.groups)
    names = [str(c) for c in data.features.columns]
    return registry.register(
        engine,
        trained,
        store_root=store_root,
        tenant_id=EXTERNAL_TENANT,
        scope=f"external:{dataset}",
        run_id=run_id,
        source_partition=dataset,
        tolerance=config.promotion.tolerance,
        extra={"dataset": dataset, "data_path": str(data.path)},
        feature_importances=feature_importances(trained.booster, names),
    )
