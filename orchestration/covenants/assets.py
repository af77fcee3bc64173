"""The covenants domain's assets: parsed inputs, evaluations, the breach model and its predictions.

One landed file = one partition of `covenants_files`; every asset here except `breach_model_external`
runs in `covenants_files_job` for that file. The calculations live in `pipeline.py` and the modules it calls.
"""

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

import dagster as dg
import pandas as pd

from orchestration.core import landing_log
from orchestration.core.checks import TRANSIENT_RETRY, as_failure, pandera_check_spec, passed_check, preview, validate
from orchestration.core.errors import InputError
from orchestration.core.landing_log import LandedRecord
from orchestration.core.materialize import Provenance, TableFrame, input_errors, landed, lineage_of, write_assets
from orchestration.core.partitions import FILE_PARTITIONS
from orchestration.core.provenance import source_file
from orchestration.core.resources import WarehouseResource
from orchestration.covenants import pipeline, tables
from orchestration.covenants.config import (
    BREACH_MODEL_CONFIG,
    EXTERNAL_MODEL_CONFIG,
    load_covenants_config,
    load_model_config,
)
from orchestration.covenants.evaluation import STATUSES
from orchestration.covenants.external import EXTERNAL_DATASETS, ExternalDataInvalidError, ExternalDataMissingError
from orchestration.covenants.resources import ExternalDataResource, ModelStoreResource
from orchestration.covenants.schemas import (
    DEALS_SCHEMA,
    DEFINITIONS_SCHEMA,
    EVALUATIONS_SCHEMA,
    MEASUREMENTS_SCHEMA,
    MODELS_SCHEMA,
    PREDICTIONS_SCHEMA,
)
from orchestration.covenants.training import TrainingError

DOMAIN = "covenants"
PARTITIONS = FILE_PARTITIONS[DOMAIN]
EXTERNAL_PARTITIONS = dg.StaticPartitionsDefinition(list(EXTERNAL_DATASETS))

DEALS_KEY = dg.AssetKey([DOMAIN, "deals"])
DEFINITIONS_KEY = dg.AssetKey([DOMAIN, "covenant_definitions"])
MEASUREMENTS_KEY = dg.AssetKey([DOMAIN, "measurements"])
EVALUATIONS_KEY = dg.AssetKey([DOMAIN, "covenant_evaluations"])
MODEL_KEY = dg.AssetKey([DOMAIN, "breach_model"])
PREDICTIONS_KEY = dg.AssetKey([DOMAIN, "breach_predictions"])
EXTERNAL_KEY = dg.AssetKey([DOMAIN, "breach_model_external"])


def _record(warehouse: WarehouseResource, partition_key: str) -> LandedRecord:
    return landing_log.require(warehouse.engine, DOMAIN, partition_key)


def _where(record: LandedRecord) -> str:
    return f"{DOMAIN}/{record.partition_key} ({record.file_name})"


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            DEALS_KEY,
            deps=[dg.AssetKey([DOMAIN, "landed_files"])],
            description="Deals of one landed file (seed 001 Deal), validated. Table raw.covenants_deals.",
            kinds={"python", "postgres"},
            metadata={"table": "raw.covenants_deals"},
        ),
        dg.AssetSpec(
            DEFINITIONS_KEY,
            deps=[dg.AssetKey([DOMAIN, "landed_files"])],
            description=(
                "Covenants of one landed file (seed 001 Covenant), formulas parsed and checked. "
                "Table raw.covenants_definitions."
            ),
            kinds={"python", "postgres"},
            metadata={"table": "raw.covenants_definitions"},
        ),
        dg.AssetSpec(
            MEASUREMENTS_KEY,
            deps=[dg.AssetKey([DOMAIN, "landed_files"])],
            description=(
                "Measurements of one landed file (seed 001 Measurement, scaled integers). "
                "Table raw.covenants_measurements."
            ),
            kinds={"python", "postgres"},
            metadata={"table": "raw.covenants_measurements"},
        ),
    ],
    group_name=DOMAIN,
    partitions_def=PARTITIONS,
    check_specs=[
        pandera_check_spec(DEALS_KEY, DEALS_SCHEMA),
        pandera_check_spec(DEFINITIONS_KEY, DEFINITIONS_SCHEMA),
        pandera_check_spec(MEASUREMENTS_KEY, MEASUREMENTS_SCHEMA),
    ],
    retry_policy=TRANSIENT_RETRY,
)
def covenant_inputs(context: dg.AssetExecutionContext, warehouse: WarehouseResource):  # noqa: ANN201 - generator
    """Parse one file (JSON or CSV) into deals, covenants and measurements; a bad file fails only its partition."""
    record = landed(warehouse, DOMAIN, context.partition_key)
    with input_errors():
        inputs = pipeline.parsed_inputs(warehouse.engine, record)
    outputs = {
        DEALS_KEY: TableFrame(tables.deals, DEALS_SCHEMA, inputs.deals),
        DEFINITIONS_KEY: TableFrame(tables.covenant_definitions, DEFINITIONS_SCHEMA, inputs.covenants),
        MEASUREMENTS_KEY: TableFrame(tables.measurements, MEASUREMENTS_SCHEMA, inputs.measurements),
    }
    previews = {key: {"preview": preview(o.frame.drop(columns=["landed_at"]))} for key, o in outputs.items()}
    yield from write_assets(warehouse, record, outputs, previews)


@dg.asset(
    key=EVALUATIONS_KEY,
    deps=[DEALS_KEY, DEFINITIONS_KEY, MEASUREMENTS_KEY],
    group_name=DOMAIN,
    partitions_def=PARTITIONS,
    description=(
        "Covenant results (OK, NEAR_BREACH, BREACH, MISSING_DATA, ERROR) for every covenant × period the file "
        "affected, against the tenant's state as of the file; past evaluations are kept. "
        "Table analytics.covenants_evaluations."
    ),
    check_specs=[pandera_check_spec(EVALUATIONS_KEY, EVALUATIONS_SCHEMA)],
    retry_policy=TRANSIENT_RETRY,
    kinds={"python", "postgres"},
    metadata={"table": "analytics.covenants_evaluations"},
)
def covenant_evaluations(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Evaluate the formulas exactly and compare with the thresholds (tolerance from covenants.yaml)."""
    tolerance = load_covenants_config().tolerance_ratio_scaled
    try:
        record = _record(warehouse, context.partition_key)
        frame = pipeline.file_evaluations(warehouse.engine, record, tolerance)
        frame = validate(frame, EVALUATIONS_SCHEMA, _where(record))
    except InputError as error:
        raise as_failure(error) from error
    read = [
        landing_log.lookup(warehouse.engine, DOMAIN, key)
        for key in pipeline.contributing_partitions(warehouse.engine, record, frame)
    ]
    lineage = lineage_of(record, Provenance(sources=[source_file(r) for r in read if r is not None]))
    rows = warehouse.replace_partitions(
        [(tables.evaluations, frame)], tenant_id=record.tenant_id, partition_key=context.partition_key, lineage=lineage
    )[tables.evaluations]
    counts = frame["status"].value_counts().to_dict()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "tenant": record.tenant_id,
            "tolerance_ratio_scaled": tolerance,
            "statuses": dg.MetadataValue.json({s: int(counts.get(s, 0)) for s in STATUSES}),
            "preview": preview(frame),
        },
        check_results=[passed_check(EVALUATIONS_KEY, EVALUATIONS_SCHEMA, len(frame))],
    )


class BreachModelConfig(dg.Config):
    """Run-config overrides of assets_config/ml/breach_model.yaml's `training` block (seed 001's fields)."""

    learning_rate: float | None = None
    max_depth: int | None = None
    n_estimators: int | None = None
    subsample: float | None = None
    colsample_bytree: float | None = None
    random_state: int | None = None
    train_ratio: float | None = None
    val_ratio: float | None = None
    test_ratio: float | None = None
    early_stopping_rounds: int | None = None
    device: str | None = None  # auto, cpu or cuda (validated with the rest)
    reg_alpha: float | None = None
    reg_lambda: float | None = None
    scale_pos_weight: float | None = None


def _model_config(path: Any, overrides: dg.Config, where: str) -> Any:
    try:
        return load_model_config(path, overrides.model_dump())
    except ValueError as error:
        raise InputError("INVALID_TRAINING_CONFIG", str(error).splitlines()[0] + " …", where) from error


def _model_frame(result: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "model_id": result["model_id"],
                "test_auc": result["test_metrics"]["auc"],
                "best_val_auc": result["best_val_auc"],
                "samples_total": result["samples_total"],
                "promoted": result["promoted"],
            }
        ]
    ).astype({"samples_total": "int64", "test_auc": float, "best_val_auc": float})


def _model_metadata(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "model_id": result["model_id"],
        "model_path": result["model_path"],
        "promoted": result["promoted"],
        "promotion_reason": result["promotion_reason"],
        "test_auc": result["test_metrics"]["auc"],
        "best_val_auc": result["best_val_auc"],
        "best_round": result["best_round"],
        "early_stopped": result["early_stopped"],
        "device": result["device_used"],
        "result": dg.MetadataValue.json(pipeline.registry._json_safe(result)),
    }


@dg.asset(
    key=MODEL_KEY,
    deps=[EVALUATIONS_KEY],
    group_name=DOMAIN,
    partitions_def=PARTITIONS,
    description=(
        "The tenant's XGBoost breach-risk model, trained on its deals as of the file with seed 001's config "
        "(assets_config/ml/breach_model.yaml or run config); saved as UBJSON, registered in "
        "analytics.covenants_models, promoted to active only with recall > 0 at the HIGH risk tier and a "
        "better validation AUC than the active model (promotion_reason says why)."
    ),
    check_specs=[pandera_check_spec(MODEL_KEY, MODELS_SCHEMA)],
    retry_policy=TRANSIENT_RETRY,
    kinds={"python", "xgboost"},
    metadata={"table": "analytics.covenants_models"},
)
def breach_model(
    context: dg.AssetExecutionContext,
    config: BreachModelConfig,
    warehouse: WarehouseResource,
    model_store: ModelStoreResource,
) -> dg.MaterializeResult:
    """Train, version and maybe promote; with too little labelled data, record why and train nothing."""
    try:
        record = _record(warehouse, context.partition_key)
        model_config = _model_config(BREACH_MODEL_CONFIG, config, _where(record))
        outcome = pipeline.train_breach_model(
            warehouse.engine, record, model_config, store_root=model_store.path, run_id=context.run.run_id
        )
    except (InputError, TrainingError) as error:
        typed = (
            error if isinstance(error, InputError) else InputError("TRAINING_FAILED", str(error), context.partition_key)
        )
        raise as_failure(typed) from error
    common = {"tenant": record.tenant_id, "samples": outcome.samples, "positives": outcome.positives}
    if outcome.registered is None:
        context.log.info(f"breach_model not trained: {outcome.skipped_reason}")
        frame = _model_frame_empty()
        return dg.MaterializeResult(
            metadata={"dagster/row_count": 0, "trained": False, "skipped_reason": outcome.skipped_reason, **common},
            check_results=[passed_check(MODEL_KEY, MODELS_SCHEMA, len(frame))],
        )
    frame = validate(_model_frame(outcome.registered.result), MODELS_SCHEMA, _where(record))
    return dg.MaterializeResult(
        metadata={"dagster/row_count": 1, "trained": True, **common, **_model_metadata(outcome.registered.result)},
        check_results=[passed_check(MODEL_KEY, MODELS_SCHEMA, len(frame))],
    )


def _model_frame_empty() -> pd.DataFrame:
    return pd.DataFrame(
        {"model_id": [], "test_auc": [], "best_val_auc": [], "samples_total": [], "promoted": []}
    ).astype({"samples_total": "int64", "promoted": bool})


@dg.asset(
    key=PREDICTIONS_KEY,
    deps=[MODEL_KEY],
    group_name=DOMAIN,
    partitions_def=PARTITIONS,
    description=(
        "Per deal, the probability of a covenant breach next period from the tenant's active model, its risk "
        "tier (LOW < 0.33 ≤ MEDIUM < 0.66 ≤ HIGH) and the top SHAP contributions. "
        "Table analytics.covenants_breach_predictions."
    ),
    check_specs=[pandera_check_spec(PREDICTIONS_KEY, PREDICTIONS_SCHEMA)],
    retry_policy=TRANSIENT_RETRY,
    kinds={"python", "xgboost", "postgres"},
    metadata={"table": "analytics.covenants_breach_predictions"},
)
def breach_predictions(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Score each deal's latest period with the active model."""
    try:
        record = _record(warehouse, context.partition_key)
    except InputError as error:
        raise as_failure(error) from error
    settings = load_covenants_config()
    frame, reason = pipeline.breach_predictions(
        warehouse.engine, record.tenant_id, pipeline.as_of(warehouse.engine, record), settings
    )
    frame = validate(frame, PREDICTIONS_SCHEMA, _where(record))
    frame["predicted_at"] = dt.datetime.now(dt.UTC)
    rows = warehouse.replace_partition(
        tables.predictions, frame, tenant_id=record.tenant_id, partition_key=context.partition_key
    )
    tiers = frame["risk_tier"].value_counts().to_dict()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "tenant": record.tenant_id,
            "model_id": str(frame["model_id"].iloc[0]) if rows else "",
            "skipped_reason": reason or "",
            "risk_tiers": dg.MetadataValue.json({t: int(tiers.get(t, 0)) for t in ("LOW", "MEDIUM", "HIGH")}),
            "preview": preview(frame.drop(columns=["top_features"])),
        },
        check_results=[passed_check(PREDICTIONS_KEY, PREDICTIONS_SCHEMA, len(frame))],
    )


@contextlib.contextmanager
def _external_errors(dataset: str) -> Iterator[None]:
    """A missing or unusable dataset (or bad config) as the partition's typed, never-retried failure."""
    try:
        yield
    except ExternalDataMissingError as error:
        raise as_failure(InputError("EXTERNAL_DATA_MISSING", str(error), dataset)) from error
    except (ExternalDataInvalidError, TrainingError) as error:
        raise as_failure(InputError("EXTERNAL_DATA_INVALID", str(error), dataset)) from error
    except InputError as error:
        raise as_failure(error) from error


@dg.asset(
    key=EXTERNAL_KEY,
    group_name=DOMAIN,
    partitions_def=EXTERNAL_PARTITIONS,
    description=(
        "XGBoost on a public bankruptcy dataset (Taiwan, US, Polish horizons) from the configured folder, with "
        "every feature's importance ranked (seed 001 train-external). Registered in analytics.covenants_models."
    ),
    check_specs=[pandera_check_spec(EXTERNAL_KEY, MODELS_SCHEMA)],
    retry_policy=TRANSIENT_RETRY,
    kinds={"python", "xgboost"},
    metadata={"table": "analytics.covenants_models"},
)
def breach_model_external(
    context: dg.AssetExecutionContext,
    config: BreachModelConfig,
    warehouse: WarehouseResource,
    model_store: ModelStoreResource,
    external_data: ExternalDataResource,
) -> dg.MaterializeResult:
    """Load the partition's dataset and train; a missing file fails this partition naming the path expected."""
    dataset = context.partition_key
    with _external_errors(dataset):
        model_config = _model_config(EXTERNAL_MODEL_CONFIG, config, dataset)
        registered = pipeline.train_external(
            warehouse.engine,
            dataset,
            external_data.path,
            model_config,
            store_root=model_store.path,
            run_id=context.run.run_id,
        )
    result = registered.result
    frame = validate(_model_frame(result), MODELS_SCHEMA, dataset)
    top = result["feature_importances"][:10]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": 1,
            "dataset": dataset,
            "n_features": result["n_features"],
            "samples_total": result["samples_total"],
            "top_features": dg.MetadataValue.md(pd.DataFrame(top).to_markdown(index=False)),
            **_model_metadata(result),
        },
        check_results=[passed_check(EXTERNAL_KEY, MODELS_SCHEMA, len(frame))],
    )


covenants_file_assets: list[dg.AssetsDefinition] = [
    covenant_inputs,
    covenant_evaluations,
    breach_model,
    breach_predictions,
]
"""Run by `covenants_files_job` for every landed file, in this order."""
