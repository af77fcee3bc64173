"""Partition writes: atomic replace, idempotent re-runs, failures that keep the previous rows."""

import datetime as dt
import decimal

import pandas as pd
import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orchestration.core import warehouse
from orchestration.core.errors import InputError

other = sa.Table(
    "warehouse_probe_other",
    sa.MetaData(),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("partition_key", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("blob", sa.LargeBinary),
    schema="analytics",
)
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
    for table in (probe, other):
        table.create(platform.warehouse, checkfirst=True)
        with platform.warehouse.begin() as conn:
            conn.execute(table.delete())
    yield platform.warehouse
    for table in (probe, other):
        table.drop(platform.warehouse)


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


def test_special_characters_nulls_and_nan_survive_copy(engine):
    """COPY text escaping: backslashes, tabs and newlines in text and JSON; null JSON; NaN inside JSON is refused."""
    tricky = "a\\b\tc\nd\re \\N"
    frame = pd.DataFrame(
        {
            "name": [tricky, "plain"],
            "amount": [None, decimal.Decimal("-0.01")],
            "count": pd.array([None, 7], dtype="Int64"),
            "as_of": [None, dt.date(2026, 1, 2)],
            "payload": [{"s": tricky, "x": None}, None],
        }
    )
    nan_inside = frame.assign(payload=[{"s": tricky, "x": float("nan")}, None])
    with pytest.raises(InputError) as refused:  # orjson would write it as null: silently a different value
        warehouse.replace_partition(engine, probe, nan_inside, tenant_id="acme", partition_key="p1")
    assert (refused.value.code, refused.value.details["column"], refused.value.details["row"]) == (
        "VALIDATION_ERROR",
        "payload",
        0,
    )
    warehouse.replace_partition(engine, probe, frame, tenant_id="acme", partition_key="p1")
    assert _rows(engine) == [
        ("acme", "p1", "a\\b\tc\nd\re \\N", None, None, None, {"s": tricky, "x": None}),
        ("acme", "p1", "plain", decimal.Decimal("-0.01"), 7, dt.date(2026, 1, 2), None),
    ]


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


def _names(engine, table):
    with engine.connect() as conn:
        return sorted(conn.execute(sa.select(table.c.name)).scalars())


def test_several_tables_are_replaced_in_one_transaction(engine):
    frames = {probe: _frame(["a", "b"]), other: pd.DataFrame({"name": ["x"]})}
    written = warehouse.replace_partitions(engine, frames, tenant_id="acme", partition_key="p1")
    assert written == {probe: 2, other: 1}
    # The second table's COPY fails after the first table was already replaced: both keep their previous rows.
    broken = {probe: _frame(["c"]), other: pd.DataFrame({"name": ["y", None]})}
    with pytest.raises(psycopg.errors.NotNullViolation):
        warehouse.replace_partitions(engine, broken, tenant_id="acme", partition_key="p1")
    assert (_names(engine, probe), _names(engine, other)) == (["a", "b"], ["x"])

    # A failing `also` statement rolls the whole partition back too.
    def fail(conn):
        conn.execute(sa.text("select 1 / 0"))

    with pytest.raises(sa.exc.DataError):
        warehouse.replace_partitions(
            engine, broken | {other: pd.DataFrame({"name": ["y"]})}, tenant_id="acme", partition_key="p1", also=fail
        )
    assert (_names(engine, probe), _names(engine, other)) == (["a", "b"], ["x"])


def test_a_shared_partition_replaces_every_tenants_rows(engine):
    warehouse.replace_partition(engine, probe, _frame(["a"]), tenant_id="acme", partition_key="d1")
    warehouse.replace_partition(engine, probe, _frame(["b"]), tenant_id="globex", partition_key="d1")
    day = _frame(["c", "d"]).assign(tenant_id=["acme", "globex"])
    warehouse.replace_partition(engine, probe, day, tenant_id=warehouse.ALL_TENANTS, partition_key="d1")
    assert [r[:3] for r in _rows(engine)] == [("acme", "d1", "c"), ("globex", "d1", "d")]


def test_writers_of_one_partition_wait_for_each_other(engine):
    """A second writer blocks on the advisory lock until the first commits, then replaces its rows whole."""
    import threading

    started, release = threading.Event(), threading.Event()

    def hold(conn):
        started.set()
        release.wait(10)

    first = threading.Thread(
        target=warehouse.replace_partitions,
        args=(engine, {probe: _frame(["a"])}),
        kwargs={"tenant_id": "acme", "partition_key": "p1", "also": hold},
    )
    first.start()
    started.wait(10)
    second = threading.Thread(
        target=warehouse.replace_partition,
        args=(engine, probe, _frame(["b"])),
        kwargs={"tenant_id": "acme", "partition_key": "p1"},
    )
    second.start()
    second.join(0.5)
    assert second.is_alive(), "the second writer did not wait for the first"
    release.set()
    first.join(10)
    second.join(10)
    assert _names(engine, probe) == ["b"]


def test_bytes_go_in_as_bytea(engine):
    pdf = b"%PDF-1.3\n%\xe9\xeb\x00\\\t end"
    frame = pd.DataFrame({"name": ["pdf", "none"], "blob": [pdf, None]})
    warehouse.replace_partition(engine, other, frame, tenant_id="acme", partition_key="p1")
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.select(other.c.name, other.c.blob)).all())
    assert rows == {"pdf": pdf, "none": None}


def test_an_exclusive_section_has_one_holder_and_frees_on_a_dead_connection(engine):
    """A second `exclusive` waits for the first; a holder whose connection dies leaves the lock free."""
    import threading

    order: list[str] = []
    inside = threading.Event()

    def second() -> None:
        with warehouse.exclusive(engine, "probe"):
            order.append("second")

    with warehouse.exclusive(engine, "probe"):
        order.append("first")
        waiter = threading.Thread(target=second)
        waiter.start()
        waiter.join(0.5)
        assert waiter.is_alive(), "the second holder did not wait"
        order.append("first done")
    waiter.join(10)
    assert order == ["first", "first done", "second"]

    raw = engine.raw_connection()  # a holder that dies without unlocking: its session goes, its lock with it
    raw.cursor().execute("select pg_advisory_lock(hashtextextended('calcbridge|probe', 0))")
    raw.invalidate()

    def third() -> None:
        with warehouse.exclusive(engine, "probe"):
            inside.set()

    threading.Thread(target=third, daemon=True).start()
    assert inside.wait(10), "the lock of a closed session was not released"
