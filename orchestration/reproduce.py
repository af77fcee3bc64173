"""`calcbridge reproduce`: re-run a figure's partition from its archived bytes into scratch schemas and compare.

The partition's file job runs in-process with the warehouse resource pointed at scratch copies of `raw`,
`analytics` and `ops` (`WarehouseResource.schema_map`), holding the tenant's rows of every table except the
ones this partition wrote. Each table the partition wrote (its `ops.lineage` rows) is then compared row for
row with what is served, on every column but the run's own clock (`VOLATILE`): identical means bit-for-bit
equal at the stored precision. When it is not, the report names what changed: the code and configuration
files (the digests recorded with the figure against today's), the source files, or both.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from orchestration.core import versions
from orchestration.core.errors import InputError
from orchestration.core.lineage import SHARED_TENANT
from orchestration.core.provenance import CODE_METADATA
from orchestration.core.resources import WarehouseResource
from orchestration.core.schema import lineage
from orchestration.definitions import FILE_PARTITIONS, defs, file_assets
from orchestration.schema import metadata

PYTHON_SCHEMAS = ("raw", "analytics", "ops")
VOLATILE = frozenset(
    {"executed_at", "created_at", "processed_at", "computed_at", "generated_at", "updated_at", "predicted_at"}
)
"""Columns that hold the run's own clock; every other column must match for a figure to be identical."""
VOLATILE_BY_TABLE: dict[str, frozenset[str]] = {
    "clo_workbooks": frozenset({"processing_stats"}),
    "clo_workbook_reports": frozenset({"content", "size_bytes", "sha256"}),
}
"""Columns that hold the run's clock inside them: the workbook's timings, and a rendered PDF or xlsx file (its
document properties carry its creation time; its sections and the figures in them are compared)."""


@dataclass(frozen=True)
class Figure:
    """One served figure: the table row it is, and the partition that wrote it."""

    table: str
    tenant_id: str
    partition_key: str
    where: Mapping[str, Any]
    """Column → value that picks the figure's row within the partition."""


@dataclass
class TableComparison:
    """One table the partition wrote: rows served, rows reproduced, and how many (and which columns) differ."""

    table: str
    stored_rows: int
    reproduced_rows: int
    differing_rows: int
    differing_columns: list[str] = field(default_factory=list)
    """The columns whose values differ between rows with the same primary key (the first rows that do)."""


@dataclass
class Reproduction:
    """The outcome: identical or not, per table, and what changed since the figure was written."""

    figure: Figure
    domain: str
    identical: bool
    figure_identical: bool
    tables: list[TableComparison]
    code_changes: dict[str, str]
    source_changes: list[str]
    recorded_code_version: str | None
    current_code_version: str | None
    stored: dict[str, Any] = field(default_factory=dict)
    reproduced: dict[str, Any] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The human report `calcbridge reproduce` prints."""
        verdict = "identical" if self.identical else "DIFFERENT"
        out = [
            f"{self.figure.table} {dict(self.figure.where)} ({self.figure.tenant_id}/{self.figure.partition_key})",
            f"re-ran {self.domain}/{self.figure.partition_key} from its archived bytes: {verdict}",
            f"figure: {'identical' if self.figure_identical else 'DIFFERENT'}",
        ]
        for column in sorted(set(self.stored) | set(self.reproduced)):
            before, after = self.stored.get(column), self.reproduced.get(column)
            if before != after:
                out.append(f"  {column}: served {before!r}, reproduced {after!r}")
        for t in self.tables:
            state = "identical" if t.differing_rows == 0 else f"{t.differing_rows} row(s) differ"
            if t.differing_columns:
                state += f" in {', '.join(t.differing_columns)}"
            out.append(f"  {t.table}: {t.stored_rows} served, {t.reproduced_rows} reproduced, {state}")
        out.append(f"code version: recorded {self.recorded_code_version}, now {self.current_code_version}")
        out.extend(f"  {path}: {change}" for path, change in self.code_changes.items())
        out.extend(f"  source: {change}" for change in self.source_changes)
        if not self.identical and not self.code_changes and not self.source_changes:
            out.append("  no recorded input changed: the computation is not deterministic for these rows")
        return out


@dataclass(frozen=True)
class Kind:
    """A kind of served figure: its table and the columns its id names, `:`-joined when several."""

    table: str
    id_columns: tuple[str, ...]


KINDS: dict[str, Kind] = {
    "holding": Kind("analytics.clo_holdings", ("holding_id",)),
    "compliance_result": Kind("analytics.clo_compliance_results", ("workbook_id", "test_id")),
    "variance": Kind("analytics.reconciliation_variances", ("variance_id",)),
    "covenant_evaluation": Kind("analytics.covenants_evaluations", ("covenant_id", "period_start", "period_end")),
}
"""The kinds `calcbridge reproduce` takes: figures one landed file's partition writes; ids as the provenance route
takes them. Equity figures are per trading day (shared by every tenant), a P&L row sums several files and a
performance line is addressed by its mart's opaque id: `calcbridge backfill` / `rerun` re-run those."""


def find(engine: Engine, kind: str, figure_id: str, tenant_id: str | None = None) -> Figure:
    """The figure a (kind, id) names: its row's tenant and partition (the latest written, if several)."""
    if kind not in KINDS:
        raise InputError("UNKNOWN_KIND", f"kind {kind!r} is not one of {', '.join(KINDS)}", "calcbridge reproduce")
    spec = KINDS[kind]
    values = figure_id.split(":", len(spec.id_columns) - 1)
    if len(values) != len(spec.id_columns):
        raise InputError("INVALID_ID", f"a {kind} id is {':'.join(spec.id_columns)}", figure_id)
    table = _tables_by_name()[spec.table]
    where = dict(zip(spec.id_columns, values, strict=True))
    conditions = [sa.cast(table.c[c], sa.Text) == v for c, v in where.items()]
    if tenant_id is not None:
        conditions.append(table.c.tenant_id == tenant_id)
    written = sa.select(lineage.c.materialized_at).where(
        lineage.c.table_name == spec.table,
        lineage.c.tenant_id == table.c.tenant_id,
        lineage.c.partition_key == table.c.partition_key,
    )
    query = (
        sa.select(table.c.tenant_id, table.c.partition_key)
        .where(*conditions)
        .order_by(written.scalar_subquery().desc().nulls_last())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise InputError("NOT_FOUND", f"no {kind} {figure_id!r}", spec.table)
    return Figure(spec.table, row.tenant_id, row.partition_key, where)


def _tables_by_name() -> dict[str, sa.Table]:
    return {t.fullname: t for t in metadata.sorted_tables if t.schema in PYTHON_SCHEMAS}


def lineage_rows(engine: Engine, tenant_id: str, partition_key: str) -> list[dict[str, Any]]:
    """Every table the partition wrote, with its recorded lineage."""
    query = sa.select(lineage).where(lineage.c.tenant_id == tenant_id, lineage.c.partition_key == partition_key)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query.order_by(lineage.c.table_name)).mappings()]


def _domain_of(written: Sequence[Mapping[str, Any]], figure: Figure) -> str:
    for row in written:
        for source in row["sources"]:
            if source["partition_key"] == figure.partition_key and source["domain"] in FILE_PARTITIONS:
                return str(source["domain"])
    raise InputError(
        "REPRODUCE_UNSUPPORTED",
        "only a partition written from one landed file can be reproduced (this one names no such file)",
        f"{figure.table}/{figure.partition_key}",
    )


def _scratch_map(prefix: str) -> dict[str, str]:
    return {schema: f"{prefix}_{schema}" for schema in PYTHON_SCHEMAS}


def _in(table: sa.Table, schema: str) -> sa.Table:
    """The same table in another schema (its scratch copy)."""
    return table.to_metadata(sa.MetaData(), schema=schema)


@contextmanager
def scratch(engine: Engine, figure: Figure, written: set[str], keep: bool = False) -> Iterator[dict[str, str]]:
    """Scratch schemas holding the tenant's rows of every table, less the rows this partition wrote."""
    schema_map = _scratch_map(f"repro_{uuid.uuid4().hex[:10]}")
    tables = _tables_by_name()
    preparer = engine.dialect.identifier_preparer
    with engine.begin() as conn:
        for target in schema_map.values():
            conn.execute(sa.schema.CreateSchema(target))
        for name, table in tables.items():
            copy = _in(table, schema_map[str(table.schema)])
            like = f"{preparer.format_table(copy)} (LIKE {preparer.format_table(table)} INCLUDING ALL)"
            conn.execute(sa.text(f"CREATE TABLE {like}"))
            _copy_rows(conn, table, copy, figure, exclude_partition=name in written)
    try:
        yield schema_map
    finally:
        if not keep:
            with engine.begin() as conn:
                for target in schema_map.values():
                    conn.execute(sa.schema.DropSchema(target, cascade=True, if_exists=True))


def _copy_rows(conn: Connection, table: sa.Table, copy: sa.Table, figure: Figure, exclude_partition: bool) -> None:
    """The tenant's rows into the scratch copy (identity columns draw new values)."""
    if "tenant_id" not in table.c:
        return
    columns = [c.name for c in table.columns if c.identity is None]
    query = sa.select(*(table.c[c] for c in columns)).where(table.c.tenant_id == figure.tenant_id)
    if exclude_partition and "partition_key" in table.c:
        query = query.where(table.c.partition_key != figure.partition_key)
    conn.execute(copy.insert().from_select(columns, query))


def _run_partition(domain: str, partition_key: str, schema_map: dict[str, str]) -> None:
    """The partition's file job, in-process, writing to the scratch schemas (its own ephemeral instance)."""
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(FILE_PARTITIONS[domain].name or "", [partition_key])
    resources = {**(defs.resources or {}), "warehouse": WarehouseResource(schema_map=schema_map)}
    result = dg.materialize(
        file_assets(domain),
        partition_key=partition_key,
        instance=instance,
        resources=resources,
        raise_on_error=False,
        tags={"tenant": partition_key.split(".")[0], "domain": domain, "calcbridge/reproduce": "true"},
        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
    )
    if not result.success:
        failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
        message = failures[0].message if failures else "the run failed"
        raise InputError("REPRODUCE_FAILED", f"re-running the partition failed: {message}", f"{domain}/{partition_key}")


def _compared(table: sa.Table, figure: Figure) -> sa.Select[Any]:
    """The partition's rows on every column but the run's clock."""
    skip = VOLATILE | VOLATILE_BY_TABLE.get(table.name, frozenset())
    columns = [c for c in table.columns if c.name not in skip]
    return sa.select(*columns).where(
        table.c.tenant_id == figure.tenant_id, table.c.partition_key == figure.partition_key
    )


def _rows_differing(conn: Connection, table: sa.Table, scratch_schema: str, figure: Figure) -> TableComparison:
    stored, again = _compared(table, figure), _compared(_in(table, scratch_schema), figure)
    missing = sa.select(sa.func.count()).select_from(sa.except_all(stored, again).subquery())
    extra = sa.select(sa.func.count()).select_from(sa.except_all(again, stored).subquery())
    count = conn.execute(missing).scalar_one() + conn.execute(extra).scalar_one()
    n_stored = conn.execute(sa.select(sa.func.count()).select_from(stored.subquery())).scalar_one()
    n_again = conn.execute(sa.select(sa.func.count()).select_from(again.subquery())).scalar_one()
    columns = _differing_columns(conn, table, stored, again) if count else []
    return TableComparison(table.fullname, int(n_stored), int(n_again), int(count), columns)


def _differing_columns(conn: Connection, table: sa.Table, stored: sa.Select[Any], again: sa.Select[Any]) -> list[str]:
    """Which columns differ, row by row on the primary key (rows present on one side only are not counted)."""
    key = [c.name for c in table.primary_key.columns]
    before = {tuple(r[k] for k in key): r for r in conn.execute(stored).mappings()}
    after = {tuple(r[k] for k in key): r for r in conn.execute(again).mappings()}
    differing: set[str] = set()
    for k in before.keys() & after.keys():
        differing.update(c for c in before[k] if before[k][c] != after[k][c])
    return sorted(differing)


def _figure_row(conn: Connection, table: sa.Table, figure: Figure) -> dict[str, Any]:
    query = _compared(table, figure).where(*(sa.cast(table.c[k], sa.Text) == str(v) for k, v in figure.where.items()))
    row = conn.execute(query).mappings().first()
    return dict(row) if row is not None else {}


def _code_version(asset_key: str) -> tuple[str | None, dict[str, str]]:
    """Today's code version and file digests of the asset that wrote the figure."""
    key = dg.AssetKey.from_user_string(asset_key)
    try:
        spec = defs.resolve_assets_def(key).specs_by_key[key]
    except (KeyError, dg.DagsterInvalidDefinitionError):
        return None, {}
    covered = spec.metadata.get(CODE_METADATA)
    if not isinstance(covered, dict):
        return spec.code_version, {}
    configs = [str(c).removeprefix("assets_config/") for c in covered.get("configs", [])]
    digests = versions.inputs(str(covered["package"]), configs)
    return versions.version_of(digests), digests


def _source_changes(before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]]) -> list[str]:
    """Files read then and now that differ: another statement, a re-landed upstream file."""
    then = {(s["domain"], s["partition_key"]): s for row in before for s in row["sources"]}
    now = {(s["domain"], s["partition_key"]): s for row in after for s in row["sources"]}
    changes = [
        f"{d}/{s['file_name']} ({s['sha256'][:12]}) no longer read" for (d, _), s in then.items() if (d, _) not in now
    ]
    changes += [
        f"{d}/{s['file_name']} ({s['sha256'][:12]}) now read" for (d, _), s in now.items() if (d, _) not in then
    ]
    return sorted(changes)


def reproduce(engine: Engine, figure: Figure, keep: bool = False) -> Reproduction:
    """Re-run the figure's partition into scratch schemas and compare every table it wrote with what is served."""
    if figure.tenant_id == SHARED_TENANT:
        raise InputError(
            "REPRODUCE_UNSUPPORTED",
            "a partition shared by every tenant (a trading day) is re-run by backfill",
            figure.table,
        )
    written = lineage_rows(engine, figure.tenant_id, figure.partition_key)
    recorded = next((r for r in written if r["table_name"] == figure.table), None)
    if recorded is None:
        raise InputError("NOT_FOUND", "no lineage is recorded for this figure's partition", figure.table)
    domain = _domain_of(written, figure)
    tables = _tables_by_name()
    with scratch(engine, figure, {r["table_name"] for r in written}, keep) as schema_map:
        _run_partition(domain, figure.partition_key, schema_map)
        with engine.connect() as conn:
            compared = [
                _rows_differing(conn, tables[r["table_name"]], schema_map[str(tables[r["table_name"]].schema)], figure)
                for r in written
                if r["table_name"] in tables
            ]
            table = tables[figure.table]
            stored = _figure_row(conn, table, figure)
            again = _figure_row(conn, _in(table, schema_map[str(table.schema)]), figure)
            redone = _scratch_lineage(conn, schema_map, figure)
    current_version, digests = _code_version(recorded["asset_key"])
    return Reproduction(
        figure=figure,
        domain=domain,
        identical=all(t.differing_rows == 0 for t in compared) and stored == again,
        figure_identical=bool(stored) and stored == again,
        tables=compared,
        code_changes=versions.changed(recorded["inputs"], digests) if recorded["inputs"] else {},
        source_changes=_source_changes(written, redone),
        recorded_code_version=recorded["code_version"],
        current_code_version=current_version,
        stored=stored,
        reproduced=again,
    )


def _scratch_lineage(conn: Connection, schema_map: Mapping[str, str], figure: Figure) -> list[dict[str, Any]]:
    """The lineage the re-run recorded (in the scratch `ops`)."""
    copy = _in(lineage, schema_map["ops"])
    query = sa.select(copy).where(copy.c.tenant_id == figure.tenant_id, copy.c.partition_key == figure.partition_key)
    return [dict(r) for r in conn.execute(query).mappings()]


def as_json(outcome: Reproduction) -> dict[str, Any]:
    """The report as JSON (`calcbridge reproduce --json`)."""
    return {
        "kind_table": outcome.figure.table,
        "where": dict(outcome.figure.where),
        "tenant_id": outcome.figure.tenant_id,
        "partition_key": outcome.figure.partition_key,
        "domain": outcome.domain,
        "identical": outcome.identical,
        "figure_identical": outcome.figure_identical,
        "tables": [vars(t) for t in outcome.tables],
        "code_changes": outcome.code_changes,
        "source_changes": outcome.source_changes,
        "recorded_code_version": outcome.recorded_code_version,
        "current_code_version": outcome.current_code_version,
        "stored": outcome.stored,
        "reproduced": outcome.reproduced,
    }
