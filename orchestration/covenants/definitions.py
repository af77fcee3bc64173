"""The covenants domain's own definitions: the external-dataset model, retraining jobs and resources.

Its file-partitioned assets (inputs, evaluations, breach model, predictions) are here too; the platform puts
every asset on the `covenants_files` partitions into `covenants_files_job`, which runs them for every landed file.
"""

import dagster as dg

from orchestration.covenants.assets import (
    EXTERNAL_KEY,
    EXTERNAL_PARTITIONS,
    MODEL_KEY,
    PARTITIONS,
    PREDICTIONS_KEY,
    breach_model_external,
    covenants_file_assets,
)
from orchestration.covenants.resources import ExternalDataResource, ModelStoreResource

breach_model_job = dg.define_asset_job(
    name="covenants_breach_model_job",
    selection=dg.AssetSelection.assets(MODEL_KEY, PREDICTIONS_KEY),
    partitions_def=PARTITIONS,
    description=(
        "Retrain a tenant's breach model (pick the tenant's latest covenants file partition; run config "
        "overrides assets_config/ml/breach_model.yaml) and re-score its deals."
    ),
    tags={"domain": "covenants", "calcbridge/training": "breach"},
)

external_model_job = dg.define_asset_job(
    name="covenants_external_model_job",
    selection=dg.AssetSelection.assets(EXTERNAL_KEY),
    partitions_def=EXTERNAL_PARTITIONS,
    description="Train on one public bankruptcy dataset (seed 001 train-external); one partition per dataset.",
    tags={"domain": "covenants", "calcbridge/training": "external"},
)


def defs() -> dg.Definitions:
    """Built in a function: a code location module may hold only one module-level Definitions."""
    return dg.Definitions(
        assets=[*covenants_file_assets, breach_model_external],
        jobs=[breach_model_job, external_model_job],
        resources={"model_store": ModelStoreResource(), "external_data": ExternalDataResource()},
    )
