"""What-if scenario reads (seed 000 Scenarios API): lists, detail, comparison, compliance impact, trades, versions.

A scenario is identified by a stable UUID per (tenant, workbook, name); each landed file is a version and
the detail routes read the latest version. Another tenant's scenario or workbook is a 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Connection

from api.deps import SEED_SCENARIOS, Caller, Db, requires_clo
from api.errors import error_responses, not_found
from api.pagination import Page
from api.routers.clo_common import WORKBOOK_ID, AscPageQuery, WorkbookId, in_memory_page
from orchestration.compliance import tables as ct

router = APIRouter(tags=["clo scenarios"], dependencies=[requires_clo(*SEED_SCENARIOS)])
ERRORS = error_responses(401, 403, 404, 422, 429, 503)
ScenarioId = Annotated[uuid.UUID, Path(description="Scenario UUID.")]
SCENARIO_ID = "3f0c2a58-8d7e-5b1f-9c4a-2e6d8f0a1b3c"


class ValidationIssueOut(BaseModel):
    """A validation problem of a failed scenario version (seed error details)."""

    field: str
    message: str
    code: str


class ScenarioOut(BaseModel):
    """A scenario (latest version) in seed 000's WhatIfScenario shape."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": SCENARIO_ID,
                    "workbook_id": WORKBOOK_ID,
                    "name": "Add ABC Corp Position",
                    "description": "Evaluate adding $5M ABC Corp senior secured",
                    "status": "calculated",
                    "version": 2,
                    "file_name": "abc.yaml",
                    "errors": [],
                    "change_count": 2,
                    "summary": {"total_tests": 10, "passed": 9, "failed": 0, "warning": 1},
                    "calculated_at": "2026-01-25T10:35:00Z",
                    "created_at": "2026-01-25T10:34:00Z",
                }
            ]
        }
    )

    id: str
    workbook_id: str | None
    name: str
    description: str | None
    status: Literal["calculated", "failed"]
    version: int
    file_name: str
    errors: list[ValidationIssueOut]
    change_count: int
    summary: dict[str, int] | None
    calculated_at: dt.datetime | None
    created_at: dt.datetime = Field(description="When this version's file landed.")


class MetricDeltaOut(BaseModel):
    name: str
    metric: str
    base_value: float | None
    scenario_value: float | None
    delta: float | None
    delta_pct: float | None


class TestChangeOut(BaseModel):
    test_id: str
    test_name: str
    base_status: str
    scenario_status: str
    base_value: float | None
    scenario_value: float | None
    reason: str


class ComplianceCompareOut(BaseModel):
    base: dict[str, int]
    scenario: dict[str, int]
    changes: list[TestChangeOut]


class ComparisonBody(BaseModel):
    metrics: list[MetricDeltaOut]
    compliance: ComplianceCompareOut


class ComparisonOut(BaseModel):
    """Seed 000 Scenario Comparison Response."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "scenario_id": SCENARIO_ID,
                    "workbook_id": WORKBOOK_ID,
                    "version": 1,
                    "calculated_at": "2026-01-25T10:35:00Z",
                    "comparison": {
                        "metrics": [
                            {"name": "Total Par", "metric": "total_par", "base_value": 500000000,
                             "scenario_value": 502000000, "delta": 2000000, "delta_pct": 0.4}
                        ],
                        "compliance": {
                            "base": {"passed": 8, "failed": 1, "warning": 1},
                            "scenario": {"passed": 9, "failed": 0, "warning": 1},
                            "changes": [
                                {"test_id": "ccc_bucket", "test_name": "CCC Bucket Test", "base_status": "failed",
                                 "scenario_status": "passed", "base_value": 8.2, "scenario_value": 7.4,
                                 "reason": "Reduced CCC exposure from 8.2% to 7.4%"}
                            ],
                        },
                    },
                }
            ]
        }
    )  # fmt: skip

    scenario_id: str
    workbook_id: str
    version: int
    calculated_at: str
    comparison: ComparisonBody


class ScenarioTestOut(BaseModel):
    """A test under the scenario against the base."""

    id: str
    name: str
    category: str
    direction: str
    unit: str
    base_status: str | None
    scenario_status: str
    base_value: float | None
    scenario_value: float | None
    trigger_level: float
    target_level: float
    cushion: float | None
    cushion_pct: float | None


class ScenarioComplianceOut(BaseModel):
    """GET /scenarios/{id}/compliance: every test, base vs scenario."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "scenario_id": SCENARIO_ID,
                    "version": 1,
                    "summary": {"total_tests": 10, "passed": 9, "failed": 0, "warning": 1},
                    "tests": [
                        {"id": "ccc_bucket", "name": "CCC Bucket Test", "category": "credit_quality",
                         "direction": "max", "unit": "percent", "base_status": "failed", "scenario_status": "passed",
                         "base_value": 8.2, "scenario_value": 6.9, "trigger_level": 7.5, "target_level": 7.0,
                         "cushion": 0.6, "cushion_pct": 8.0}
                    ],
                }
            ]
        }
    )  # fmt: skip

    scenario_id: str
    version: int
    summary: dict[str, int]
    tests: list[ScenarioTestOut]


class TradeOut(BaseModel):
    """One change (trade) of the scenario's latest version, in execution order."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": f"{SCENARIO_ID}:1:0", "order_index": 0, "change_type": "remove_position",
                 "target_cusip": "123456789", "change_data": {"cusip": "123456789", "par_amount": 3000000},
                 "par_delta": -3000000}
            ]
        }
    )  # fmt: skip

    id: str
    order_index: int
    change_type: str
    target_cusip: str | None
    change_data: dict[str, Any]
    par_delta: float


class VersionOut(BaseModel):
    """One version of a scenario (one landed file)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"version": 1, "status": "calculated", "file_name": "abc.yaml", "landed_at": "2026-01-25T10:34:00Z",
                 "calculated_at": "2026-01-25T10:35:00Z", "change_count": 2, "errors": []}
            ]
        }
    )  # fmt: skip

    version: int
    status: str
    file_name: str
    landed_at: dt.datetime
    calculated_at: dt.datetime | None
    change_count: int
    errors: list[ValidationIssueOut]


def _versions(conn: Connection, tenant_id: str, scenario_id: str) -> list[Any]:
    s = ct.scenarios
    rows = conn.execute(
        sa.select(s).where(s.c.tenant_id == tenant_id, s.c.scenario_id == scenario_id).order_by(s.c.version)
    ).all()
    if not rows:
        raise not_found("scenario", scenario_id)
    return rows


def _latest(conn: Connection, tenant_id: str, scenario_id: str) -> Any:
    return _versions(conn, tenant_id, scenario_id)[-1]


def _change_count(row: Any) -> int:
    return len((row.document or {}).get("changes") or []) if isinstance(row.document, dict) else 0


def _scenario(row: Any) -> ScenarioOut:
    return ScenarioOut(
        id=row.scenario_id,
        workbook_id=row.workbook_id,
        name=row.name,
        description=row.description,
        status=row.status,
        version=row.version,
        file_name=row.file_name,
        errors=[ValidationIssueOut(**e) for e in row.errors or []],
        change_count=_change_count(row),
        summary=(row.results or {}).get("summary"),
        calculated_at=row.calculated_at,
        created_at=row.landed_at,
    )


def _calculated(row: Any) -> Any:
    if row.status != "calculated" or not row.comparison:
        raise not_found("calculated version of scenario", row.scenario_id)
    return row


@router.get("/workbooks/{workbook_id}/scenarios", summary="List scenarios for workbook", responses=ERRORS)
def list_workbook_scenarios(db: Db, caller: Caller, workbook_id: WorkbookId, page: AscPageQuery) -> Page[ScenarioOut]:
    """The latest version of every scenario on this workbook, by name."""
    s = ct.scenarios
    rows = db.execute(
        sa.select(s)
        .where(s.c.tenant_id == caller.tenant_id, s.c.workbook_id == str(workbook_id))
        .order_by(s.c.scenario_id, s.c.version)
    ).all()
    if not rows:
        m = ct.compliance_metrics
        exists = db.execute(
            sa.select(m.c.workbook_id).where(m.c.tenant_id == caller.tenant_id, m.c.workbook_id == str(workbook_id))
        ).first()
        if exists is None:
            raise not_found("workbook", str(workbook_id))
    latest: dict[str, Any] = {}
    for row in rows:
        latest[row.scenario_id] = row
    items = [_scenario(r) for r in latest.values()]
    data, info = in_memory_page(items, page, key=lambda x: f"{x.name}\x00{x.id}", sort="name")
    return Page[ScenarioOut](data=data, pagination=info)


@router.get("/scenarios/{scenario_id}", summary="Get scenario details", responses=ERRORS)
def get_scenario(db: Db, caller: Caller, scenario_id: ScenarioId) -> ScenarioOut:
    """The scenario's latest version (failed versions carry their validation errors)."""
    return _scenario(_latest(db, caller.tenant_id, str(scenario_id)))


@router.get("/scenarios/{scenario_id}/compare", summary="Compare scenario to base", responses=ERRORS)
def compare_scenario(db: Db, caller: Caller, scenario_id: ScenarioId) -> ComparisonOut:
    """Seed comparison of the latest calculated version: metrics with deltas, test counts, status changes."""
    row = _calculated(_latest(db, caller.tenant_id, str(scenario_id)))
    body = row.comparison
    return ComparisonOut(
        scenario_id=row.scenario_id,
        workbook_id=body["workbook_id"],
        version=row.version,
        calculated_at=body["calculated_at"],
        comparison=ComparisonBody(**body["comparison"]),
    )


@router.get("/scenarios/{scenario_id}/compliance", summary="Get compliance impact", responses=ERRORS)
def scenario_compliance(db: Db, caller: Caller, scenario_id: ScenarioId) -> ScenarioComplianceOut:
    """Every test under the scenario next to its base status and value."""
    row = _calculated(_latest(db, caller.tenant_id, str(scenario_id)))
    base = {t["id"]: t for t in row.results.get("base_tests", [])}
    tests = [
        ScenarioTestOut(
            id=t["id"],
            name=t["name"],
            category=t["category"],
            direction=t["direction"],
            unit=t["unit"],
            base_status=base.get(t["id"], {}).get("status"),
            scenario_status=t["status"],
            base_value=base.get(t["id"], {}).get("current_value"),
            scenario_value=t["current_value"],
            trigger_level=t["trigger_level"],
            target_level=t["target_level"],
            cushion=t["cushion"],
            cushion_pct=t["cushion_pct"],
        )
        for t in row.results.get("tests", [])
    ]
    return ScenarioComplianceOut(
        scenario_id=row.scenario_id, version=row.version, summary=row.results["summary"], tests=tests
    )


@router.get("/scenarios/{scenario_id}/trades", summary="List trades in scenario", responses=ERRORS)
def scenario_trades(db: Db, caller: Caller, scenario_id: ScenarioId, page: AscPageQuery) -> Page[TradeOut]:
    """The changes of the latest version in execution order."""
    row = _latest(db, caller.tenant_id, str(scenario_id))
    c = ct.scenario_changes
    trades = db.execute(
        sa.select(c)
        .where(c.c.tenant_id == caller.tenant_id, c.c.partition_key == row.partition_key)
        .order_by(c.c.order_index)
    ).all()
    items = [
        TradeOut(
            id=f"{row.scenario_id}:{row.version}:{t.order_index}",
            order_index=t.order_index,
            change_type=t.change_type,
            target_cusip=t.target_cusip,
            change_data=t.change_data,
            par_delta=float(t.par_delta),
        )
        for t in trades
    ]
    data, info = in_memory_page(items, page, key=lambda x: f"{x.order_index:06d}", sort="order_index")
    return Page[TradeOut](data=data, pagination=info)


@router.get("/scenarios/{scenario_id}/versions", summary="Get version history", responses=ERRORS)
def scenario_versions(db: Db, caller: Caller, scenario_id: ScenarioId, page: AscPageQuery) -> Page[VersionOut]:
    """Every version (landed file) of the scenario, oldest first."""
    items = [
        VersionOut(
            version=r.version,
            status=r.status,
            file_name=r.file_name,
            landed_at=r.landed_at,
            calculated_at=r.calculated_at,
            change_count=_change_count(r),
            errors=[ValidationIssueOut(**e) for e in r.errors or []],
        )
        for r in _versions(db, caller.tenant_id, str(scenario_id))
    ]
    data, info = in_memory_page(items, page, key=lambda x: f"{x.version:06d}", sort="version")
    return Page[VersionOut](data=data, pagination=info)
