"""What a workbook report shows, read from the warehouse: workbook, holdings, compliance, trades, reconciliation."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy.engine import Engine

from orchestration.core.errors import InputError
from orchestration.reconciliation import statements, store
from orchestration.reconciliation.engine import current_summary
from orchestration.reports.content import ReportData


def report_data(engine: Engine, tenant_id: str, partition_key: str, *, generated_at: dt.datetime) -> ReportData:
    """Everything the workbook report shows, read from the warehouse."""
    wb = store.workbook(engine, tenant_id, partition_key)
    if wb is None or wb.get("status") != "processed":
        raise InputError(
            "WORKBOOK_NOT_PROCESSED",
            "the workbook of this partition is not processed (see clo/raw_workbooks)",
            f"clo/{partition_key}",
        )
    workbook_id = str(wb["workbook_id"])
    sidecar = wb.get("sidecar") or {}
    deal = sidecar.get("deal")
    holdings = store.workbook_holdings(engine, tenant_id, partition_key)
    compliance, history = store.compliance_for(engine, tenant_id, workbook_id)
    recon = store.latest_reconciliation(engine, tenant_id, workbook_id)
    variances = (
        store.reconciliation_variances(engine, tenant_id, recon["reconciliation_id"]) if recon else pd.DataFrame()
    )
    if recon is not None:
        recon = {**recon, "summary": current_summary(recon.get("summary") or {}, variances)}
    return ReportData(
        workbook={
            "workbook_id": workbook_id,
            "name": wb.get("name"),
            "report_date": wb.get("report_date"),
            "file_name": wb.get("file_name"),
            "deal": deal.get("name") if isinstance(deal, dict) else deal,
            "metrics": (wb.get("processing_stats") or {}).get("metrics"),
        },
        holdings=holdings,
        compliance=compliance,
        compliance_history=history,
        transactions=statements.extract_trades(store.trade_sheets(engine, tenant_id, partition_key)),
        reconciliation=recon,
        variances=variances,
        generated_at=generated_at,
    )
