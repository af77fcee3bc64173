"""Reconciliation and resolution assets.

- `<source>/reconciliation` for source in trustee, geneva, bloomberg: one asset per statement domain (an asset has
  one partitions definition, and each domain has its own `<domain>_files` partitions); all three write the same
  analytics tables, tagged with `source_type`. They depend on every partition of `clo/mapped_holdings` because
  a statement picks its workbook at run time.
- `resolutions/variance_resolutions`: applies a landed resolutions file (append-only history).
"""

import datetime as dt
from typing import Any

import dagster as dg
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from orchestration.clo import tables as clo_tables
from orchestration.core import announce
from orchestration.core.checks import TRANSIENT_RETRY, pandera_check_spec, preview
from orchestration.core.landing_log import LandedRecord
from orchestration.core.lineage import SourceFile
from orchestration.core.materialize import Provenance, TableFrame, input_errors, landed, write
from orchestration.core.partitions import FILE_PARTITIONS
from orchestration.core.resources import WarehouseResource
from orchestration.reconciliation import pipeline, tables
from orchestration.reconciliation.schemas import POSITIONS_SCHEMA, RESOLUTIONS_SCHEMA, VARIANCES_SCHEMA
from orchestration.reconciliation.statements import SOURCE_TYPES

GROUP = "reconciliation"
HOLDINGS_KEY = dg.AssetKey(["clo", "mapped_holdings"])
RESOLUTIONS_KEY = dg.AssetKey(["resolutions", "variance_resolutions"])


def _outputs(out: Any, record: LandedRecord, source_type: str) -> list[TableFrame]:
    """The run's four tables, each replacing only this statement domain's rows of the partition.

    The same bytes landed as trustee and as bloomberg share a partition key; the delete is narrowed to the
    reconciliations of `source_type` (and the rows of those reconciliations), the reconciliations table
    last so the others' scope still sees the rows being replaced.
    """
    r = tables.reconciliations.c
    mine = sa.select(r.reconciliation_id).where(
        r.tenant_id == record.tenant_id, r.partition_key == record.partition_key, r.source_type == source_type
    )
    return [
        TableFrame(tables.variances, VARIANCES_SCHEMA, out.variances, tables.variances.c.reconciliation_id.in_(mine)),
        TableFrame(tables.positions, POSITIONS_SCHEMA, out.positions, tables.positions.c.reconciliation_id.in_(mine)),
        TableFrame(tables.variance_events, None, out.events, tables.variance_events.c.reconciliation_id.in_(mine)),
        TableFrame(tables.reconciliations, None, out.reconciliation, r.source_type == source_type),
    ]


def build_reconciliation_asset(source_type: str) -> dg.AssetsDefinition:
    """The reconciliation asset of one statement domain (trustee, geneva or bloomberg)."""
    key = dg.AssetKey([source_type, "reconciliation"])

    @dg.asset(
        key=key,
        deps=[
            dg.AssetKey([source_type, "landed_files"]),
            dg.AssetDep(HOLDINGS_KEY, partition_mapping=dg.AllPartitionMapping()),
        ],
        group_name=GROUP,
        partitions_def=FILE_PARTITIONS[source_type],
        description=(
            f"Reconcile one landed {source_type} statement against the tenant's workbook it names (sidecar "
            "workbook_id, or name + report_date, else the same report date): matched and unmatched positions, "
            "variances by category with tolerance and auto-rules, summary, opening history events. Tables "
            "analytics.reconciliations, reconciliation_positions, reconciliation_variances, "
            "reconciliation_variance_events."
        ),
        check_specs=[pandera_check_spec(key, VARIANCES_SCHEMA)],
        retry_policy=TRANSIENT_RETRY,
        kinds={"python", "postgres"},
        metadata={"table": "analytics.reconciliation_variances"},
    )
    def _reconciliation(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        record = landed(warehouse, source_type, context.partition_key)
        with input_errors():
            out = pipeline.reconcile_statement(warehouse.engine, record, executed_at=dt.datetime.now(dt.UTC))
        columns = ["cusip", "category", "field", "internal_value", "external_value", "initial_status"]
        metadata = {
            "workbook_id": out.workbook_id,
            "reconciliation_id": str(out.reconciliation["reconciliation_id"].iloc[0]),
            "summary": dg.MetadataValue.json(out.summary),
            "preview": preview(out.variances[columns]),
        }
        events = announce.reconciliation_events(out.reconciliation.iloc[0], out.summary, out.variances, out.workbook_id)
        also_read = Provenance(sources=workbook_sources(warehouse.engine, record.tenant_id, out.workbook_id))
        outputs = _outputs(out, record, source_type)
        return write(warehouse, record, key, outputs, metadata, events=events, provenance_of=also_read)

    return _reconciliation


def workbook_sources(engine: Engine, tenant_id: str, workbook_id: str) -> list[SourceFile]:
    """The landed CLO workbook a statement was reconciled against: the second file behind its variances."""
    workbooks = clo_tables.workbooks
    query = sa.select(workbooks).where(workbooks.c.tenant_id == tenant_id, workbooks.c.workbook_id == workbook_id)
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        return []
    return [SourceFile(tenant_id, "clo", row["partition_key"], row["file_name"], row["sha256"], row["landed_at"])]


reconciliation_assets: dict[str, dg.AssetsDefinition] = {s: build_reconciliation_asset(s) for s in SOURCE_TYPES}
"""One reconciliation asset per statement domain."""


@dg.asset(
    key=RESOLUTIONS_KEY,
    deps=[
        dg.AssetKey(["resolutions", "landed_files"]),
        *(dg.AssetDep(a.key, partition_mapping=dg.AllPartitionMapping()) for a in reconciliation_assets.values()),
    ],
    group_name=GROUP,
    partitions_def=FILE_PARTITIONS["resolutions"],
    description=(
        "Apply one landed resolutions file (seed 000 resolve request as CSV/JSON rows): every row is kept with "
        "outcome applied/rejected and its reason; applied rows append to the variance history. Tables "
        "analytics.reconciliation_resolutions and reconciliation_variance_events."
    ),
    check_specs=[pandera_check_spec(RESOLUTIONS_KEY, RESOLUTIONS_SCHEMA)],
    retry_policy=TRANSIENT_RETRY,
    kinds={"python", "postgres"},
    metadata={"table": "analytics.reconciliation_resolutions"},
)
def variance_resolutions(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Validate each resolution against the tenant's variances; an unknown variance is rejected, the rest applied."""
    record = landed(warehouse, "resolutions", context.partition_key)
    with input_errors():
        rows, events = pipeline.apply_resolution_file(warehouse.engine, record)
    rows = rows.astype({"row_index": "int64"})
    rejected = rows[rows["outcome"] == "rejected"]
    metadata = {
        "applied": len(events),
        "rejected": len(rejected),
        "rejections": preview(rejected[["row_index", "variance_id", "rejection_reason"]], rows=20),
    }
    outputs = [
        TableFrame(tables.resolutions, RESOLUTIONS_SCHEMA, rows),
        TableFrame(tables.variance_events, None, events),
    ]
    return write(warehouse, record, RESOLUTIONS_KEY, outputs, metadata)


statement_file_assets: dict[str, list[dg.AssetsDefinition]] = {s: [a] for s, a in reconciliation_assets.items()}
"""Per statement domain (trustee, geneva, bloomberg): each runs in that domain's file job."""
resolutions_file_assets: list[dg.AssetsDefinition] = [variance_resolutions]
"""On the resolutions_files partitions: runs in resolutions_files_job."""
