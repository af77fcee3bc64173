"""Compliance assets: every test per CLO workbook partition, and what-if scenario results per scenario file.

`clo/compliance_results` (+ metrics and per-holding fields, one multi-asset: three tables, three dbt
sources) runs in `clo_files_job` after `clo/mapped_holdings`; `scenarios/scenario_results` (+ its trades)
runs in `scenarios_files_job` for each landed scenario file. Calculations live in `engine.py`/`scenarios.py`.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from orchestration.clo.assets import HOLDINGS_KEY, SHEETS_KEY, WORKBOOKS_KEY
from orchestration.compliance import pipeline, scenario_runs, tables
from orchestration.compliance.schemas import (
    CONTRIBUTIONS_SCHEMA,
    HOLDING_FIELDS_SCHEMA,
    METRICS_SCHEMA,
    RESULTS_SCHEMA,
    SCENARIOS_SCHEMA,
    TRADES_SCHEMA,
)
from orchestration.compliance.status import LEVEL_TOLERANCE
from orchestration.core import announce, landing_log, ratings, safe_parse
from orchestration.core.checks import TRANSIENT_RETRY, as_failure, pandera_check_spec, preview
from orchestration.core.materialize import Provenance, TableFrame, input_errors, landed, write_assets
from orchestration.core.partitions import FILE_PARTITIONS
from orchestration.core.resources import WarehouseResource

CLO_PARTITIONS = FILE_PARTITIONS["clo"]
SCENARIO_PARTITIONS = FILE_PARTITIONS["scenarios"]

RESULTS_KEY = dg.AssetKey(["clo", "compliance_results"])
METRICS_KEY = dg.AssetKey(["clo", "compliance_metrics"])
HOLDING_FIELDS_KEY = dg.AssetKey(["clo", "holding_compliance"])
CONTRIBUTIONS_KEY = dg.AssetKey(["clo", "compliance_contributions"])
SCENARIO_RESULTS_KEY = dg.AssetKey(["scenarios", "scenario_results"])
SCENARIO_TRADES_KEY = dg.AssetKey(["scenarios", "scenario_trades"])
RATINGS_MODULE = Path(ratings.__file__)
RESULT_FLOATS = dict.fromkeys(("current_value", "profile_trigger_level", "profile_target_level"), float)
"""Nullable numeric result columns: float (NaN for None) whatever the run's values, as the schema expects."""


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
        dg.AssetSpec(
            CONTRIBUTIONS_KEY,
            deps=[HOLDINGS_KEY, SHEETS_KEY, WORKBOOKS_KEY],
            description=(
                "Explained compliance (issue 18): per test, the 20 holdings contributing most to its numerator, "
                "the rest summed on one row. Table analytics.clo_compliance_contributions."
            ),
            kinds={"python", "postgres"},
            metadata={"table": "analytics.clo_compliance_contributions"},
            skippable=False,
        ),
    ],
    group_name="compliance",
    partitions_def=CLO_PARTITIONS,
    check_specs=[
        pandera_check_spec(RESULTS_KEY, RESULTS_SCHEMA),
        pandera_check_spec(METRICS_KEY, METRICS_SCHEMA),
        pandera_check_spec(HOLDING_FIELDS_KEY, HOLDING_FIELDS_SCHEMA),
        pandera_check_spec(CONTRIBUTIONS_KEY, CONTRIBUTIONS_SCHEMA),
    ],
    retry_policy=TRANSIENT_RETRY,
    description="Run every compliance test of one workbook and write results, intermediates and holding fields.",
)
def compliance_results(context: dg.AssetExecutionContext, warehouse: WarehouseResource):  # noqa: ANN201 - generator
    """Deal inputs (sidecar > sheet > profile > default), the engine, history and trend for one workbook."""
    record = landed(warehouse, "clo", context.partition_key)
    with input_errors():
        out = pipeline.run_workbook(warehouse.engine, record.tenant_id, record.partition_key, dt.datetime.now(dt.UTC))
    yield from write_assets(
        warehouse,
        record,
        {
            RESULTS_KEY: TableFrame(tables.compliance_results, RESULTS_SCHEMA, out.results.astype(RESULT_FLOATS)),
            METRICS_KEY: TableFrame(tables.compliance_metrics, METRICS_SCHEMA, out.metrics),
            HOLDING_FIELDS_KEY: TableFrame(tables.holding_compliance, HOLDING_FIELDS_SCHEMA, out.holdings),
            CONTRIBUTIONS_KEY: TableFrame(tables.contributions, CONTRIBUTIONS_SCHEMA, out.contributions),
        },
        metadata=_results_metadata(out),
        events=announce.compliance_events(
            out.results,
            out.run.summary(),
            {test_id: past[-1][2] for test_id, past in out.history.items() if past},  # the previous report date's
            workbook_id=out.workbook.workbook_id,
            deal_id=out.deal_id,
            report_date=out.deal.as_of_date,
        ),
        provenance_of=Provenance(conventions=conventions(out.deal.sources)),
    )


def conventions(deal_sources: Mapping[str, str]) -> dict[str, Any]:
    """The conventions a compliance run is computed under, recorded in its lineage (issue 18)."""
    return {
        "reference": "docs/compliance.md: conventions C1-C24 (issues 4 and 21), clarifications L1-L9",
        "rating_tables": "orchestration/core/ratings.py@" + _digest(RATINGS_MODULE),
        "status_tolerance": LEVEL_TOLERANCE,
        "rounding": "current_value rounded once to 4 decimals, half up; status on the unrounded value",
        "deal_inputs_from": dict(deal_sources),
    }


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _results_metadata(out: pipeline.WorkbookCompliance) -> dict[dg.AssetKey, dict[str, Any]]:
    """The run's summary, a results preview and the trend plot; the headline metrics; rating sources."""
    png = pipeline.trend_png(out.history, out)
    columns = ["test_id", "status", "current_value", "trigger_level", "target_level", "cushion", "trend"]
    per_key: dict[dg.AssetKey, dict[str, Any]] = {
        RESULTS_KEY: {
            "deal_id": out.deal_id,
            "report_date": out.deal.as_of_date.isoformat(),
            "summary": dg.MetadataValue.json(out.run.summary()),
            "preview": preview(out.results[columns], rows=20),
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
    return {key: {"workbook_id": out.workbook.workbook_id, **values} for key, values in per_key.items()}


def _parse_scenario_file(data: bytes, file_name: str) -> Any:
    """YAML or JSON scenario document, size/depth/alias bounded; dates become ISO strings so it is JSON-able."""
    code = "SCENARIO_INVALID_FORMAT"
    if file_name.lower().endswith(".json"):
        document = safe_parse.load_json(data, code=code, where=file_name)
    else:
        document = safe_parse.load_yaml(data, code=code, where=file_name)
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
    record = landed(warehouse, "scenarios", context.partition_key)
    with input_errors():
        document = _parse_scenario_file(landing_log.read_archived(record), record.file_name)
    if scenario_runs.workbook_pending(warehouse.engine, record.tenant_id, document):
        # The named workbook landed with (or just before) the scenario and is not processed yet.
        raise dg.RetryRequested(max_retries=6, seconds_to_wait=30)
    outcome = scenario_runs.run_scenario(
        warehouse.engine, record.tenant_id, record.partition_key, record.file_name, document, record.landed_at
    )
    scenario = outcome.scenario.astype({"version": "int64"})
    if outcome.error is not None:
        warehouse.replace_partitions(
            {tables.scenarios: scenario, tables.scenario_changes: outcome.changes},
            tenant_id=record.tenant_id,
            partition_key=record.partition_key,
        )
        raise as_failure(outcome.error, {"scenario_status": "failed"})
    changes = outcome.changes.astype({"order_index": "int64", "version": "int64"})
    yield from write_assets(
        warehouse,
        record,
        {
            SCENARIO_RESULTS_KEY: TableFrame(tables.scenarios, SCENARIOS_SCHEMA, scenario),
            SCENARIO_TRADES_KEY: TableFrame(tables.scenario_changes, TRADES_SCHEMA, changes),
        },
        metadata=_scenario_metadata,
        events=announce.scenario_events(scenario.iloc[0]),
    )


def _scenario_metadata(frames: Mapping[dg.AssetKey, pd.DataFrame]) -> dict[dg.AssetKey, dict[str, Any]]:
    """The scenario version, its workbook, and the compliance and metric comparison with the base."""
    scenario = frames[SCENARIO_RESULTS_KEY].iloc[0]
    comparison = scenario["comparison"]["comparison"]
    return {
        SCENARIO_RESULTS_KEY: {
            "scenario_id": str(scenario["scenario_id"]),
            "version": int(scenario["version"]),
            "workbook_id": str(scenario["workbook_id"]),
            "compliance": dg.MetadataValue.json(comparison["compliance"]),
            "metrics": dg.MetadataValue.md(pd.DataFrame(comparison["metrics"]).astype(str).to_markdown(index=False)),
        },
        SCENARIO_TRADES_KEY: {"preview": preview(frames[SCENARIO_TRADES_KEY].drop(columns=["change_data"]))},
    }


compliance_file_assets: list[dg.AssetsDefinition] = [compliance_results]
"""On the clo_files partitions: runs in clo_files_job after the workbook multi-asset."""
scenario_file_assets: list[dg.AssetsDefinition] = [scenario_results]
"""On the scenarios_files partitions: runs in scenarios_files_job."""
