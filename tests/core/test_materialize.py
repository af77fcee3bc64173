"""The one asset-body helper: every frame validated, all tables written in one transaction, typed failures."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import uuid
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pandera.pandas as pa
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orchestration.core.checks import TRANSIENT_RETRY
from orchestration.core.copy_text import encode_rows
from orchestration.core.errors import InputError
from orchestration.core.landing_log import LandedRecord
from orchestration.core.materialize import TableFrame, input_errors, landed, write, write_assets
from orchestration.core.resources import WarehouseResource
from orchestration.core.schema import landed_files
from orchestration.ops.schemas import LANDED_FILES_SCHEMA

KEY = dg.AssetKey(["clo", "landed_files"])


def _record(tenant: str) -> LandedRecord:
    return LandedRecord(
        tenant_id=tenant,
        domain="clo",
        file_name="book.xlsx",
        relative_path=f"{tenant}/clo/book.xlsx",
        sha256="a" * 64,
        size_bytes=10,
        partition_key=f"{tenant}.aaaaaaaaaaaaaaaa",
        archive_path=Path("/archive/a"),
        sidecar=None,
        landed_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
    )


def _row(domain: str, size: Any = 10) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "domain": domain,
                "file_name": "book.xlsx",
                "sha256": "a" * 64,
                "size_bytes": size,
                "landed_at": dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
                "archive_path": "/archive/a",
                "sidecar": None,
                "status": "accepted",
            }
        ]
    )


def _count(platform: Any, table: sa.Table, tenant: str) -> int:
    with platform.warehouse.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table).where(table.c.tenant_id == tenant)).scalar()


def test_write_is_all_or_nothing_and_reports_what_it_wrote(platform: Any) -> None:
    tenant = f"mat-{uuid.uuid4().hex[:6]}"
    warehouse, record = WarehouseResource(), _record(tenant)
    clo, equity = landed_files["clo"], landed_files["equity"]
    result = write(
        warehouse,
        record,
        KEY,
        [TableFrame(clo, LANDED_FILES_SCHEMA, _row("clo")), TableFrame(equity, LANDED_FILES_SCHEMA, _row("equity"))],
        {"extra": 1},
    )
    assert (_count(platform, clo, tenant), _count(platform, equity, tenant)) == (1, 1)
    assert result.metadata["dagster/row_count"] == 1
    assert (result.metadata["tenant"], result.metadata["extra"]) == (tenant, 1)
    assert [c.passed for c in result.check_results] == [True]

    bad = [
        TableFrame(clo, LANDED_FILES_SCHEMA, _row("clo").assign(file_name="replacement.xlsx")),  # valid
        TableFrame(equity, LANDED_FILES_SCHEMA, _row("equity", size=0)),  # size must be > 0
    ]
    with pytest.raises(dg.Failure) as failure:
        write(warehouse, record, KEY, bad)
    assert failure.value.metadata["error_code"].value == "VALIDATION_ERROR"
    assert failure.value.allow_retries is False
    with platform.warehouse.connect() as conn:
        names = conn.execute(sa.select(clo.c.file_name).where(clo.c.tenant_id == tenant)).scalars().all()
    assert names == ["book.xlsx"]  # the valid first frame was not written either
    assert (_count(platform, clo, tenant), _count(platform, equity, tenant)) == (1, 1)  # the good version stays


def _raise_inside_input_errors() -> None:
    with input_errors({"file": "x.csv"}):
        raise InputError("BAD", "bad value", "x.csv:3")


def test_an_unknown_partition_and_an_input_error_are_typed_failures(platform: Any) -> None:
    with pytest.raises(dg.Failure) as failure:
        landed(WarehouseResource(), "clo", "nobody.0000000000000000")
    assert failure.value.metadata["error_code"].value == "LANDING_UNKNOWN_PARTITION"
    with pytest.raises(dg.Failure) as failure:
        _raise_inside_input_errors()
    assert failure.value.metadata["error_code"].value == "BAD"
    assert failure.value.metadata["file"].value == "x.csv"


def test_write_assets_reports_each_asset_of_a_multi_asset(platform: Any) -> None:
    tenant = f"mat-{uuid.uuid4().hex[:6]}"
    clo, equity = landed_files["clo"], landed_files["equity"]
    keys = [dg.AssetKey(["clo", "landed_files"]), dg.AssetKey(["equity", "landed_files"])]
    outputs = {
        keys[0]: TableFrame(clo, LANDED_FILES_SCHEMA, _row("clo")),
        keys[1]: TableFrame(equity, LANDED_FILES_SCHEMA, _row("equity")),
    }
    results = list(write_assets(WarehouseResource(), _record(tenant), outputs, {keys[1]: {"note": "x"}}))
    assert [r.asset_key for r in results] == keys
    assert [r.metadata["dagster/row_count"] for r in results] == [1, 1]
    assert [_count(platform, clo, tenant), _count(platform, equity, tenant)] == [1, 1]
    assert [c.asset_key for r in results for c in r.check_results] == keys
    assert "note" not in results[0].metadata
    assert results[1].metadata["note"] == "x"


# ------------------------------------------------------------------ finite numbers only (issue 15 part 3)


PROBE_SCHEMA = pa.DataFrameSchema({"amount": pa.Column(float, nullable=True)}, name="probe")
PROBE_ROW = {"amount": 1.5, "ratio": 0.25, "small": 1.0, "big": 1, "doc": {"a": 1, "b": None}}


@pytest.fixture
def probe(platform: Any) -> Any:
    """A throwaway raw table with the column kinds the write path encodes: numeric, float8, bigint, jsonb."""
    table = sa.Table(
        f"finite_probe_{uuid.uuid4().hex[:8]}",
        sa.MetaData(),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("partition_key", sa.Text, nullable=False),
        sa.Column("amount", sa.Numeric),
        sa.Column("ratio", sa.Float),
        sa.Column("small", sa.Numeric(5, 2)),
        sa.Column("big", sa.BigInteger),
        sa.Column("doc", JSONB),
        schema="raw",
    )
    table.create(platform.warehouse)
    yield table
    table.drop(platform.warehouse)


def _stored(platform: Any, table: sa.Table) -> list[dict[str, Any]]:
    with platform.warehouse.connect() as conn:
        rows = conn.execute(sa.select(table.c.amount, table.c.ratio, table.c.doc)).mappings().all()
    return [dict(r) for r in rows]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("amount", math.inf),
        ("small", decimal.Decimal("NaN")),
        ("ratio", -math.inf),
        ("doc", {"share_pct": math.nan}),  # orjson would have written null
        ("doc", {"trend": [{"value": math.inf}]}),
        ("doc", '{"a": NaN}'),
        ("doc", {"big": 10**30}),
    ],
)
def test_write_refuses_nan_and_infinity_in_numeric_and_json_columns(
    platform: Any, probe: sa.Table, column: str, value: Any
) -> None:
    tenant = f"mat-{uuid.uuid4().hex[:6]}"
    warehouse, record = WarehouseResource(), _record(tenant)
    write(warehouse, record, KEY, [TableFrame(probe, PROBE_SCHEMA, pd.DataFrame([PROBE_ROW]))])
    bad = pd.DataFrame([PROBE_ROW, {**PROBE_ROW, column: value}])
    with pytest.raises(dg.Failure) as failure:
        write(warehouse, record, KEY, [TableFrame(probe, PROBE_SCHEMA, bad)])
    assert failure.value.allow_retries is False
    metadata = failure.value.metadata
    assert metadata["error_code"].value == "VALIDATION_ERROR"
    assert metadata["where"].value.endswith(f"{probe.fullname}.{column}")
    assert (metadata["table"].value, metadata["column"].value, metadata["row"].value) == (probe.fullname, column, "1")
    # The partition keeps its previous, finite version.
    assert _stored(platform, probe) == [{"amount": decimal.Decimal("1.5"), "ratio": 0.25, "doc": {"a": 1, "b": None}}]


@pytest.mark.parametrize(("column", "value", "sqlstate"), [("small", 1000.0, "22003"), ("big", 2**70, "22003")])
def test_a_value_the_database_refuses_is_a_typed_input_error(
    platform: Any, probe: sa.Table, column: str, value: Any, sqlstate: str
) -> None:
    frame = pd.DataFrame([{**PROBE_ROW, column: value}])
    with pytest.raises(dg.Failure) as failure:
        write(
            WarehouseResource(), _record(f"mat-{uuid.uuid4().hex[:6]}"), KEY, [TableFrame(probe, PROBE_SCHEMA, frame)]
        )
    metadata = failure.value.metadata
    assert failure.value.allow_retries is False
    assert metadata["error_code"].value == "VALIDATION_ERROR"
    assert (metadata["table"].value, metadata["column"].value, metadata["row"].value) == (probe.fullname, column, "0")
    assert metadata["sqlstate"].value == sqlstate


def test_bad_data_in_the_write_path_fails_the_run_once_without_retry(platform: Any, probe: sa.Table) -> None:
    """A retried asset (TRANSIENT_RETRY) whose write Postgres refuses: one attempt, a typed failure."""
    record = _record(f"mat-{uuid.uuid4().hex[:6]}")

    @dg.asset(key=KEY, retry_policy=TRANSIENT_RETRY, check_specs=[dg.AssetCheckSpec("pandera_schema", asset=KEY)])
    def probe_asset() -> dg.MaterializeResult:
        frame = pd.DataFrame([{**PROBE_ROW, "small": 1000.0}])
        return write(WarehouseResource(), record, KEY, [TableFrame(probe, PROBE_SCHEMA, frame)])

    result = dg.materialize([probe_asset], instance=platform.instance, raise_on_error=False)
    assert not result.success
    kinds = [e.dagster_event.event_type for e in platform.instance.all_logs(result.run_id) if e.dagster_event]
    assert kinds.count(dg.DagsterEventType.STEP_START) == 1
    assert dg.DagsterEventType.STEP_UP_FOR_RETRY not in kinds
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert failure.step_failure_data.user_failure_data.metadata["error_code"].value == "VALIDATION_ERROR"


def test_materialization_metadata_never_carries_nan(platform: Any, probe: sa.Table) -> None:
    frame = pd.DataFrame([PROBE_ROW])
    metadata = {
        "mean": math.nan,
        "peak": dg.MetadataValue.float(math.inf),
        "stats": dg.MetadataValue.json({"x": [math.inf, 2.0]}),
    }
    result = write(
        WarehouseResource(),
        _record(f"mat-{uuid.uuid4().hex[:6]}"),
        KEY,
        [TableFrame(probe, PROBE_SCHEMA, frame)],
        metadata,
    )
    assert isinstance(result.metadata["mean"], dg.NullMetadataValue)
    assert isinstance(result.metadata["peak"], dg.NullMetadataValue)
    assert result.metadata["stats"].data == {"x": [None, 2.0]}


def test_copy_text_writes_missing_as_null_and_refuses_what_is_not_finite() -> None:
    frame = pd.DataFrame(
        {
            "amount": [1.5, math.nan],
            "doc": [{"a": None, "b": "null"}, None],
            "obj": pd.Series([decimal.Decimal("2.50"), None], dtype=object),
        }
    )
    assert "".join(encode_rows(frame, ["amount", "doc", "obj"], {"doc"})) == (
        '1.5\t{"a":null,"b":"null"}\t2.50\n\\N\t\\N\t\\N\n'
    )
    cases = {
        "float column": (pd.DataFrame({"c": [1.0, 2.0, math.inf]}), set(), 2, "inf is not a finite number"),
        "object column": (pd.DataFrame({"c": pd.Series([1, -math.inf], dtype=object)}), set(), 1, "-inf"),
        "Decimal NaN": (pd.DataFrame({"c": [decimal.Decimal("NaN")]}), set(), 0, "Decimal NaN"),
        "nested NaN": (pd.DataFrame({"c": [{"a": [None, math.nan]}]}), {"c"}, 0, "nan is not a finite number"),
        "JSON text Infinity": (pd.DataFrame({"c": ["[1, Infinity]"]}), {"c"}, 0, "Infinity"),
        "JSON text 1e999": (pd.DataFrame({"c": [None, '{"x": 1e999}']}), {"c"}, 1, "inf is not a finite number"),
        "integer beyond 64 bits": (pd.DataFrame({"c": [{"x": -(10**25)}]}), {"c"}, 0, "26 digits"),
    }
    for name, (bad, json_columns, row, reason) in cases.items():
        with pytest.raises(InputError) as error:
            "".join(encode_rows(bad, ["c"], json_columns))
        assert error.value.code == "VALIDATION_ERROR", name
        assert (error.value.details["column"], error.value.details["row"]) == ("c", row), name
        assert reason in error.value.message, name


def test_a_failure_that_cannot_be_recorded_still_fails_typed_without_retry() -> None:
    """Recording the failure (a `failed` row) is refused too: the step fails with the original typed error."""

    def record(error: InputError) -> dict[str, Any]:
        raise InputError("VALIDATION_ERROR", "the failed row holds NaN", "raw.table.column")

    with pytest.raises(dg.Failure) as failure, input_errors(on_error=record):
        raise InputError("MAPPING_INCOMPLETE", "no par column", "book.xlsx!Holdings")
    assert failure.value.allow_retries is False
    assert failure.value.metadata["error_code"].value == "MAPPING_INCOMPLETE"
    assert "NaN" in failure.value.metadata["failure_not_recorded"].value
