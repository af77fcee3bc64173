"""The one shape of a file-partition asset body: landed file → pure pipeline → pandera → one transaction → result.

An asset body reads its landing with `landed`, runs its pure pipeline inside `input_errors()` (a typed
`InputError` becomes a Dagster failure that is never retried) and hands its frames to `write`, which validates
each with its schema, replaces the partition in every table in one transaction and returns the
`MaterializeResult` with row counts, the landing's identity, the domain's own metadata and the pandera checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import dagster as dg
import pandas as pd
import pandera.pandas as pa
import sqlalchemy as sa

from orchestration.core import landing_log
from orchestration.core.checks import as_failure, passed_check, validate
from orchestration.core.errors import InputError
from orchestration.core.landing_log import LandedRecord
from orchestration.core.resources import WarehouseResource


@dataclass(frozen=True)
class TableFrame:
    """One table's new rows for the partition and the pandera schema they must satisfy.

    `schema` None: a companion table (events, a header row) checked by its dbt tests, not by pandera.
    `scope`: a further condition on which of the partition's rows are replaced, for a table that several
    domains write under the same partition key.
    """

    table: sa.Table
    schema: pa.DataFrameSchema | None
    frame: pd.DataFrame
    scope: sa.ColumnElement[bool] | None = None


OnError = Callable[[InputError], Mapping[str, Any]]
"""Records bad input where readers see it (e.g. a `failed` status row) and returns metadata for the failure."""


@contextmanager
def input_errors(extra: Mapping[str, Any] | None = None, on_error: OnError | None = None) -> Iterator[None]:
    """Turn a typed `InputError` raised in the block into a Dagster failure that is not retried.

    `on_error` runs first, so a domain can record the failure (its own transaction) before the step fails.
    """
    try:
        yield
    except InputError as error:
        recorded = on_error(error) if on_error is not None else {}
        raise as_failure(error, {**(extra or {}), **recorded}) from error


def landed(warehouse: WarehouseResource, domain: str, partition_key: str) -> LandedRecord:
    """The accepted landing behind the partition, or the typed LANDING_UNKNOWN_PARTITION failure."""
    with input_errors():
        return landing_log.require(warehouse.engine, domain, partition_key)


def _written(
    warehouse: WarehouseResource,
    record: LandedRecord,
    outputs: Sequence[TableFrame],
    on_error: OnError | None = None,
) -> tuple[list[TableFrame], dict[sa.Table, int]]:
    """Every frame validated (a typed failure names the first that is not), then all written in one transaction."""
    where = f"{record.domain}/{record.partition_key} ({record.file_name})"
    with input_errors(on_error=on_error):
        frames = [
            TableFrame(o.table, o.schema, o.frame if o.schema is None else validate(o.frame, o.schema, where), o.scope)
            for o in outputs
        ]
    written = warehouse.replace_partitions(
        [(o.table, o.frame) for o in frames],
        tenant_id=record.tenant_id,
        partition_key=record.partition_key,
        scopes={o.table: o.scope for o in frames if o.scope is not None},
    )
    return frames, written


def _passed(key: dg.AssetKey, output: TableFrame, rows: int) -> dg.AssetCheckResult:
    """The asset's pandera check: an asset's own table always has a schema (a companion table may not)."""
    if output.schema is None:
        raise TypeError(f"{key.to_user_string()}: the asset's table {output.table.name} needs a pandera schema")
    return passed_check(key, output.schema, rows)


def _identity(record: LandedRecord, rows: int) -> dict[str, Any]:
    return {
        "dagster/row_count": rows,
        "tenant": record.tenant_id,
        "file_name": record.file_name,
        "sha256": record.sha256,
    }


def write(
    warehouse: WarehouseResource,
    record: LandedRecord,
    key: dg.AssetKey,
    outputs: Sequence[TableFrame],
    metadata: Mapping[str, Any] | None = None,
    on_error: OnError | None = None,
) -> dg.MaterializeResult:
    """Validate every frame, write them all in one transaction and describe the materialization.

    The asset's pandera check passes when every frame validated; its row count is the first table's rows.
    """
    frames, written = _written(warehouse, record, outputs, on_error)
    rows = written[frames[0].table]
    return dg.MaterializeResult(
        metadata={**_identity(record, rows), **(metadata or {})},
        check_results=[_passed(key, frames[0], rows)],
    )


def write_assets(
    warehouse: WarehouseResource,
    record: LandedRecord,
    outputs: Mapping[dg.AssetKey, TableFrame],
    metadata: Callable[[Mapping[dg.AssetKey, pd.DataFrame]], Mapping[dg.AssetKey, Mapping[str, Any]]]
    | Mapping[dg.AssetKey, Mapping[str, Any]]
    | None = None,
    on_error: OnError | None = None,
) -> Iterator[dg.MaterializeResult]:
    """`write` for a multi-asset: one table per asset, all in one transaction, one result per asset.

    `metadata` may be a function of the validated frames, for metadata read from what was written.
    """
    frames, written = _written(warehouse, record, list(outputs.values()), on_error)
    if callable(metadata):
        metadata = metadata({key: output.frame for key, output in zip(outputs, frames, strict=True)})
    for key, output in zip(outputs, frames, strict=True):
        rows = written[output.table]
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={**_identity(record, rows), **(metadata or {}).get(key, {})},
            check_results=[_passed(key, output, rows)],
        )
