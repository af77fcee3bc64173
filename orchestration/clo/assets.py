"""The CLO workbooks domain's assets: one multi-asset parses a landed workbook once and writes every table.

One landed workbook = one partition of `clo_files`. All seven tables of the partition are written in one
transaction, so a reader sees the whole new version or the whole previous one, whatever kills the run. Bad
input writes a `failed` workbook row (error code and message) so the failure stays visible — unless the
partition processed before, whose good rows are kept and get `last_error_*` beside them.
"""

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Any

import dagster as dg
import pandas as pd
import pandera.pandas as pa
import sqlalchemy as sa

from orchestration.clo import pipeline, tables
from orchestration.clo.config import get_clo_settings
from orchestration.clo.quality import DIMENSIONS
from orchestration.clo.schemas import (
    ANOMALIES_SCHEMA,
    DIAGNOSTICS_SCHEMA,
    HOLDINGS_SCHEMA,
    INSIGHTS_SCHEMA,
    QUALITY_SCHEMA,
    SHEETS_SCHEMA,
    WORKBOOKS_SCHEMA,
)
from orchestration.core import announce, landing_log
from orchestration.core import warehouse as core_warehouse
from orchestration.core.checks import TRANSIENT_RETRY, pandera_check_spec, preview
from orchestration.core.errors import InputError
from orchestration.core.materialize import TableFrame, input_errors, landed, write_assets
from orchestration.core.partitions import FILE_PARTITIONS
from orchestration.core.resources import WarehouseResource

DOMAIN = "clo"
PARTITIONS = FILE_PARTITIONS[DOMAIN]

WORKBOOKS_KEY = dg.AssetKey([DOMAIN, "raw_workbooks"])
SHEETS_KEY = dg.AssetKey([DOMAIN, "workbook_sheets"])
HOLDINGS_KEY = dg.AssetKey([DOMAIN, "mapped_holdings"])
DIAGNOSTICS_KEY = dg.AssetKey([DOMAIN, "mapping_diagnostics"])
QUALITY_KEY = dg.AssetKey([DOMAIN, "workbook_data_quality"])
ANOMALIES_KEY = dg.AssetKey([DOMAIN, "workbook_anomalies"])
INSIGHTS_KEY = dg.AssetKey([DOMAIN, "workbook_insights"])


_SPECS: dict[dg.AssetKey, tuple[Any, pa.DataFrameSchema, str]] = {
    WORKBOOKS_KEY: (
        tables.workbooks,
        WORKBOOKS_SCHEMA,
        "The workbook (seed 000 Workbook): status pending/processing/processed/failed, size, sha256, sidecar "
        "metadata, every sheet's name/rows/columns/hidden, processing_stats (formula counts, timings) and "
        "data_quality_score. Failed workbooks keep their error code and message. Table raw.clo_workbooks.",
    ),
    SHEETS_KEY: (
        tables.sheet_rows,
        SHEETS_SCHEMA,
        "Every sheet's cell values (formulas resolved), one JSON row per non-empty row, for paging any sheet "
        "through the API. Table raw.clo_sheet_rows.",
    ),
    HOLDINGS_KEY: (
        tables.holdings,
        HOLDINGS_SCHEMA,
        "Canonical holdings (seed 000 Holding) mapped by profile or auto-detect and normalised (numbers, dates, "
        "rating tokens, ISO countries); invalid CUSIP/ISIN check digits flagged, never dropped; raw_data keeps "
        "the original row. Table analytics.clo_holdings.",
    ),
    DIAGNOSTICS_KEY: (
        tables.mapping_diagnostics,
        DIAGNOSTICS_SCHEMA,
        "Detected mappings with confidence and samples, unmapped columns and fields, validation failures per "
        "rule and schema drift against the tenant's previous workbook of the same profile. "
        "Table analytics.clo_mapping_diagnostics.",
    ),
    QUALITY_KEY: (
        tables.data_quality,
        QUALITY_SCHEMA,
        "Data quality: completeness, accuracy, consistency, timeliness, uniqueness and the overall 0-100 score "
        "(definitions in docs/clo.md). Table analytics.clo_data_quality.",
    ),
    ANOMALIES_KEY: (
        tables.anomalies,
        ANOMALIES_SCHEMA,
        "Z-score anomalies per numeric field (|z| > threshold, default 3.0) with the expected range. "
        "Table analytics.clo_anomalies.",
    ),
    INSIGHTS_KEY: (
        tables.insights,
        INSIGHTS_SCHEMA,
        "Insights (seed 000 Insight) of types anomaly, pattern, trend (across the tenant's report dates, e.g. "
        "CCC share) and correlation, with severity and recommendation. Table analytics.clo_insights.",
    ),
}


class CloWorkbookConfig(dg.Config):
    """Run-config overrides of the CALCBRIDGE_CLO_* settings."""

    max_workbook_bytes: int | None = None
    anomaly_threshold: float | None = None


def _record_failure(
    warehouse: WarehouseResource, record: landing_log.LandedRecord, error: InputError
) -> dict[str, str]:
    """Record bad input before the step fails; return the workbook status a reader now sees.

    A partition that processed before keeps its rows and gets `last_error_*`; any other gets a `failed` row.
    """
    scope = {"tenant_id": record.tenant_id, "partition_key": record.partition_key}
    with warehouse.engine.begin() as conn:
        core_warehouse.lock_partition(conn, [tables.workbooks], **scope)
        kept = conn.execute(
            tables.workbooks.update()
            .where(
                tables.workbooks.c.tenant_id == record.tenant_id,
                tables.workbooks.c.partition_key == record.partition_key,
                tables.workbooks.c.status == "processed",
            )
            .values(last_error_code=error.code, last_error_message=error.message, last_failed_at=sa.func.now())
        ).rowcount
    if kept:
        return {"workbook_status": "processed"}
    row = pipeline.workbook_row(
        record,
        status="failed",
        error_code=error.code,
        error_message=error.message,
        processing_stats={"error": {"code": error.code, "where": error.where, "details": dict(error.details)}},
        processed_at=dt.datetime.now(dt.UTC),
    )
    warehouse.replace_partition(tables.workbooks, row, **scope)
    return {"workbook_status": "failed"}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key,
            deps=[dg.AssetKey([DOMAIN, "landed_files"])] if key == WORKBOOKS_KEY else [WORKBOOKS_KEY],
            description=description,
            kinds={"python", "postgres"},
            metadata={"table": f"{table.schema}.{table.name}"},
            skippable=False,
        )
        for key, (table, _, description) in _SPECS.items()
    ],
    group_name=DOMAIN,
    partitions_def=PARTITIONS,
    check_specs=[pandera_check_spec(key, schema) for key, (_, schema, _) in _SPECS.items()],
    retry_policy=TRANSIENT_RETRY,
    description="Parse one landed CLO workbook once and write every CLO table of its partition.",
)
def clo_workbook(context: dg.AssetExecutionContext, config: CloWorkbookConfig, warehouse: WarehouseResource):  # noqa: ANN201 - generator
    """Read, map, score and analyse one workbook; bad input fails only this partition, visibly and without retry."""
    settings = get_clo_settings()
    record = landed(warehouse, DOMAIN, context.partition_key)
    on_error = functools.partial(_record_failure, warehouse, record)
    with input_errors(on_error=on_error):
        outputs = pipeline.process(
            warehouse.engine,
            record,
            landing_log.read_archived(record),
            max_bytes=config.max_workbook_bytes or settings.max_workbook_bytes,
            anomaly_threshold=config.anomaly_threshold or settings.anomaly_threshold,
            trend_history=settings.trend_history,
        )
    frames = {
        WORKBOOKS_KEY: outputs.workbook,
        SHEETS_KEY: outputs.sheet_rows,
        HOLDINGS_KEY: outputs.holdings,
        DIAGNOSTICS_KEY: outputs.diagnostics,
        QUALITY_KEY: outputs.data_quality,
        ANOMALIES_KEY: outputs.anomalies,
        INSIGHTS_KEY: outputs.insights,
    }
    yield from write_assets(
        warehouse,
        record,
        {key: TableFrame(table, schema, frames[key]) for key, (table, schema, _) in _SPECS.items()},
        metadata=_metadata,
        on_error=on_error,
        events=announce.workbook_events(outputs.workbook.iloc[0], len(outputs.holdings)),
    )


def _metadata(frames: Mapping[dg.AssetKey, pd.DataFrame]) -> dict[dg.AssetKey, dict[str, Any]]:
    """What the Dagster UI shows per table: the workbook's stats and score, previews, mappings, insight types."""
    workbook = frames[WORKBOOKS_KEY].iloc[0]
    stats = workbook["processing_stats"]
    holdings, diagnostics, insights = frames[HOLDINGS_KEY], frames[DIAGNOSTICS_KEY].iloc[0], frames[INSIGHTS_KEY]
    per_key: dict[dg.AssetKey, dict[str, Any]] = {
        WORKBOOKS_KEY: {
            "status": "processed",
            "processing_stats": dg.MetadataValue.json(stats),
            "sheets": dg.MetadataValue.json(workbook["sheets"]),
            "data_quality_score": float(workbook["data_quality_score"]),
        },
        SHEETS_KEY: {"sheets": len(workbook["sheets"])},
        HOLDINGS_KEY: {
            "preview": preview(holdings.drop(columns=["raw_data", "source_cells", "workbook_id", "holding_id"])),
            "total_par": float(holdings["par_amount"].sum()),
            **{k: stats[k] for k in ("formula_cells", "formulas_evaluated", "formulas_failed")},
        },
        DIAGNOSTICS_KEY: {
            "mode": str(diagnostics["mode"]),
            "detected_mappings": dg.MetadataValue.json(diagnostics["detected_mappings"]),
            "schema_drift": dg.MetadataValue.json(diagnostics["schema_drift"]),
        },
        QUALITY_KEY: {d: float(frames[QUALITY_KEY][d].iloc[0]) for d in DIMENSIONS},
        ANOMALIES_KEY: {"preview": preview(frames[ANOMALIES_KEY].drop(columns=["workbook_id", "anomaly_id"]))},
        INSIGHTS_KEY: {
            "by_type": dg.MetadataValue.json(insights["type"].value_counts().to_dict()),
            "preview": preview(insights[["type", "severity", "title"]]),
        },
    }
    workbook_id = str(workbook["workbook_id"])
    return {key: {"workbook_id": workbook_id, **values} for key, values in per_key.items()}


clo_file_assets: list[dg.AssetsDefinition] = [clo_workbook]
"""Run by `clo_files_job` for every landed workbook."""
