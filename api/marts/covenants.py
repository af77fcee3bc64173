"""The API's view of the covenants marts (dbt owns their DDL; these describe the columns for SQLAlchemy Core)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from api.marts._metadata import metadata

deals = sa.Table(
    "covenant_deals",
    metadata,
    sa.Column("deal_key", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("deal_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("borrower", sa.Text, nullable=False),
    sa.Column("sector", sa.Text, nullable=False),
    sa.Column("region", sa.Text, nullable=False),
    sa.Column("commitment_amount_cents", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("maturity_date", sa.Date, nullable=False),
    schema="marts",
)

covenants = sa.Table(
    "covenant_definitions",
    metadata,
    sa.Column("covenant_key", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("covenant_id", sa.Text, nullable=False),
    sa.Column("deal_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("formula", sa.Text, nullable=False),
    sa.Column("threshold_value_scaled", sa.BigInteger, nullable=False),
    sa.Column("threshold_direction", sa.Text, nullable=False),
    sa.Column("frequency", sa.Text, nullable=False),
    schema="marts",
)

measurements = sa.Table(
    "covenant_measurements",
    metadata,
    sa.Column("measurement_key", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("deal_id", sa.Text, nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("metric_name", sa.Text, nullable=False),
    sa.Column("metric_value_scaled", sa.BigInteger, nullable=False),
    sa.Column("sort_key", sa.Text, nullable=False),
    schema="marts",
)

evaluations = sa.Table(
    "covenant_evaluations",
    metadata,
    sa.Column("evaluation_key", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("covenant_id", sa.Text, nullable=False),
    sa.Column("deal_id", sa.Text, nullable=False),
    sa.Column("covenant_name", sa.Text),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("calculated_value_scaled", sa.BigInteger),
    sa.Column("threshold_value_scaled", sa.BigInteger, nullable=False),
    sa.Column("threshold_direction", sa.Text, nullable=False),
    sa.Column("tolerance_scaled", sa.BigInteger, nullable=False),
    sa.Column("headroom_scaled", sa.Numeric),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("formula", sa.Text, nullable=False),
    sa.Column("evaluation_count", sa.BigInteger, nullable=False),
    sa.Column("sort_key", sa.Text, nullable=False),
    sa.Column("partition_key", sa.Text, nullable=False, comment="The file whose landing made this evaluation."),
    sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
    schema="marts",
)

predictions = sa.Table(
    "breach_predictions",
    metadata,
    sa.Column("deal_key", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("deal_id", sa.Text, nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("model_id", sa.Text, nullable=False),
    sa.Column("probability", sa.Float, nullable=False),
    sa.Column("risk_tier", sa.Text, nullable=False),
    sa.Column("top_features", JSONB, nullable=False),
    sa.Column("predicted_at", sa.DateTime(timezone=True), nullable=False),
    schema="marts",
)

models = sa.Table(
    "breach_models",
    metadata,
    sa.Column("model_key", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("model_id", sa.Text, nullable=False),
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("dataset", sa.Text),
    sa.Column("run_id", sa.Text, nullable=False),
    sa.Column("source_partition", sa.Text),
    sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("model_path", sa.Text, nullable=False),
    sa.Column("active_model_path", sa.Text, nullable=False),
    sa.Column("result", JSONB, nullable=False),
    sa.Column("test_auc", sa.Float),
    sa.Column("promoted", sa.Boolean, nullable=False),
    sa.Column("promotion_reason", sa.Text, nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False),
    schema="marts",
)
