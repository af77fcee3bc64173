"""`clo/workbook_reports`: every report template rendered for one workbook, in `clo_files_job`.

It runs after the workbook's holdings and compliance; `reports/definitions.py` re-renders it on demand, monthly
and after each new reconciliation.
"""

import datetime as dt

import dagster as dg
import pandas as pd

from orchestration.core.checks import TRANSIENT_RETRY, pandera_check_spec, preview
from orchestration.core.exports import MEDIA_TYPES
from orchestration.core.materialize import TableFrame, input_errors, landed, write
from orchestration.core.partitions import FILE_PARTITIONS
from orchestration.core.resources import WarehouseResource
from orchestration.reports import pipeline, tables
from orchestration.reports import render as report_render
from orchestration.reports.config import load_templates
from orchestration.reports.content import ReportData
from orchestration.reports.schemas import REPORTS_SCHEMA

HOLDINGS_KEY = dg.AssetKey(["clo", "mapped_holdings"])
COMPLIANCE_KEY = dg.AssetKey(["clo", "compliance_results"])
REPORTS_KEY = dg.AssetKey(["clo", "workbook_reports"])


@dg.asset(
    key=REPORTS_KEY,
    deps=[HOLDINGS_KEY, COMPLIANCE_KEY],
    group_name="reports",
    partitions_def=FILE_PARTITIONS["clo"],
    description=(
        "Every report template in assets_config/reports/ (trustee_monthly: summary, compliance with its trend "
        "chart, holdings, transactions when present, latest reconciliation) rendered for one workbook as PDF "
        "(fpdf2) and XLSX (xlsxwriter, formula-injection escaped). Stored as bytea in "
        "analytics.clo_workbook_reports; materialize a partition to report any workbook on demand."
    ),
    check_specs=[pandera_check_spec(REPORTS_KEY, REPORTS_SCHEMA)],
    retry_policy=TRANSIENT_RETRY,
    kinds={"python", "pdf", "postgres"},
    metadata={"table": "analytics.clo_workbook_reports"},
)
def workbook_reports(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Render and store the workbook's reports; compliance/reconciliation sections say "not available" when empty."""
    generated_at = dt.datetime.now(dt.UTC)
    record = landed(warehouse, "clo", context.partition_key)
    with input_errors():
        data = pipeline.report_data(
            warehouse.engine, record.tenant_id, context.partition_key, generated_at=generated_at
        )
        frame = report_frame(data, generated_at)
    return write(
        warehouse,
        record,
        REPORTS_KEY,
        [TableFrame(tables.reports, REPORTS_SCHEMA, frame)],
        {
            "workbook_id": str(data.workbook["workbook_id"]),
            "compliance_available": not data.compliance.empty,
            "reconciliation_id": str((data.reconciliation or {}).get("reconciliation_id") or ""),
            "reports": preview(frame[["template", "format", "file_name", "size_bytes", "sha256"]]),
        },
    )


def report_frame(data: ReportData, generated_at: dt.datetime) -> pd.DataFrame:
    """One row per template and format, with the rendered bytes."""
    rows = []
    for template in load_templates().values():
        for fmt in template.formats:
            rendered = report_render.render(data, template, fmt)
            rows.append(
                {
                    "report_id": rendered.report_id,
                    "workbook_id": str(data.workbook["workbook_id"]),
                    "template": template.id,
                    "format": fmt,
                    "file_name": rendered.file_name,
                    "media_type": MEDIA_TYPES[fmt],
                    "content": rendered.content,
                    "size_bytes": len(rendered.content),
                    "sha256": rendered.sha256,
                    "sections": {
                        "sections": list(template.sections),
                        "compliance": not data.compliance.empty,
                        "transactions": not data.transactions.empty,
                        "reconciliation": data.reconciliation is not None,
                    },
                    "reconciliation_id": (data.reconciliation or {}).get("reconciliation_id"),
                    "report_date": data.workbook.get("report_date"),
                    "generated_at": generated_at,
                }
            )
    return pd.DataFrame(rows).astype({"size_bytes": "int64"})


report_file_assets: list[dg.AssetsDefinition] = [workbook_reports]
"""On the clo_files partitions: runs in clo_files_job after the workbook's own assets."""
