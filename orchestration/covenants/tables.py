"""The covenants domain's warehouse tables (raw: parsed input; analytics: evaluations, models, predictions).

Each raw table keeps every version of a record: one row per (partition, record); dbt's staging views pick
the current version (latest `landed_at`) and the marts keep the history (issue 7, Input).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orchestration.core.metadata import metadata, partition_columns

deals = sa.Table(
    "covenants_deals",
    metadata,
    *partition_columns(),
    sa.Column("deal_id", sa.Text, nullable=False, comment="Deal UUID (seed 001 DealId.value)."),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("borrower", sa.Text, nullable=False),
    sa.Column("sector", sa.Text, nullable=False),
    sa.Column("region", sa.Text, nullable=False),
    sa.Column("commitment_amount_cents", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("maturity_date", sa.Date, nullable=False),
    sa.Column("source_index", sa.Integer, nullable=False, comment="Position of the record in its file."),
    sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False, comment="When the file holding it landed."),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", "deal_id", name="pk_covenants_deals"),
    sa.Index("ix_covenants_deals_current", "tenant_id", "deal_id", "landed_at"),
    schema="raw",
    comment="Deals as landed, one row per deal per file (every version kept).",
)

covenant_definitions = sa.Table(
    "covenants_definitions",
    metadata,
    *partition_columns(),
    sa.Column("covenant_id", sa.Text, nullable=False),
    sa.Column("deal_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("formula", sa.Text, nullable=False, comment="Arithmetic over metric names; parsed, never evaluated."),
    sa.Column("threshold_value_scaled", sa.BigInteger, nullable=False, comment="Ratio ×100 (4.5x = 450)."),
    sa.Column("threshold_direction", sa.Text, nullable=False, comment="<= or >="),
    sa.Column("frequency", sa.Text, nullable=False, comment="QUARTERLY or ANNUAL"),
    sa.Column("source_index", sa.Integer, nullable=False),
    sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", "covenant_id", name="pk_covenants_definitions"),
    sa.Index("ix_covenants_definitions_current", "tenant_id", "covenant_id", "landed_at"),
    schema="raw",
    comment="Covenants as landed, one row per covenant per file (every version kept).",
)

measurements = sa.Table(
    "covenants_measurements",
    metadata,
    *partition_columns(),
    sa.Column("deal_id", sa.Text, nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("metric_name", sa.Text, nullable=False),
    sa.Column("metric_value_scaled", sa.BigInteger, nullable=False, comment="Scaled integer (money in cents)."),
    sa.Column("source_index", sa.Integer, nullable=False),
    sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint(
        "tenant_id",
        "partition_key",
        "deal_id",
        "period_start",
        "period_end",
        "metric_name",
        name="pk_covenants_measurements",
    ),
    sa.Index("ix_covenants_measurements_deal", "tenant_id", "deal_id", "period_start", "period_end"),
    schema="raw",
    comment="Measurements as landed, one row per deal, period and metric per file (every version kept).",
)

evaluations = sa.Table(
    "covenants_evaluations",
    metadata,
    *partition_columns(),
    sa.Column("covenant_id", sa.Text, nullable=False),
    sa.Column("deal_id", sa.Text, nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column(
        "calculated_value_scaled", sa.BigInteger, comment="Formula value ×100, half away from zero; null when none."
    ),
    sa.Column("threshold_value_scaled", sa.BigInteger, nullable=False),
    sa.Column("threshold_direction", sa.Text, nullable=False),
    sa.Column("tolerance_scaled", sa.BigInteger, nullable=False, comment="NEAR_BREACH band used for `status`."),
    sa.Column("status", sa.Text, nullable=False, comment="OK, NEAR_BREACH, BREACH, MISSING_DATA or ERROR"),
    sa.Column("reason", sa.Text, comment="Missing metric names or the error, for MISSING_DATA and ERROR."),
    sa.Column("formula", sa.Text, nullable=False),
    sa.Column(
        "evaluated_at",
        sa.DateTime(timezone=True),
        nullable=False,
        comment="Landing time of the file that triggered it.",
    ),
    sa.PrimaryKeyConstraint(
        "tenant_id", "partition_key", "covenant_id", "period_start", "period_end", name="pk_covenants_evaluations"
    ),
    sa.Index("ix_covenants_evaluations_deal", "tenant_id", "deal_id", "period_start"),
    schema="analytics",
    comment="Every covenant evaluation: the (covenant, period) pairs each landed file affected, as of that file.",
)

models = sa.Table(
    "covenants_models",
    metadata,
    *partition_columns(),
    sa.Column("model_id", sa.Text, nullable=False, comment="model-YYYY-MM-DD-HHMMSS (seed 001)."),
    sa.Column("scope", sa.Text, nullable=False, comment="breach (a tenant's deals) or external:<dataset>."),
    sa.Column("run_id", sa.Text, nullable=False, comment="The Dagster run that trained it (/ml/jobs/{job_id})."),
    sa.Column("source_partition", sa.Text, comment="File partition or dataset partition it was trained for."),
    sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("model_path", sa.Text, nullable=False, comment="UBJSON model file in the model store."),
    sa.Column("active_model_path", sa.Text, nullable=False),
    sa.Column("result", JSONB, nullable=False, comment="Seed 001's job result: samples, rounds, metrics, config."),
    sa.Column("feature_spec", JSONB, comment="Which features the model reads (breach models)."),
    sa.Column("feature_importances", JSONB, comment="Every feature's gain share and rank."),
    sa.Column("test_auc", sa.Float),
    sa.Column("promoted", sa.Boolean, nullable=False),
    sa.Column("promotion_reason", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", name="pk_covenants_models"),
    sa.Index("ix_covenants_models_run", "run_id"),
    schema="analytics",
    comment="Model registry: every trained model with its metrics and whether it was promoted.",
)

model_promotions = sa.Table(
    "covenants_model_promotions",
    metadata,
    *partition_columns(),
    sa.Column("model_id", sa.Text, nullable=False),
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("previous_model_id", sa.Text),
    sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("test_auc", sa.Float),
    sa.Column("previous_test_auc", sa.Float),
    sa.Column("reason", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", name="pk_covenants_model_promotions"),
    sa.Index("ix_covenants_model_promotions_scope", "tenant_id", "scope", "promoted_at"),
    schema="analytics",
    comment="Every promotion to active (the latest per tenant and scope is the active model).",
)

predictions = sa.Table(
    "covenants_breach_predictions",
    metadata,
    *partition_columns(),
    sa.Column("deal_id", sa.Text, nullable=False),
    sa.Column("period_start", sa.Date, nullable=False, comment="The period whose features were scored."),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("model_id", sa.Text, nullable=False),
    sa.Column("probability", sa.Float, nullable=False, comment="Probability of a breach in the next period."),
    sa.Column("risk_tier", sa.Text, nullable=False, comment="LOW < 0.33 ≤ MEDIUM < 0.66 ≤ HIGH"),
    sa.Column("top_features", JSONB, nullable=False, comment="Largest SHAP contributions (log-odds) and values."),
    sa.Column("predicted_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "partition_key", "deal_id", name="pk_covenants_breach_predictions"),
    schema="analytics",
    comment="Breach risk per deal from the tenant's active model, as of each landed file.",
)
