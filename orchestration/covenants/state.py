"""Read a tenant's covenant state from the warehouse as of a landing time (no Dagster import).

A record's current version is the one from the latest-landed file at or before `as_of` (issue 7: "a later
file with the same ids updates those records and keeps their history"). Reading "as of" the file being
processed keeps a re-run of an old partition from seeing files that landed after it — except the deals it
names: a file that landed before its deals reads as of the first landing of the latest of them
(`covenants.pipeline.reading_moment`), so its re-run succeeds once they have landed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from orchestration.covenants import tables
from orchestration.covenants.inputs import COVENANT_COLUMNS, DEAL_COLUMNS, MEASUREMENT_COLUMNS

_KEYS: dict[str, list[str]] = {
    "covenants_deals": ["deal_id"],
    "covenants_definitions": ["covenant_id"],
    "covenants_measurements": ["deal_id", "period_start", "period_end", "metric_name"],
    "covenants_evaluations": ["covenant_id", "period_start", "period_end"],
}


def current_rows(
    engine: Engine, table: sa.Table, tenant_id: str, as_of: dt.datetime | None = None, order_column: str = "landed_at"
) -> pd.DataFrame:
    """The latest version of each record of `table` for the tenant (landed at or before `as_of`)."""
    keys = _KEYS[table.name]
    moment = table.c[order_column]
    query = sa.select(table).where(table.c.tenant_id == tenant_id)
    if as_of is not None:
        query = query.where(moment <= as_of)
    query = query.distinct(*(table.c[k] for k in keys)).order_by(
        *(table.c[k] for k in keys), moment.desc(), table.c.partition_key.desc()
    )
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return pd.DataFrame(rows, columns=[c.name for c in table.columns])


def tenant_state(engine: Engine, tenant_id: str, as_of: dt.datetime | None = None) -> dict[str, pd.DataFrame]:
    """Current deals, covenants and measurements of a tenant, in the frames the pure modules take."""
    deals = current_rows(engine, tables.deals, tenant_id, as_of)[DEAL_COLUMNS]
    covenants = current_rows(engine, tables.covenant_definitions, tenant_id, as_of)[COVENANT_COLUMNS]
    measurements = current_rows(engine, tables.measurements, tenant_id, as_of)[MEASUREMENT_COLUMNS]
    for frame, columns in (
        (deals, ["commitment_amount_cents"]),
        (covenants, ["threshold_value_scaled"]),
        (measurements, ["metric_value_scaled"]),
    ):
        for column in columns:
            frame[column] = frame[column].astype("int64")
    return {"deals": deals, "covenants": covenants, "measurements": measurements}


def current_evaluations(engine: Engine, tenant_id: str, as_of: dt.datetime | None = None) -> pd.DataFrame:
    """The latest evaluation of each (covenant, period) of a tenant."""
    return current_rows(engine, tables.evaluations, tenant_id, as_of, order_column="evaluated_at")


def first_landings(engine: Engine, tenant_id: str, deal_ids: set[str]) -> dict[str, dt.datetime]:
    """When each of these deals first landed for the tenant; deals it never landed are absent."""
    if not deal_ids:
        return {}
    deals = tables.deals
    query = (
        sa.select(deals.c.deal_id, sa.func.min(deals.c.landed_at))
        .where(deals.c.tenant_id == tenant_id, deals.c.deal_id.in_(sorted(deal_ids)))
        .group_by(deals.c.deal_id)
    )
    with engine.connect() as conn:
        return dict(conn.execute(query).tuples().all())


def partition_references(engine: Engine, tenant_id: str, partition_key: str) -> set[str]:
    """Deals a written partition's covenants and measurements name that its own deals do not define."""
    named = sa.union(
        *(
            sa.select(t.c.deal_id).where(t.c.tenant_id == tenant_id, t.c.partition_key == partition_key)
            for t in (tables.covenant_definitions, tables.measurements)
        )
    )
    own = sa.select(tables.deals.c.deal_id).where(
        tables.deals.c.tenant_id == tenant_id, tables.deals.c.partition_key == partition_key
    )
    with engine.connect() as conn:
        return set(conn.execute(sa.select(named.subquery().c.deal_id)).scalars()) - set(conn.execute(own).scalars())


def active_model(engine: Engine, tenant_id: str, scope: str) -> dict[str, Any] | None:
    """The registry row of the tenant's active model in `scope` (the latest promotion), or None."""
    promotions, models = tables.model_promotions, tables.models
    latest = (
        sa.select(promotions.c.model_id)
        .where(promotions.c.tenant_id == tenant_id, promotions.c.scope == scope)
        .order_by(promotions.c.promoted_at.desc(), promotions.c.model_id.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = sa.select(models).where(
        models.c.tenant_id == tenant_id, models.c.scope == scope, models.c.model_id == latest
    )
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return dict(row) if row is not None else None


def taken_model_ids(engine: Engine, tenant_id: str, scope: str) -> set[str]:
    query = sa.select(tables.models.c.model_id).where(
        tables.models.c.tenant_id == tenant_id, tables.models.c.scope == scope
    )
    with engine.connect() as conn:
        return set(conn.execute(query).scalars())
