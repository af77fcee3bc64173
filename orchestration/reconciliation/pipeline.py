"""What the reconciliation, resolution and report assets compute, without Dagster: warehouse in, frames out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from orchestration.core import landing_log
from orchestration.core.errors import InputError
from orchestration.core.landing_log import LandedRecord
from orchestration.reconciliation import config, ids, resolutions, statements, store
from orchestration.reconciliation.engine import ReconcileOptions, reconcile


@dataclass
class ReconciliationOutputs:
    """The rows one statement partition writes."""

    reconciliation: pd.DataFrame
    positions: pd.DataFrame
    variances: pd.DataFrame
    events: pd.DataFrame
    summary: dict[str, Any]
    workbook_id: str


def where(record: LandedRecord) -> str:
    """Where in the input a problem is, for InputError."""
    return f"{record.domain}/{record.partition_key} ({record.file_name})"


def reconcile_statement(engine: Engine, record: LandedRecord, *, executed_at: dt.datetime) -> ReconciliationOutputs:
    """Parse the statement, pick its workbook, reconcile against the workbook's holdings, build the history rows."""
    spot = where(record)
    options = statements.statement_options(record.sidecar, spot, config.load_identifier_order())
    tolerance = config.profile(options.tolerance_profile)
    rules = config.load_rules()
    data = landing_log.read_archived(record)
    profile_id = (record.sidecar or {}).get("mapping_profile_id")
    statement = statements.parse_statement(data, record.file_name, record.domain, profile_id)
    report_date = statements.sidecar_report_date(record.sidecar) or statement.report_date
    workbook = statements.select_workbook(
        store.tenant_workbooks(engine, record.tenant_id), record.sidecar, report_date, spot
    )
    workbook_id = str(workbook["workbook_id"])
    internal = store.workbook_holdings(engine, record.tenant_id, str(workbook["partition_key"]))
    if internal.empty:
        raise InputError(
            "WORKBOOK_HOLDINGS_MISSING",
            f"workbook {workbook_id} has no mapped holdings to reconcile against",
            spot,
            {"workbook_id": workbook_id},
        )
    workbook_trades = statements.extract_trades(store.trade_sheets(engine, record.tenant_id, workbook["partition_key"]))
    trades = pd.concat([t for t in (workbook_trades, statement.trades) if not t.empty] or [workbook_trades])
    statement_key = ids.statement_key(record.domain, record.partition_key)
    reconciliation_id = ids.reconciliation_id(workbook_id, statement_key)
    result = reconcile(
        internal,
        statement.holdings,
        workbook_id=workbook_id,
        statement=statement_key,
        options=ReconcileOptions(
            tolerance=tolerance,
            matching_fields=options.matching_fields,
            comparison_fields=options.comparison_fields,
            rules=rules,
            report_date=report_date or workbook.get("report_date"),
            pending_trades=trades,
        ),
    )
    variances = result.variances.rename(columns={"status": "initial_status"}).assign(
        reconciliation_id=reconciliation_id, workbook_id=workbook_id, created_at=executed_at
    )
    events = resolutions.reconciliation_events(
        result.variances, reconciliation_id, record.partition_key, record.landed_at
    )
    row = pd.DataFrame(
        [
            {
                "reconciliation_id": reconciliation_id,
                "source_type": record.domain,
                "workbook_id": workbook_id,
                "workbook_partition_key": str(workbook["partition_key"]),
                "statement_file_name": record.file_name,
                "statement_sha256": record.sha256,
                "report_date": report_date,
                "status": "completed",
                "tolerance_profile": tolerance.name,
                "matching_fields": list(options.matching_fields),
                "comparison_fields": list(options.comparison_fields),
                "summary": result.summary,
                "diagnostics": {
                    "statement_rows": len(statement.holdings),
                    "pending_trades": len(trades),
                    "mapping": statement.diagnostics,
                },
                "statement_landed_at": record.landed_at,
                "executed_at": executed_at,
            }
        ]
    )
    return ReconciliationOutputs(
        reconciliation=row,
        positions=result.positions.assign(reconciliation_id=reconciliation_id),
        variances=variances,
        events=events,
        summary=result.summary,
        workbook_id=workbook_id,
    )


def apply_resolution_file(engine: Engine, record: LandedRecord) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every row reviewed, with outcome and reason; the history events of the applied rows)."""
    data = landing_log.read_archived(record)
    requests = resolutions.parse_resolutions(data, record.file_name)
    reviewed = resolutions.review_resolutions(requests, store.known_variances(engine, record.tenant_id))
    events = resolutions.resolution_events(reviewed, record.partition_key, record.landed_at)
    rows = reviewed.rename(columns={"status": "status_new"}).assign(
        file_name=record.file_name, landed_at=record.landed_at
    )
    rows["requested_status"] = requests["status"]
    rows = rows.rename(columns={"status_new": "status"})
    return rows, events
