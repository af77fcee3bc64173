"""The reports' other definitions: the report job, its monthly schedule and a refresh sensor.

The `clo/workbook_reports` asset is on the `clo_files` partitions, so each landed workbook runs it in
`clo_files_job` after the workbook's own assets.
"""

import datetime as dt

import dagster as dg

from orchestration.core.partitions import FILE_PARTITIONS
from orchestration.core.resources import WarehouseResource
from orchestration.reconciliation import store
from orchestration.reports.assets import REPORTS_KEY, report_file_assets

workbook_reports_job = dg.define_asset_job(
    name="clo_workbook_reports_job",
    selection=dg.AssetSelection.assets(REPORTS_KEY),
    partitions_def=FILE_PARTITIONS["clo"],
    description="Render the report templates for one workbook (pick its clo_files partition): reports on demand.",
    tags={"domain": "clo", "calcbridge/reports": "on_demand"},
)


@dg.schedule(
    job=workbook_reports_job,
    cron_schedule="0 6 1 * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="On the 1st of each month at 06:00 UTC, re-render the latest workbook's reports for every deal.",
)
def monthly_workbook_reports(
    context: dg.ScheduleEvaluationContext, warehouse: WarehouseResource
) -> list[dg.RunRequest]:
    """One run per (tenant, deal): the workbook with the latest report date."""
    latest = store.latest_per_deal(store.all_processed_workbooks(warehouse.engine))
    month = (context.scheduled_execution_time or dt.datetime.now(dt.UTC)).strftime("%Y-%m")
    return [
        dg.RunRequest(
            run_key=f"reports:{month}:{row.partition_key}",
            partition_key=str(row.partition_key),
            tags={"tenant": str(row.tenant_id), "deal": str(row.deal)[:60]},
        )
        for row in latest.itertuples()
    ]


@dg.sensor(
    job=workbook_reports_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Re-render a workbook's reports after a statement is reconciled against it (new reconciliation).",
)
def reports_after_reconciliation(context: dg.SensorEvaluationContext, warehouse: WarehouseResource) -> dg.SensorResult:
    """One run per new reconciliation; the cursor is the latest `executed_at` seen."""
    since = dt.datetime.fromisoformat(context.cursor) if context.cursor else None
    fresh = store.reconciled_since(warehouse.engine, since)
    requests = [
        dg.RunRequest(
            run_key=f"reports-after:{row.reconciliation_id}:{row.executed_at.isoformat()}",
            partition_key=str(row.workbook_partition_key),
            tags={"tenant": str(row.tenant_id), "calcbridge/reconciliation_id": str(row.reconciliation_id)},
        )
        for row in fresh.itertuples()
    ]
    cursor = fresh["executed_at"].max().isoformat() if len(fresh) else context.cursor
    return dg.SensorResult(run_requests=requests, cursor=cursor)


def defs() -> dg.Definitions:
    """Built in a function: a code location module may hold only one module-level Definitions."""
    return dg.Definitions(
        assets=report_file_assets,
        jobs=[workbook_reports_job],
        schedules=[monthly_workbook_reports],
        sensors=[reports_after_reconciliation],
    )
