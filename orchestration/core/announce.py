"""What each domain's write announces (issue 17): seed 000 event payloads built from the frames being written.

Pure functions of the rows an asset is about to write; the asset passes the events to the one write path, so
they are committed with those rows or not at all. Payload fields follow docs/events.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from orchestration.core.events import Event


def _iso(value: Any) -> Any:
    """Dates and timestamps as ISO strings, NaN/NaT as None, numpy scalars as Python ones."""
    if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return value.isoformat()
    return value.item() if hasattr(value, "item") else value


def workbook_events(workbook: Mapping[str, Any], holding_count: int) -> list[Event]:
    """A processed workbook: uploaded, processed (with its metrics) and updated, in that order."""
    stats = workbook.get("processing_stats") or {}
    obj = {
        "workbook_id": str(workbook["workbook_id"]),
        "name": workbook.get("name"),
        "file_name": workbook.get("file_name"),
        "status": workbook.get("status"),
        "report_date": _iso(workbook.get("report_date")),
        "file_size": _iso(workbook.get("file_size")),
        "sha256": workbook.get("sha256"),
    }
    metrics = {
        "holding_count": holding_count,
        "total_par": _iso(workbook.get("total_par")),
        "total_market_value": _iso(workbook.get("total_market_value")),
        "data_quality_score": _iso(workbook.get("data_quality_score")),
        "processing_stats": stats,
    }
    wid = obj["workbook_id"]
    return [
        Event("workbook.uploaded", obj, wid),
        Event("workbook.processed", {**obj, "metrics": metrics}, wid),
        Event("workbook.updated", {**obj, "holding_count": holding_count}, wid),
    ]


def compliance_events(
    results: pd.DataFrame,
    summary: Mapping[str, int],
    previous_status: Mapping[str, str],
    *,
    workbook_id: str,
    deal_id: str,
    report_date: dt.date,
) -> list[Event]:
    """A compliance run: completed, then per test in the deal's order failed / warning, then changed.

    `compliance.changed` only where a test's status differs from its status on the deal's previous report date
    (`previous_status`); a test with no previous report date announces no change.
    """
    rows = results.sort_values("sort_order").to_dict(orient="records")
    events = [
        Event(
            "compliance.completed",
            {
                "workbook_id": workbook_id,
                "deal_id": deal_id,
                "report_date": report_date.isoformat(),
                "summary": dict(summary),
            },
            workbook_id,
        )
    ]
    for row in rows:
        if row["status"] in ("failed", "warning"):
            data = {
                "workbook_id": workbook_id,
                "test_id": row["test_id"],
                "current_value": _iso(row["current_value"]),
                "trigger_level": _iso(row["trigger_level"]),
                "target_level": _iso(row["target_level"]),
                "status": row["status"],
            }
            if row["status"] == "warning":
                data["trend"] = row.get("trend")
            events.append(Event(f"compliance.{row['status']}", data, workbook_id))
    for row in rows:
        before = previous_status.get(row["test_id"])
        if before is not None and before != row["status"]:
            data = {
                "workbook_id": workbook_id,
                "test_id": row["test_id"],
                "previous_status": before,
                "current_status": row["status"],
                "current_value": _iso(row["current_value"]),
                "trigger_level": _iso(row["trigger_level"]),
            }
            events.append(Event("compliance.changed", data, workbook_id))
    return events


def scenario_events(scenario: Mapping[str, Any]) -> list[Event]:
    """A calculated scenario version and its comparison with the base."""
    workbook_id = scenario.get("workbook_id")
    comparison = (scenario.get("comparison") or {}).get("comparison") or {}
    data = {
        "scenario_id": str(scenario["scenario_id"]),
        "version": int(scenario["version"]),
        "name": scenario.get("name"),
        "workbook_id": workbook_id,
        "status": scenario.get("status"),
        "comparison": {"compliance": comparison.get("compliance")},
    }
    return [Event("scenario.calculated", data, str(workbook_id) if workbook_id else None)]


def reconciliation_events(
    reconciliation: Mapping[str, Any], summary: Mapping[str, Any], variances: pd.DataFrame, workbook_id: str
) -> list[Event]:
    """A reconciliation: completed with its summary, then one variance_detected per variance it left open."""
    rid = str(reconciliation["reconciliation_id"])
    opened = variances[variances["initial_status"] == "open"] if len(variances) else variances
    events = [
        Event(
            "reconciliation.completed",
            {
                "reconciliation_id": rid,
                "workbook_id": workbook_id,
                "source_type": reconciliation.get("source_type"),
                "summary": dict(summary),
                "variance_count": len(variances),
                "open_variance_count": len(opened),
            },
            workbook_id,
        )
    ]
    columns: Sequence[str] = [c for c in ("variance_id", "cusip", "category", "field") if c in variances.columns]
    for row in opened.to_dict(orient="records"):
        data = {"reconciliation_id": rid, "workbook_id": workbook_id, **{c: _iso(row[c]) for c in columns}}
        for c in ("internal_value", "external_value", "difference"):
            if c in row:
                data[c] = _iso(row[c])
        events.append(Event("reconciliation.variance_detected", data, workbook_id))
    return events
