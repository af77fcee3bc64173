"""The one shape of a file-partition asset body: landed file → pure pipeline → pandera → one transaction → result.

An asset body reads its landing with `landed`, runs its pure pipeline inside `input_errors()` (a typed
`InputError` becomes a Dagster failure that is never retried) and hands its frames to `write`, which validates
each with its schema, replaces the partition in every table in one transaction and returns the
`MaterializeResult` with row counts, the landing's identity, the domain's own metadata and the pandera checks.
Data the write itself refuses is bad input too: a NaN or infinity the encoder will not write, or a value the
database rejects (SQLSTATE class 22, e.g. `numeric field overflow`), is a typed VALIDATION_ERROR naming the
table and column, never a retry; only faults such as a lost connection stay transient. Metadata is JSON-safe.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import dagster as dg
import pandas as pd
import pandera.pandas as pa
import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orchestration.core import landing_log, provenance
from orchestration.core.checks import as_failure, finite_metadata, passed_check, validate
from orchestration.core.copy_text import column_texts
from orchestration.core.errors import InputError
from orchestration.core.events import Event
from orchestration.core.landing_log import LandedRecord
from orchestration.core.lineage import Lineage, SourceFile
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

    `on_error` runs first, so a domain can record the failure (its own transaction) before the step fails; if
    recording it is refused as bad input too, the step still fails with the original typed error.
    """
    try:
        yield
    except InputError as error:
        try:
            recorded = on_error(error) if on_error is not None else {}
        except InputError as unrecorded:
            recorded = {"failure_not_recorded": str(unrecorded)}
        raise as_failure(error, {**(extra or {}), **recorded}) from error


def landed(warehouse: WarehouseResource, domain: str, partition_key: str) -> LandedRecord:
    """The accepted landing behind the partition, or the typed LANDING_UNKNOWN_PARTITION failure."""
    with input_errors():
        return landing_log.require(warehouse.engine, domain, partition_key)


@dataclass(frozen=True)
class Provenance:
    """What a write records beside its rows: the further files it read and the conventions in force.

    The partition's own landed file is always a source; these are the others (`core/lineage.py`).
    """

    sources: Sequence[SourceFile] = ()
    conventions: Mapping[str, Any] | None = None


def lineage_of(
    record: LandedRecord, extra: Provenance | None = None, asset_keys: Mapping[str, dg.AssetKey] | None = None
) -> Lineage | None:
    """The running step's lineage for a write of `record`'s partition (None outside a run)."""
    extra = extra or Provenance()
    unique = {(s.domain, s.partition_key): s for s in (provenance.source_file(record), *extra.sources)}
    sources = list(unique.values())
    return provenance.current(sources=sources, conventions=extra.conventions, asset_keys=asset_keys)


def _written(
    warehouse: WarehouseResource,
    record: LandedRecord,
    outputs: Sequence[TableFrame],
    on_error: OnError | None = None,
    events: Sequence[Event] = (),
    lineage: Lineage | None = None,
) -> tuple[list[TableFrame], dict[sa.Table, int]]:
    """Every frame validated (a typed failure names the first that is not), then all written in one transaction.

    `events` go into the outbox and `lineage` into ops.lineage in that transaction (core/events.py, lineage.py).
    """
    where = f"{record.domain}/{record.partition_key} ({record.file_name})"
    with input_errors(on_error=on_error):
        frames = [
            TableFrame(o.table, o.schema, o.frame if o.schema is None else validate(o.frame, o.schema, where), o.scope)
            for o in outputs
        ]
        with refused_values(frames, where):
            written = warehouse.replace_partitions(
                [(o.table, o.frame) for o in frames],
                tenant_id=record.tenant_id,
                partition_key=record.partition_key,
                scopes={o.table: o.scope for o in frames if o.scope is not None},
                events=events,
                lineage=lineage,
            )
    return frames, written


@contextmanager
def refused_values(frames: Sequence[TableFrame], where: str) -> Iterator[None]:
    """Around a warehouse write of `frames`: a value the encoder or Postgres refuses is a typed VALIDATION_ERROR.

    The encoder's InputError gets the table that holds the value; a Postgres data exception (SQLSTATE class 22:
    out of range, numeric overflow, bad text) becomes one naming table, column and row. Use it inside
    `input_errors()` where an asset writes with `replace_partitions` itself; connection errors pass through.
    """
    try:
        yield
    except InputError as error:
        raise _in_table(error, frames, where) from error
    except (psycopg.DataError, sa.exc.DataError) as error:
        raise _refused_by_database(error, frames, where) from error


def _in_table(error: InputError, frames: Sequence[TableFrame], where: str) -> InputError:
    """The encoder's error (column and row) with the table whose frame holds the value it refused."""
    column, row = error.details.get("column"), error.details.get("row")
    table = next((f.table.fullname for f in frames if _refuses(f, column, row)), "?")
    return InputError(
        error.code, f"{table}: {error.message}", f"{where}: {table}.{column}", {**error.details, "table": table}
    )


def _refuses(output: TableFrame, column: Any, row: Any) -> bool:
    """Whether the encoder refuses this frame's cell (the one it named, by column and index label)."""
    if column not in output.frame.columns or row not in output.frame.index:
        return False
    is_json = isinstance(output.table.c[column].type, JSONB) if column in output.table.c else False
    try:
        column_texts(output.frame.loc[[row], column], is_json)
    except InputError:
        return True
    return False


_COPY_CONTEXT = re.compile(r"COPY (?P<table>[\w.]+), line (?P<line>\d+)(?:, column (?P<column>\w+))?")


def _refused_by_database(error: Exception, frames: Sequence[TableFrame], where: str) -> InputError:
    """A value Postgres refused (class 22: out of range, overflow, bad text) as a typed error naming where it is."""
    diag = getattr(getattr(error, "orig", None) or error, "diag", None)
    found = _COPY_CONTEXT.search(getattr(diag, "context", None) or "")
    name = found["table"] if found else getattr(diag, "table_name", None)
    table = next((f.table.fullname for f in frames if name in (f.table.name, f.table.fullname)), name or "?")
    column = (found["column"] if found else None) or getattr(diag, "column_name", None) or "?"
    problem = "; ".join(filter(None, [getattr(diag, "message_primary", None), getattr(diag, "message_detail", None)]))
    details: dict[str, Any] = {"table": table, "column": column, "sqlstate": getattr(diag, "sqlstate", None)}
    if found:
        details["row"] = int(found["line"]) - 1  # COPY counts lines from 1; rows are 0-based in the frame
    return InputError(
        "VALIDATION_ERROR",
        f"{table}.{column}: the database refused a value ({problem or error})",
        f"{where}: {table}.{column}",
        details,
    )


def _passed(key: dg.AssetKey, output: TableFrame, rows: int) -> dg.AssetCheckResult:
    """The asset's pandera check: an asset's own table always has a schema (a companion table may not)."""
    if output.schema is None:
        raise TypeError(f"{key.to_user_string()}: the asset's table {output.table.name} needs a pandera schema")
    return passed_check(key, output.schema, rows)


def _identity(record: LandedRecord, rows: int, lineage: Lineage | None) -> dict[str, Any]:
    identity: dict[str, Any] = {
        "dagster/row_count": rows,
        "tenant": record.tenant_id,
        "file_name": record.file_name,
        "sha256": record.sha256,
    }
    if lineage is not None and len(lineage.sources) > 1:
        identity["source_files"] = [f"{s.domain}/{s.file_name} ({s.sha256[:12]})" for s in lineage.sources]
    return identity


def _data_version(lineage: Lineage | None) -> dg.DataVersion | None:
    return dg.DataVersion(lineage.data_version) if lineage is not None and lineage.data_version else None


def write(
    warehouse: WarehouseResource,
    record: LandedRecord,
    key: dg.AssetKey,
    outputs: Sequence[TableFrame],
    metadata: Mapping[str, Any] | None = None,
    on_error: OnError | None = None,
    events: Sequence[Event] = (),
    provenance_of: Provenance | None = None,
) -> dg.MaterializeResult:
    """Validate every frame, write them all in one transaction and describe the materialization.

    The asset's pandera check passes when every frame validated; its row count is the first table's rows.
    `events` are announced in the same transaction, with the partition's lineage (`provenance_of` adds the
    further files it read and the conventions in force); the data version is the lineage's.
    """
    lineage = lineage_of(record, provenance_of)
    frames, written = _written(warehouse, record, outputs, on_error, events, lineage)
    rows = written[frames[0].table]
    return dg.MaterializeResult(
        metadata=finite_metadata({**_identity(record, rows, lineage), **(metadata or {})}),
        check_results=[_passed(key, frames[0], rows)],
        data_version=_data_version(lineage),
    )


def write_assets(
    warehouse: WarehouseResource,
    record: LandedRecord,
    outputs: Mapping[dg.AssetKey, TableFrame],
    metadata: Callable[[Mapping[dg.AssetKey, pd.DataFrame]], Mapping[dg.AssetKey, Mapping[str, Any]]]
    | Mapping[dg.AssetKey, Mapping[str, Any]]
    | None = None,
    on_error: OnError | None = None,
    events: Sequence[Event] = (),
    provenance_of: Provenance | None = None,
) -> Iterator[dg.MaterializeResult]:
    """`write` for a multi-asset: one table per asset, all in one transaction, one result per asset.

    `metadata` may be a function of the validated frames, for metadata read from what was written; `events`
    are announced in the same transaction, with each table's lineage under its own asset.
    """
    keys = {output.table.fullname: key for key, output in outputs.items()}
    lineage = lineage_of(record, provenance_of, keys)
    frames, written = _written(warehouse, record, list(outputs.values()), on_error, events, lineage)
    if callable(metadata):
        metadata = metadata({key: output.frame for key, output in zip(outputs, frames, strict=True)})
    for key, output in zip(outputs, frames, strict=True):
        rows = written[output.table]
        yield dg.MaterializeResult(
            asset_key=key,
            metadata=finite_metadata({**_identity(record, rows, lineage), **(metadata or {}).get(key, {})}),
            check_results=[_passed(key, output, rows)],
            data_version=_data_version(lineage),
        )
