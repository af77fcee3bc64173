"""The one asset-body helper: every frame validated, all tables written in one transaction, typed failures."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

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
