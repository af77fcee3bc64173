"""The covenants domain's pandera schemas: what each table's rows must satisfy before they are written."""

import pandera.pandas as pa

from orchestration.core.patterns import UUID
from orchestration.covenants.evaluation import STATUSES

MODEL_ID = r"^model-\d{4}-\d{2}-\d{2}-\d{6}$"
"""A trained model's id: `model-<date>-<time>`."""


DEALS_SCHEMA = pa.DataFrameSchema(
    {
        "deal_id": pa.Column(str, pa.Check.str_matches(UUID), unique=True),
        "name": pa.Column(str, pa.Check.str_length(min_value=1)),
        "borrower": pa.Column(str, pa.Check.str_length(min_value=1)),
        "sector": pa.Column(str),
        "region": pa.Column(str),
        "commitment_amount_cents": pa.Column("int64"),
        "currency": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{3}$")),
        "maturity_date": pa.Column(object),
        "source_index": pa.Column("int64", pa.Check.ge(0)),
        "landed_at": pa.Column(nullable=False),
    },
    name="covenants_deals",
    strict=True,
)


DEFINITIONS_SCHEMA = pa.DataFrameSchema(
    {
        "covenant_id": pa.Column(str, pa.Check.str_matches(UUID), unique=True),
        "deal_id": pa.Column(str, pa.Check.str_matches(UUID)),
        "name": pa.Column(str, pa.Check.str_length(min_value=1)),
        "formula": pa.Column(str, pa.Check.str_length(min_value=1)),
        "threshold_value_scaled": pa.Column("int64"),
        "threshold_direction": pa.Column(str, pa.Check.isin(["<=", ">="])),
        "frequency": pa.Column(str, pa.Check.isin(["QUARTERLY", "ANNUAL"])),
        "source_index": pa.Column("int64", pa.Check.ge(0)),
        "landed_at": pa.Column(nullable=False),
    },
    name="covenants_definitions",
    strict=True,
)


MEASUREMENTS_SCHEMA = pa.DataFrameSchema(
    {
        "deal_id": pa.Column(str, pa.Check.str_matches(UUID)),
        "period_start": pa.Column(object),
        "period_end": pa.Column(object),
        "metric_name": pa.Column(str, pa.Check.str_matches(r"^[A-Za-z_][A-Za-z0-9_]*$")),
        "metric_value_scaled": pa.Column("int64"),
        "source_index": pa.Column("int64", pa.Check.ge(0)),
        "landed_at": pa.Column(nullable=False),
    },
    checks=[pa.Check(lambda f: (f["period_start"] <= f["period_end"]).all(), name="period_start <= period_end")],
    unique=["deal_id", "period_start", "period_end", "metric_name"],
    name="covenants_measurements",
    strict=True,
)


EVALUATIONS_SCHEMA = pa.DataFrameSchema(
    {
        "covenant_id": pa.Column(str, pa.Check.str_matches(UUID)),
        "deal_id": pa.Column(str, pa.Check.str_matches(UUID)),
        "period_start": pa.Column(object),
        "period_end": pa.Column(object),
        "calculated_value_scaled": pa.Column("Int64", nullable=True),
        "threshold_value_scaled": pa.Column("int64"),
        "threshold_direction": pa.Column(str, pa.Check.isin(["<=", ">="])),
        "tolerance_scaled": pa.Column("int64", pa.Check.ge(0)),
        "status": pa.Column(str, pa.Check.isin(list(STATUSES))),
        "reason": pa.Column(object, nullable=True),
        "formula": pa.Column(str),
        "evaluated_at": pa.Column(nullable=False),
    },
    checks=[
        pa.Check(
            lambda f: (f["calculated_value_scaled"].isna() == f["status"].isin(["MISSING_DATA", "ERROR"])).all(),
            name="a value exactly when the status is OK, NEAR_BREACH or BREACH",
        )
    ],
    unique=["covenant_id", "period_start", "period_end"],
    name="covenants_evaluations",
    strict=True,
)


MODELS_SCHEMA = pa.DataFrameSchema(
    {
        "model_id": pa.Column(str, pa.Check.str_matches(MODEL_ID)),
        "test_auc": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
        "best_val_auc": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
        "samples_total": pa.Column("int64", pa.Check.gt(0)),
        "promoted": pa.Column(bool),
    },
    name="covenants_models",
    strict=True,
)


PREDICTIONS_SCHEMA = pa.DataFrameSchema(
    {
        "deal_id": pa.Column(str, pa.Check.str_matches(UUID), unique=True),
        "period_start": pa.Column(object),
        "period_end": pa.Column(object),
        "model_id": pa.Column(str, pa.Check.str_matches(MODEL_ID)),
        "probability": pa.Column(float, pa.Check.in_range(0, 1)),
        "risk_tier": pa.Column(str, pa.Check.isin(["LOW", "MEDIUM", "HIGH"])),
        "top_features": pa.Column(object),
    },
    name="covenants_breach_predictions",
    strict=True,
)
