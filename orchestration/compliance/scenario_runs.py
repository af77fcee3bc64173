"""Warehouse glue for what-if scenarios: resolve the named workbook, apply the changes, rerun and compare.

No Dagster here: `assets.py` calls these functions. Workbook reads are `pipeline.py`'s.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from orchestration.clo import tables as clo_tables
from orchestration.compliance import tables
from orchestration.compliance.engine import compute
from orchestration.compliance.pipeline import deal_for, find_workbook, load_holdings
from orchestration.compliance.scenarios import (
    Scenario,
    ScenarioInvalidError,
    ValidationIssue,
    apply_changes,
    compare,
    validate,
)
from orchestration.compliance.status import publish
from orchestration.core.errors import InputError

SCENARIO_NAMESPACE = uuid.UUID("7c1b6a52-4f0e-4d0c-9a3e-5ce0a1c0f004")


def scenario_id(tenant_id: str, workbook_ref: str, name: str) -> str:
    """Stable id per (tenant, workbook reference, scenario name): a changed file becomes a new version."""
    return str(uuid.uuid5(SCENARIO_NAMESPACE, f"{tenant_id}:{workbook_ref}:{name}"))


def next_version(engine: Engine, tenant_id: str, sid: str, partition_key: str) -> int:
    """The partition's version if already recorded, else one more than the latest."""
    t = tables.scenarios
    with engine.connect() as conn:
        existing = conn.execute(
            sa.select(t.c.version).where(t.c.tenant_id == tenant_id, t.c.partition_key == partition_key)
        ).scalar()
        if existing is not None:
            return int(existing)
        latest = conn.execute(
            sa.select(sa.func.max(t.c.version)).where(t.c.tenant_id == tenant_id, t.c.scenario_id == sid)
        ).scalar()
    return int(latest or 0) + 1


@dataclass
class ScenarioOutcome:
    """A scenario version's rows (failed ones carry `errors` and no comparison)."""

    scenario: pd.DataFrame
    changes: pd.DataFrame
    error: InputError | None


def run_scenario(
    engine: Engine, tenant_id: str, partition_key: str, file_name: str, document: Any, landed_at: dt.datetime
) -> ScenarioOutcome:
    """Validate, resolve the workbook, apply the changes, rerun every test and compare with the base."""
    now = dt.datetime.now(dt.UTC)
    doc = document if isinstance(document, Mapping) else {}
    name = str(doc.get("name") or file_name)
    ref = str(doc.get("workbook_id") or doc.get("workbook") or "")
    sid = scenario_id(tenant_id, ref, name)
    version = next_version(engine, tenant_id, sid, partition_key)
    row: dict[str, Any] = {
        "scenario_id": sid,
        "version": version,
        "name": name,
        "description": str(doc.get("description") or ""),
        "workbook_id": None,
        "file_name": file_name,
        "status": "failed",
        "errors": [],
        "document": document if isinstance(document, Mapping | list) else {"value": str(document)},
        "comparison": None,
        "results": None,
        "calculated_at": None,
        "landed_at": landed_at,
    }
    empty_changes = pd.DataFrame(
        columns=["scenario_id", "version", "order_index", "change_type", "target_cusip", "change_data", "par_delta"]
    )
    try:
        scenario: Scenario = validate(document)
        workbook = find_workbook(engine, tenant_id, workbook_id=scenario.workbook_id, name=scenario.workbook)
        if workbook is None:
            field = "workbook_id" if scenario.workbook_id else "workbook"
            raise ScenarioInvalidError(
                [ValidationIssue(field, f"No processed workbook {ref!r} for this tenant", "WORKBOOK_NOT_FOUND")]
            )
        row["workbook_id"] = workbook.workbook_id
        base_holdings = load_holdings(engine, tenant_id, workbook.partition_key)
        deal = deal_for(engine, workbook)
        frame, trades = apply_changes(base_holdings, scenario)
        base = compute(base_holdings, deal, with_details=False)
        other = compute(frame, deal, with_details=False)
    except ScenarioInvalidError as error:
        row["errors"] = [i.as_dict() for i in error.issues]
        row["workbook_id"] = row["workbook_id"] or _named_workbook_id(engine, tenant_id, doc)
        return ScenarioOutcome(
            pd.DataFrame([row]),
            empty_changes,
            InputError("VALIDATION_ERROR", str(error), partition_key, {"details": row["errors"]}),
        )
    comparison = {
        "scenario_id": sid,
        "workbook_id": workbook.workbook_id,
        "calculated_at": now.isoformat().replace("+00:00", "Z"),
        "comparison": publish(compare(base, other)),
    }
    row |= {
        "status": "calculated",
        "comparison": comparison,
        "results": {
            "summary": other.summary(),
            "tests": [t.published() for t in other.tests],
            "base_tests": [t.published() for t in base.tests],
            "metrics": other.published_metrics(),
        },
        "calculated_at": now,
    }
    changes = pd.DataFrame(
        [
            {
                "scenario_id": sid,
                "version": version,
                "order_index": t["order_index"],
                "change_type": t["change_type"],
                "target_cusip": None if t["target_cusip"] is None else str(t["target_cusip"]),
                "change_data": t["data"],
                "par_delta": float(t["par_delta"]),
            }
            for t in trades
        ]
    )
    return ScenarioOutcome(pd.DataFrame([row]), changes, None)


def _named_workbook_id(engine: Engine, tenant_id: str, doc: Mapping[str, Any]) -> str | None:
    """The processed workbook an invalid scenario names (by id or name), so it is listed under that workbook."""
    workbook_id, name = doc.get("workbook_id"), doc.get("workbook")
    if not isinstance(workbook_id, str | None) or not isinstance(name, str | None) or not (workbook_id or name):
        return None
    workbook = find_workbook(engine, tenant_id, workbook_id=workbook_id, name=name)
    return workbook.workbook_id if workbook is not None else None


def workbook_pending(engine: Engine, tenant_id: str, document: Any) -> bool:
    """True when the scenario's workbook has landed but is not processed yet (the scenario should wait).

    Matches a clo landing of the tenant by workbook id, file name or sidecar name whose workbook row is
    missing or still pending/processing.
    """
    from orchestration.core.ids import workbook_id as make_workbook_id
    from orchestration.core.schema import landing_log as log

    if not isinstance(document, Mapping):
        return False
    ref = str(document.get("workbook_id") or document.get("workbook") or "")
    if not ref:
        return False
    w = clo_tables.workbooks
    with engine.connect() as conn:
        landings = conn.execute(
            sa.select(log.c.partition_key, log.c.file_name, log.c.sidecar, log.c.sha256).where(
                log.c.tenant_id == tenant_id, log.c.domain == "clo", log.c.status == "accepted"
            )
        ).all()
        for key, file_name, sidecar, sha in landings:
            named = sidecar.get("name") if isinstance(sidecar, dict) else None
            names = {file_name, named, make_workbook_id(tenant_id, str(sha)) if sha else None}
            if ref not in names:
                continue
            status = conn.execute(
                sa.select(w.c.status).where(w.c.tenant_id == tenant_id, w.c.partition_key == key)
            ).scalar()
            if status in (None, "pending", "processing"):
                return True
    return False
