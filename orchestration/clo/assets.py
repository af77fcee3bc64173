"""The CLO workbooks domain's assets: one multi-asset parses a landed workbook once and writes every table.

One landed workbook = one partition of `clo_files`. All seven tables of the partition are written in one
transaction, so a reader sees the whole new version or the whole previous one, whatever kills the run. Bad
input writes a `failed` workbook row (error code and message) so the failure stays visible — unless the
partition processed before, whose good rows are kept and get `last_error_*` beside them.
"""

import datetime as dt
from typing import Any

import dagster as dg
import pandas as pd
import pandera.pandas as pa
import sqlalchemy as sa

from orchestration.clo import pipeline, tables
from orchestration.clo.config import get_clo_settings
from orchestration.clo.insights import ANOMALY_FIELDS
from orchestration.clo.mapping import HOLDING_COLUMNS
from orchestration.clo.schemas import (
    ANOMALIES_SCHEMA,
    DIAGNOSTICS_SCHEMA,
    HOLDINGS_SCHEMA,
    INSIGHTS_SCHEMA,
    QUALITY_DIMENSIONS,
    QUALITY_SCHEMA,
    SHEETS_SCHEMA,
    WORKBOOKS_SCHEMA,
)
from orchestration.core import landing_log
from orchestration.core import warehouse as core_warehouse
from orchestration.core.checks import TRANSIENT_RETRY, as_failure, pandera_check_spec, passed_check, preview, validate
from orchestration.core.errors import InputError
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


def _float_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    for column in columns:
        if column in frame:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame


def _record_failure(warehouse: WarehouseResource, record: landing_log.LandedRecord, error: InputError) -> str:
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
        return "processed"
    row = pipeline.workbook_row(
        record,
        status="failed",
        error_code=error.code,
        error_message=error.message,
        processing_stats={"error": {"code": error.code, "where": error.where, "details": dict(error.details)}},
        processed_at=dt.datetime.now(dt.UTC),
    )
    warehouse.replace_partition(tables.workbooks, row, **scope)
    return "failed"


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
    try:
        record = landing_log.require(warehouse.engine, DOMAIN, context.partition_key)
    except InputError as error:
        raise as_failure(error) from error
    where = f"{DOMAIN}/{record.partition_key} ({record.file_name})"
    try:
        data = landing_log.read_archived(record)
        outputs = pipeline.process(
            warehouse.engine,
            record,
            data,
            max_bytes=config.max_workbook_bytes or settings.max_workbook_bytes,
            anomaly_threshold=config.anomaly_threshold or settings.anomaly_threshold,
            trend_history=settings.trend_history,
        )
        holdings = _float_columns(outputs.holdings, [*ANOMALY_FIELDS, "accrued_interest"])
        frames: dict[dg.AssetKey, pd.DataFrame] = {
            SHEETS_KEY: validate(outputs.sheet_rows, SHEETS_SCHEMA, where),
            HOLDINGS_KEY: validate(holdings[list(HOLDING_COLUMNS)], HOLDINGS_SCHEMA, where),
            DIAGNOSTICS_KEY: validate(outputs.diagnostics.astype({"header_row": "int64"}), DIAGNOSTICS_SCHEMA, where),
            QUALITY_KEY: validate(
                _float_columns(outputs.data_quality, list(QUALITY_DIMENSIONS)).astype({"issues": "int64"}),
                QUALITY_SCHEMA,
                where,
            ),
            ANOMALIES_KEY: validate(
                _float_columns(outputs.anomalies, ["value", "z_score", "expected_low", "expected_high"]),
                ANOMALIES_SCHEMA,
                where,
            ),
            INSIGHTS_KEY: validate(outputs.insights, INSIGHTS_SCHEMA, where),
        }
        workbook = validate(
            _float_columns(outputs.workbook, ["data_quality_score"]).astype({"file_size": "int64"}),
            WORKBOOKS_SCHEMA,
            where,
        )
    except InputError as error:
        status = _record_failure(warehouse, record, error)
        raise as_failure(error, {"workbook_status": status}) from error

    frames[WORKBOOKS_KEY] = workbook
    written = warehouse.replace_partitions(
        {_SPECS[key][0]: frame for key, frame in frames.items()},
        tenant_id=record.tenant_id,
        partition_key=record.partition_key,
    )
    counts = {key: written[_SPECS[key][0]] for key in _SPECS}
    stats = workbook["processing_stats"].iloc[0]
    common = {
        "tenant": record.tenant_id,
        "file_name": record.file_name,
        "workbook_id": str(workbook["workbook_id"].iloc[0]),
    }
    extra: dict[dg.AssetKey, dict[str, Any]] = {
        WORKBOOKS_KEY: {
            "status": "processed",
            "processing_stats": dg.MetadataValue.json(stats),
            "sheets": dg.MetadataValue.json(workbook["sheets"].iloc[0]),
            "data_quality_score": float(workbook["data_quality_score"].iloc[0]),
        },
        SHEETS_KEY: {"sheets": len(workbook["sheets"].iloc[0])},
        HOLDINGS_KEY: {
            "preview": preview(frames[HOLDINGS_KEY].drop(columns=["raw_data", "workbook_id", "holding_id"])),
            "total_par": float(frames[HOLDINGS_KEY]["par_amount"].sum()),
            "formula_cells": stats["formula_cells"],
            "formulas_evaluated": stats["formulas_evaluated"],
            "formulas_failed": stats["formulas_failed"],
        },
        DIAGNOSTICS_KEY: {
            "mode": str(frames[DIAGNOSTICS_KEY]["mode"].iloc[0]),
            "detected_mappings": dg.MetadataValue.json(frames[DIAGNOSTICS_KEY]["detected_mappings"].iloc[0]),
            "schema_drift": dg.MetadataValue.json(frames[DIAGNOSTICS_KEY]["schema_drift"].iloc[0]),
        },
        QUALITY_KEY: {d: float(frames[QUALITY_KEY][d].iloc[0]) for d in QUALITY_DIMENSIONS},
        ANOMALIES_KEY: {"preview": preview(frames[ANOMALIES_KEY].drop(columns=["workbook_id", "anomaly_id"]))},
        INSIGHTS_KEY: {
            "by_type": dg.MetadataValue.json(frames[INSIGHTS_KEY]["type"].value_counts().to_dict()),
            "preview": preview(frames[INSIGHTS_KEY][["type", "severity", "title"]]),
        },
    }
    for key in _SPECS:
        rows = counts[key]
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={"dagster/row_count": rows, **common, **extra[key]},
            check_results=[passed_check(key, _SPECS[key][1], rows)],
        )


clo_file_assets: list[dg.AssetsDefinition] = [clo_workbook]
"""Run by `clo_files_job` for every landed workbook."""
