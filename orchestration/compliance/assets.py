"""Compliance assets: every test per CLO workbook partition, and what-if scenario results per scenario file.

`clo/compliance_results` (+ metrics and per-holding fields, one multi-asset: three tables, three dbt
sources) runs in `clo_files_job` after `clo/mapped_holdings`; `scenarios/scenario_results` (+ its trades)
runs in `scenarios_files_job` for each landed scenario file. Calculations live in `engine.py`/`scenarios.py`.
"""

import datetime as dt
import json
from typing import Any

import dagster as dg
import pandas as pd
import yaml

from orchestration.clo.assets import HOLDINGS_KEY, SHEETS_KEY, WORKBOOKS_KEY
from orchestration.compliance import pipeline, tables
from orchestration.compliance.schemas import (
    HOLDING_FIELDS_SCHEMA,
    METRICS_SCHEMA,
    RESULTS_SCHEMA,
    SCENARIOS_SCHEMA,
    TRADES_SCHEMA,
)
from orchestration.core import landing_log
from orchestration.core.checks import TRANSIENT_RETRY, as_failure, pandera_check_spec, passed_check, preview, validate
from orchestration.core.errors import InputError
from orchestration.core.partitions import FILE_PARTITIONS
from orchestration.core.resources import WarehouseResource

CLO_PARTITIONS = FILE_PARTITIONS["clo"]
SCENARIO_PARTITIONS = FILE_PARTITIONS["scenarios"]

RESULTS_KEY = dg.AssetKey(["clo", "compliance_results"])
METRICS_KEY = dg.AssetKey(["clo", "compliance_metrics"])
HOLDING_FIELDS_KEY = dg.AssetKey(["clo", "holding_compliance"])
SCENARIO_RESULTS_KEY = dg.AssetKey(["scenarios", "scenario_results"])
SCENARIO_TRADES_KEY = dg.AssetKey(["scenarios", "scenario_trades"])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            RESULTS_KEY,
            deps=[HOLDINGS_KEY, SHEETS_KEY, WORKBOOKS_KEY],
            description=(
                "Every compliance test of one CLO workbook (OC, IC, WARF, WAS, WAL, diversity, CCC, concentrations, "
                "per-class OC, custom) with status, cushion and trend over the deal's report dates. "
                "Table analytics.clo_compliance_results."
            ),
            kinds={"python", "postgres"},
            metadata={"table": "analytics.clo_compliance_results"},
            skippable=False,
        ),
        dg.AssetSpec(
            METRICS_KEY,
            deps=[HOLDINGS_KEY, SHEETS_KEY, WORKBOOKS_KEY],
            description="All compliance intermediates of the workbook. Table analytics.clo_compliance_metrics.",
            kinds={"python", "postgres"},
            metadata={"table": "analytics.clo_compliance_metrics"},
            skippable=False,
        ),
        dg.AssetSpec(
            HOLDING_FIELDS_KEY,
            deps=[HOLDINGS_KEY],
            description=(
                "Per holding: effective Moody's rating and source, rating factor, CCC bucket flag, years to "
                "maturity. Table analytics.clo_holding_compliance."
            ),
            kinds={"python", "postgres"},
            metadata={"table": "analytics.clo_holding_compliance"},
            skippable=False,
        ),
    ],
    group_name="compliance",
    partitions_def=CLO_PARTITIONS,
    check_specs=[
        pandera_check_spec(RESULTS_KEY, RESULTS_SCHEMA),
        pandera_check_spec(METRICS_KEY, METRICS_SCHEMA),
        pandera_check_spec(HOLDING_FIELDS_KEY, HOLDING_FIELDS_SCHEMA),
    ],
    retry_policy=TRANSIENT_RETRY,
    description="Run every compliance test of one workbook and write results, intermediates and holding fields.",
)
def compliance_results(context: dg.AssetExecutionContext, warehouse: WarehouseResource):  # noqa: ANN201 - generator
    """Deal inputs (sidecar > sheet > profile > default), the engine, history and trend for one workbook."""
    executed_at = dt.datetime.now(dt.UTC)
    try:
        record = landing_log.require(warehouse.engine, "clo", context.partition_key)
        where = f"clo/{record.partition_key} ({record.file_name})"
        out = pipeline.run_workbook(warehouse.engine, record.tenant_id, context.partition_key, executed_at)
        frames = {
            RESULTS_KEY: (
                validate(out.results.astype({"current_value": float}), RESULTS_SCHEMA, where),
                tables.compliance_results,
                RESULTS_SCHEMA,
            ),
            METRICS_KEY: (validate(out.metrics, METRICS_SCHEMA, where), tables.compliance_metrics, METRICS_SCHEMA),
            HOLDING_FIELDS_KEY: (
                validate(out.holdings, HOLDING_FIELDS_SCHEMA, where),
                tables.holding_compliance,
                HOLDING_FIELDS_SCHEMA,
            ),
        }
    except InputError as error:
        raise as_failure(error) from error
    summary = out.run.summary()
    png = pipeline.trend_png(out.history, out)
    extra: dict[dg.AssetKey, dict[str, Any]] = {
        RESULTS_KEY: {
            "deal_id": out.deal_id,
            "report_date": out.deal.as_of_date.isoformat(),
            "summary": dg.MetadataValue.json(summary),
            "preview": preview(
                out.results[
                    ["test_id", "status", "current_value", "trigger_level", "target_level", "cushion", "trend"]
                ],
                rows=20,
            ),
            "trend_plot": dg.MetadataValue.md(f"![compliance trend](data:image/png;base64,{png})"),
        },
        METRICS_KEY: {
            "warf": out.run.metrics["warf"] or 0.0,
            "ccc_pct": out.run.metrics["ccc_pct"] or 0.0,
            "adjusted_collateral_principal_amount": out.run.metrics["adjusted_collateral_principal_amount"],
            "deal_sources": dg.MetadataValue.json(dict(out.deal.sources)),
        },
        HOLDING_FIELDS_KEY: {
            "ccc_holdings": int(out.holdings["in_ccc_bucket"].sum()),
            "rating_sources": dg.MetadataValue.json(out.holdings["rating_source"].value_counts().to_dict()),
        },
    }
    written = warehouse.replace_partitions(
        {table: frame for frame, table, _ in frames.values()},
        tenant_id=record.tenant_id,
        partition_key=context.partition_key,
    )
    for key, (_, table, schema) in frames.items():
        rows = written[table]
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "dagster/row_count": rows,
                "tenant": record.tenant_id,
                "workbook_id": out.workbook.workbook_id,
                **extra[key],
            },
            check_results=[passed_check(key, schema, rows)],
        )


def _parse_scenario_file(data: bytes, file_name: str) -> Any:
    """YAML or JSON scenario document; dates become ISO strings so the document is JSON-able."""
    try:
        text = data.decode("utf-8")
        document = json.loads(text) if file_name.lower().endswith(".json") else yaml.safe_load(text)
    except (UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        raise InputError("SCENARIO_INVALID_FORMAT", f"not valid YAML/JSON: {exc}", file_name) from exc
    return json.loads(json.dumps(document, default=str))


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            SCENARIO_RESULTS_KEY,
            deps=[dg.AssetKey(["scenarios", "landed_files"])],
            description=(
                "One what-if scenario version per landed scenario file: changes applied to the named workbook, "
                "every metric and test recomputed and compared with the base (seed 000 comparison). "
                "Table analytics.clo_scenarios."
            ),
            kinds={"python", "postgres"},
            metadata={"table": "analytics.clo_scenarios"},
            skippable=False,
        ),
        dg.AssetSpec(
            SCENARIO_TRADES_KEY,
            deps=[dg.AssetKey(["scenarios", "landed_files"])],
            description="The trades (changes) of each scenario version. Table analytics.clo_scenario_changes.",
            kinds={"python", "postgres"},
            metadata={"table": "analytics.clo_scenario_changes"},
            skippable=False,
        ),
    ],
    group_name="compliance",
    partitions_def=SCENARIO_PARTITIONS,
    check_specs=[
        pandera_check_spec(SCENARIO_RESULTS_KEY, SCENARIOS_SCHEMA),
        pandera_check_spec(SCENARIO_TRADES_KEY, TRADES_SCHEMA),
    ],
    retry_policy=TRANSIENT_RETRY,
    description="Calculate one landed what-if scenario file (a new version of its scenario).",
)
def scenario_results(context: dg.AssetExecutionContext, warehouse: WarehouseResource):  # noqa: ANN201 - generator
    """Validate with field paths; an invalid scenario is stored as `failed` with its errors, then the step fails."""
    try:
        record = landing_log.require(warehouse.engine, "scenarios", context.partition_key)
        document = _parse_scenario_file(landing_log.read_archived(record), record.file_name)
    except InputError as error:
        raise as_failure(error) from error
    if pipeline.workbook_pending(warehouse.engine, record.tenant_id, document):
        # The named workbook landed with (or just before) the scenario and is not processed yet.
        raise dg.RetryRequested(max_retries=6, seconds_to_wait=30)
    outcome = pipeline.run_scenario(
        warehouse.engine, record.tenant_id, context.partition_key, record.file_name, document, record.landed_at
    )
    scenario = outcome.scenario.astype({"version": "int64"})
    if outcome.error is not None:
        warehouse.replace_partitions(
            {tables.scenarios: scenario, tables.scenario_changes: outcome.changes},
            tenant_id=record.tenant_id,
            partition_key=context.partition_key,
        )
        raise as_failure(outcome.error, {"scenario_status": "failed"})
    where = f"scenarios/{record.partition_key} ({record.file_name})"
    try:
        scenario = validate(scenario, SCENARIOS_SCHEMA, where)
        changes = validate(outcome.changes.astype({"order_index": "int64", "version": "int64"}), TRADES_SCHEMA, where)
    except InputError as error:
        raise as_failure(error) from error
    written = warehouse.replace_partitions(
        {tables.scenarios: scenario, tables.scenario_changes: changes},
        tenant_id=record.tenant_id,
        partition_key=context.partition_key,
    )
    rows, trade_rows = written[tables.scenarios], written[tables.scenario_changes]
    comparison = scenario["comparison"].iloc[0]["comparison"]
    yield dg.MaterializeResult(
        asset_key=SCENARIO_RESULTS_KEY,
        metadata={
            "dagster/row_count": rows,
            "tenant": record.tenant_id,
            "scenario_id": str(scenario["scenario_id"].iloc[0]),
            "version": int(scenario["version"].iloc[0]),
            "workbook_id": str(scenario["workbook_id"].iloc[0]),
            "compliance": dg.MetadataValue.json(comparison["compliance"]),
            "metrics": dg.MetadataValue.md(pd.DataFrame(comparison["metrics"]).astype(str).to_markdown(index=False)),
        },
        check_results=[passed_check(SCENARIO_RESULTS_KEY, SCENARIOS_SCHEMA, rows)],
    )
    yield dg.MaterializeResult(
        asset_key=SCENARIO_TRADES_KEY,
        metadata={"dagster/row_count": trade_rows, "preview": preview(changes.drop(columns=["change_data"]))},
        check_results=[passed_check(SCENARIO_TRADES_KEY, TRADES_SCHEMA, trade_rows)],
    )


compliance_file_assets: list[dg.AssetsDefinition] = [compliance_results]
"""On the clo_files partitions: runs in clo_files_job after the workbook multi-asset."""
scenario_file_assets: list[dg.AssetsDefinition] = [scenario_results]
"""On the scenarios_files partitions: runs in scenarios_files_job."""
