"""Partition writes: atomic replace, idempotent re-runs, failures that keep the previous rows."""

import datetime as dt
import decimal

import pandas as pd
import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orchestration.core import warehouse

probe = sa.Table(
    "warehouse_probe",
    sa.MetaData(),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("partition_key", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("amount", sa.Numeric(18, 2)),
    sa.Column("count", sa.BigInteger),
    sa.Column("as_of", sa.Date),
    sa.Column("payload", JSONB),
    schema="analytics",
)


@pytest.fixture
def engine(platform):
    probe.create(platform.warehouse, checkfirst=True)
    with platform.warehouse.begin() as conn:
        conn.execute(probe.delete())
    yield platform.warehouse
    probe.drop(platform.warehouse)


def _frame(names, amount="1.10"):
    return pd.DataFrame(
        {
            "name": names,
            "amount": [decimal.Decimal(amount)] * len(names),
            "count": pd.array([3] * len(names), dtype="Int64"),
            "as_of": [dt.date(2025, 12, 31)] * len(names),
            "payload": [{"k": [1, None]}] * len(names),
        }
    )


def _rows(engine, tenant=None):
    query = sa.select(probe).order_by(probe.c.tenant_id, probe.c.partition_key, probe.c.name)
    if tenant:
        query = query.where(probe.c.tenant_id == tenant)
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query)]


def test_rows_round_trip_with_types(engine):
    frame = _frame(["a"]).assign(count=pd.array([None], dtype="Int64"), amount=[None])
    assert warehouse.replace_partition(engine, probe, frame, tenant_id="acme", partition_key="p1") == 1
    assert _rows(engine) == [("acme", "p1", "a", None, None, dt.date(2025, 12, 31), {"k": [1, None]})]


def test_replace_is_idempotent_and_touches_only_its_partition(engine):
    warehouse.replace_partition(engine, probe, _frame(["a", "b"]), tenant_id="acme", partition_key="p1")
    warehouse.replace_partition(engine, probe, _frame(["z"]), tenant_id="acme", partition_key="p2")
    warehouse.replace_partition(engine, probe, _frame(["a"]), tenant_id="globex", partition_key="p1")
    before = _rows(engine)
    warehouse.replace_partition(engine, probe, _frame(["a", "b"]), tenant_id="acme", partition_key="p1")
    assert _rows(engine) == before
    warehouse.replace_partition(engine, probe, _frame(["c"], amount="2.50"), tenant_id="acme", partition_key="p1")
    after = _rows(engine)
    assert [r[:3] for r in after] == [("acme", "p1", "c"), ("acme", "p2", "z"), ("globex", "p1", "a")]
    assert after[0][3] == decimal.Decimal("2.50")


def test_a_failed_write_keeps_the_previous_rows(engine):
    warehouse.replace_partition(engine, probe, _frame(["a", "b"]), tenant_id="acme", partition_key="p1")
    before = _rows(engine)
    broken = _frame(["ok", None])  # name is NOT NULL: COPY fails after the delete ran
    with pytest.raises(psycopg.errors.NotNullViolation):
        warehouse.replace_partition(engine, probe, broken, tenant_id="acme", partition_key="p1")
    assert _rows(engine) == before


def test_unknown_columns_are_refused_before_touching_the_table(engine):
    warehouse.replace_partition(engine, probe, _frame(["a"]), tenant_id="acme", partition_key="p1")
    with pytest.raises(ValueError, match="not in the table definition"):
        warehouse.replace_partition(engine, probe, _frame(["b"]).assign(extra=1), tenant_id="acme", partition_key="p1")
    assert [r[2] for r in _rows(engine)] == ["a"]
