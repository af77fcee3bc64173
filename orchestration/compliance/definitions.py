"""Compliance's definitions: its file-partitioned assets, the alert job and the sensor that launches it.

`clo/compliance_results` is on the `clo_files` partitions and `scenarios/scenario_results` on `scenarios_files`, so
they run in those domains' file jobs; a sensor watches `clo/compliance_results` materializations and asks for one
`compliance_alerts_job` run per materialization (run key = materializing run + partition, so never twice).
"""

import dagster as dg

from orchestration.compliance import alerts
from orchestration.compliance.alert_rules import load_config
from orchestration.compliance.assets import RESULTS_KEY, compliance_file_assets, scenario_file_assets
from orchestration.core.resources import WarehouseResource


class AlertRunConfig(dg.Config):
    """Which workbook partition's results to evaluate."""

    tenant_id: str
    partition_key: str


@dg.op(description="Evaluate alert rules (cooldowns honoured) and emit compliance status-change events.")
def evaluate_compliance_alerts(
    context: dg.OpExecutionContext, config: AlertRunConfig, warehouse: WarehouseResource
) -> dg.Output[int]:
    """Records every firing in ops.alert_history and every event in ops.compliance_events."""
    outcome = alerts.process_partition(warehouse.engine, config.tenant_id, config.partition_key, load_config())
    context.log.info(f"alerts fired={len(outcome.fired)} suppressed={outcome.suppressed} events={len(outcome.events)}")
    return dg.Output(
        len(outcome.fired),
        metadata={
            "fired": dg.MetadataValue.json([r["rule_id"] for r in outcome.fired]),
            "suppressed_by_cooldown": dg.MetadataValue.json(outcome.suppressed),
            "events": dg.MetadataValue.json([{"event": e["event"], "test_id": e["test_id"]} for e in outcome.events]),
        },
    )


@dg.job(
    name="compliance_alerts_job",
    description="Evaluate alerts and status-change events for one workbook's compliance results.",
    tags={"domain": "clo", "calcbridge/alerts": "compliance"},
)
def compliance_alerts_job() -> None:
    evaluate_compliance_alerts()


def alert_run_request(asset_event: dg.EventLogEntry) -> dg.RunRequest | None:
    """The alert run for one `clo/compliance_results` materialization (run key: materializing run + partition)."""
    materialization = asset_event.asset_materialization
    partition_key = materialization.partition if materialization else None
    if not partition_key:
        return None
    return dg.RunRequest(
        run_key=f"compliance-alerts-{asset_event.run_id}-{partition_key}",
        run_config={
            "ops": {
                "evaluate_compliance_alerts": {
                    "config": {"tenant_id": partition_key.split(".")[0], "partition_key": partition_key}
                }
            }
        },
        tags={"tenant": partition_key.split(".")[0], "clo_partition": partition_key},
    )


MAX_MATERIALIZATIONS_PER_TICK = 200


@dg.sensor(
    job=compliance_alerts_job,
    name="compliance_alert_sensor",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After clo/compliance_results materializes, evaluate alert rules for that workbook.",
)
def compliance_alert_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """One alert run per compliance materialization since the cursor (a storage id), oldest first.

    Not `@asset_sensor`: that one sees only the latest materialization of a tick, so when several workbooks
    finish between two ticks (a demo landing, `calcbridge process`) all but the last would get no alerts.
    """
    after = int(context.cursor) if context.cursor else None
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=RESULTS_KEY, after_storage_id=after),
        ascending=True,
        limit=MAX_MATERIALIZATIONS_PER_TICK,
    ).records
    requests = [r for r in (alert_run_request(record.event_log_entry) for record in records) if r is not None]
    cursor = str(records[-1].storage_id) if records else context.cursor
    return dg.SensorResult(run_requests=requests, cursor=cursor)


ALERT_HISTORY = dg.AssetSpec(
    ["ops", "alert_history"],
    group_name="compliance",
    description=(
        "ops.alert_history: every alert firing and how each channel went, appended by compliance_alerts_job "
        "(an op job, not an asset); the dbt alert marts read it."
    ),
    kinds={"postgres"},
)
"""The alert history as an external asset, so the dbt models that read it hang off a described, grouped node."""


def defs() -> dg.Definitions:
    """Built in a function: a code location module may hold only one module-level Definitions."""
    return dg.Definitions(
        assets=[*compliance_file_assets, *scenario_file_assets, ALERT_HISTORY],
        jobs=[compliance_alerts_job],
        sensors=[compliance_alert_sensor],
    )
