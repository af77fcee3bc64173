"""Breach-risk reads (seed 001 ML endpoints): predictions, the model registry, and training jobs as Dagster runs.

Tenant models are the caller's own; models trained on the public bankruptcy datasets (tenant `_public`)
are listed for every tenant, as are their training runs.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal

import dagster as dg
import sqlalchemy as sa
from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from api.deps import AppRuntime, Caller, Db, Instance, requires
from api.errors import error_responses, not_found
from api.marts import covenants as t
from api.pagination import Page, PageQuery, keyset
from api.routers.covenants.queries import require_deal
from orchestration.core import dlq

router = APIRouter(prefix="/ml", tags=["ml"], dependencies=[requires("read:covenants")])

PUBLIC_TENANT = "_public"
EXTERNAL_JOB = "covenants_external_model_job"
TRAINING_TAG = "calcbridge/training"
RUN_STATUS: dict[dg.DagsterRunStatus, str] = {
    dg.DagsterRunStatus.QUEUED: "queued",
    dg.DagsterRunStatus.NOT_STARTED: "queued",
    dg.DagsterRunStatus.STARTING: "queued",
    dg.DagsterRunStatus.MANAGED: "queued",
    dg.DagsterRunStatus.STARTED: "started",
    dg.DagsterRunStatus.CANCELING: "started",
    dg.DagsterRunStatus.SUCCESS: "finished",
    dg.DagsterRunStatus.FAILURE: "failed",
    dg.DagsterRunStatus.CANCELED: "failed",
}
"""Dagster run statuses as seed 001's job statuses."""
ERRORS = error_responses(401, 403, 404, 422, 429, 503)
MODEL_ID = "model-2026-01-15-143052"


class TopFeature(BaseModel):
    """One SHAP contribution (log-odds) to a prediction, with the feature's value."""

    feature: str
    contribution: float
    value: float | None


class PredictionOut(BaseModel):
    """Seed 001's prediction (deal_id, probability, risk_tier) with the model and the reasons behind it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "deal_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
                    "probability": 0.23,
                    "risk_tier": "LOW",
                    "model_id": MODEL_ID,
                    "period_start_iso": "2025-10-01",
                    "period_end_iso": "2025-12-31",
                    "top_features": [
                        {"feature": "min_headroom", "contribution": -1.42, "value": 0.31},
                        {"feature": "cov_total_debt_div_ebitda_value_qoq", "contribution": -0.35, "value": -0.05},
                        {"feature": "years_to_maturity", "contribution": 0.12, "value": 2.5},
                    ],
                    "predicted_at": "2026-01-15T14:31:00Z",
                }
            ]
        }
    )

    deal_id: str
    probability: float = Field(ge=0, le=1, description="Probability of a covenant breach in the next period.")
    risk_tier: Literal["LOW", "MEDIUM", "HIGH"]
    model_id: str
    period_start_iso: str = Field(description="The period whose features were scored (the deal's latest).")
    period_end_iso: str
    top_features: list[TopFeature]
    predicted_at: dt.datetime


STORE_PATH = (
    "The file's path inside the model store (`<tenant>/breach/…` or `external/<dataset>/…`), never the server's."
)


def store_path(path: str) -> str:
    """A model file's path relative to the model store: its last three parts (folder of the scope, file)."""
    return "/".join(PurePosixPath(path).parts[-3:])


class ModelOut(BaseModel):
    """A registered model: where it is, how it scored and whether it is the active one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "model_id": MODEL_ID,
                    "scope": "breach",
                    "dataset": None,
                    "model_path": f"acme/breach/{MODEL_ID}.ubj",
                    "active_model_path": "acme/breach/active.ubj",
                    "is_active": True,
                    "promoted": True,
                    "promotion_reason": (
                        "first model of its scope; recall 1.00 at the HIGH tier (p ≥ 0.66) on the validation split"
                    ),
                    "trained_at": "2026-01-15T14:30:52Z",
                    "job_id": "5f0c7a2e-2b1d-4c3a-9e8f-1a2b3c4d5e6f",
                    "test_auc": 0.87,
                    "best_val_auc": 0.89,
                    "samples_total": 550,
                    "train_metrics": {
                        "loss": 0.32,
                        "auc": 0.95,
                        "accuracy": 0.88,
                        "precision": 0.85,
                        "recall": 0.82,
                        "f1_score": 0.83,
                    },
                    "val_metrics": {
                        "loss": 0.41,
                        "auc": 0.89,
                        "accuracy": 0.84,
                        "precision": 0.81,
                        "recall": 0.78,
                        "f1_score": 0.79,
                    },
                    "test_metrics": {
                        "loss": 0.43,
                        "auc": 0.87,
                        "accuracy": 0.82,
                        "precision": 0.79,
                        "recall": 0.76,
                        "f1_score": 0.77,
                    },
                }
            ]
        }
    )

    model_id: str
    scope: str = Field(description="`breach` (the tenant's deals) or `external:<dataset>`.")
    dataset: str | None
    model_path: str = Field(description=STORE_PATH)
    active_model_path: str = Field(description=STORE_PATH)
    is_active: bool
    promoted: bool
    promotion_reason: str
    trained_at: dt.datetime
    job_id: str = Field(description="The Dagster run that trained it (`/ml/jobs/{job_id}`).")
    test_auc: float | None
    best_val_auc: float | None
    samples_total: int
    train_metrics: dict[str, float | None]
    val_metrics: dict[str, float | None]
    test_metrics: dict[str, float | None]


class ActiveModelOut(BaseModel):
    """Seed 001's active-model answer, with the model's id, test AUC and training time."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "model_id": MODEL_ID,
                    "model_path": "acme/breach/active.ubj",
                    "is_loaded": True,
                    "test_auc": 0.87,
                    "trained_at": "2026-01-15T14:30:52Z",
                }
            ]
        }
    )

    model_id: str
    model_path: str = Field(description=STORE_PATH)
    is_loaded: bool = Field(description="The active model file is present where the registry says.")
    test_auc: float | None
    trained_at: dt.datetime


class JobOut(BaseModel):
    """A training job (a Dagster run) in seed 001's job shape; `result` is the seed's training result."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "job_id": "5f0c7a2e-2b1d-4c3a-9e8f-1a2b3c4d5e6f",
                    "status": "finished",
                    "result": {"status": "complete", "model_id": MODEL_ID, "best_val_auc": 0.89, "best_round": 45},
                    "error": None,
                }
            ]
        }
    )

    job_id: str
    status: Literal["queued", "started", "finished", "failed"]
    result: dict[str, Any] | None
    error: str | None = Field(default=None, description="Why the run failed, or why it trained no model.")


@router.get("/predictions/{deal_id}", summary="Breach risk of a deal", responses=ERRORS)
async def get_prediction(
    db: Db, caller: Caller, deal_id: Annotated[uuid.UUID, Path(description="Deal UUID.")]
) -> PredictionOut:
    """The deal's latest prediction from its tenant's active model (404 before a model has scored it)."""
    deal = str(deal_id)
    await require_deal(db, caller.tenant_id, deal)
    p = t.predictions.c
    row = (await db.execute(sa.select(t.predictions).where(p.tenant_id == caller.tenant_id, p.deal_id == deal))).first()
    if row is None:
        raise not_found("prediction for deal", deal)
    return PredictionOut.model_validate(
        {
            "deal_id": row.deal_id,
            "probability": row.probability,
            "risk_tier": row.risk_tier,
            "model_id": row.model_id,
            "period_start_iso": row.period_start.isoformat(),
            "period_end_iso": row.period_end.isoformat(),
            "top_features": row.top_features,
            "predicted_at": row.predicted_at,
        }
    )


MODEL_LIST = TypeAdapter(list[ModelOut])


def _model(row: Any) -> dict[str, Any]:
    """A marts.breach_models row as the response fields (paths inside the model store, metrics from `result`)."""
    result = row.result or {}
    return {
        "model_id": row.model_id,
        "scope": row.scope,
        "dataset": row.dataset,
        "model_path": store_path(row.model_path),
        "active_model_path": store_path(row.active_model_path),
        "is_active": row.is_active,
        "promoted": row.promoted,
        "promotion_reason": row.promotion_reason,
        "trained_at": row.trained_at,
        "job_id": row.run_id,
        "test_auc": row.test_auc,
        "best_val_auc": result.get("best_val_auc"),
        "samples_total": result.get("samples_total", 0),
        "train_metrics": result.get("train_metrics", {}),
        "val_metrics": result.get("val_metrics", {}),
        "test_metrics": result.get("test_metrics", {}),
    }


@router.get("/models", summary="List models", responses=error_responses(401, 403, 422, 429, 503))
async def list_models(
    db: Db,
    runtime: AppRuntime,
    caller: Caller,
    page: PageQuery,
    scope: Annotated[
        str | None, Query(max_length=64, description="Only this scope: `breach` or `external:<dataset>`.")
    ] = None,
) -> Page[ModelOut]:
    """The caller's breach models and the public external-dataset models, newest first by default."""
    filters = [t.models.c.tenant_id.in_([caller.tenant_id, PUBLIC_TENANT])]
    if scope is not None:
        filters.append(t.models.c.scope == scope)
    data, info = await keyset(
        db,
        runtime.counts,
        page,
        columns=[t.models],
        count_from=t.models,
        filters=filters,
        sort="model_id",
        sort_expr=t.models.c.model_id,
        kind="text",
        id_expr=t.models.c.model_key,
        count_key=("breach_models", caller.tenant_id, scope),
        build=_model,
    )
    return Page[ModelOut](data=MODEL_LIST.validate_python(data), pagination=info)


@router.get("/models/active", summary="The active breach model", responses=ERRORS)
async def get_active_model(db: Db, caller: Caller) -> ActiveModelOut:
    """The tenant's active breach model (the latest promoted one)."""
    m = t.models.c
    query = sa.select(t.models).where(m.tenant_id == caller.tenant_id, m.scope == "breach", m.is_active)
    row = (await db.execute(query)).first()
    if row is None:
        raise not_found("active model for tenant", caller.tenant_id)
    return ActiveModelOut.model_validate(
        {
            "model_id": row.model_id,
            "model_path": store_path(row.active_model_path),
            # one stat of a local file: cheaper than a hop to a worker thread; nothing is loaded
            "is_loaded": os.path.isfile(row.active_model_path),
            "test_auc": row.test_auc,
            "trained_at": row.trained_at,
        }
    )


def _visible(run: dg.DagsterRun, tenant_id: str) -> bool:
    """A covenants run of the caller's tenant, or a public-dataset training run (no tenant data in it)."""
    if run.job_name == EXTERNAL_JOB or run.tags.get(TRAINING_TAG) == "external":
        return True
    # A run launched from the UI has no tenant tag; its partition key `<tenant>.<sha>` names the tenant.
    owner = run.tags.get(dlq.TENANT_TAG) or run.tags.get(dlq.PARTITION_TAG, "").split(".")[0]
    return run.tags.get(dlq.DOMAIN_TAG) == "covenants" and owner == tenant_id


def _run_and_failure(instance: dg.DagsterInstance, job_id: str) -> tuple[dg.DagsterRun | None, str | None]:
    """The Dagster run and, for a failed one, why it failed (instance storage reads: run on a worker thread)."""
    run = instance.get_run_by_id(job_id)
    if run is None or RUN_STATUS.get(run.status) != "failed":
        return run, None
    return run, dlq.describe_failure(instance, run).message


@router.get("/jobs/{job_id}", summary="A training job", responses=ERRORS)
async def get_job(
    db: Db,
    instance: Instance,
    caller: Caller,
    job_id: Annotated[uuid.UUID, Path(description="The Dagster run id of a training run.")],
) -> JobOut:
    """A covenants training run's status as seed 001's job status, with the model it registered."""
    run, failure = await run_in_threadpool(_run_and_failure, instance, str(job_id))
    if run is None or not _visible(run, caller.tenant_id):
        raise not_found("job", str(job_id))
    status = RUN_STATUS.get(run.status, "queued")
    registry = t.models  # a view: a finished run's model shows before dbt runs again
    query = (
        sa.select(registry.c.result)
        .where(registry.c.run_id == run.run_id, registry.c.tenant_id.in_([caller.tenant_id, PUBLIC_TENANT]))
        .order_by(registry.c.trained_at.desc())
    )
    row = (await db.execute(query)).first()
    error = failure
    if status == "finished" and row is None:
        error = "the run trained no model (too little labelled data; see the breach_model materialization)"
    return JobOut(job_id=run.run_id, status=status, result=row.result if row else None, error=error)
