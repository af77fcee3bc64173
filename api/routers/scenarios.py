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
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from api.deps import SEED_SCENARIOS, Caller, Db, Reader, requires_clo
from api.errors import error_responses, not_found
from api.marts.compliance import compliance_summary
from api.marts.compliance import scenario_tests as st
from api.marts.compliance import scenario_trades as tr
from api.marts.compliance import scenario_versions as v
from api.pagination import Page
from api.routers.clo_common import WORKBOOK_ID, AscPageQuery, WorkbookId, in_memory_page

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


VERSION_COLUMNS: tuple[Any, ...] = tuple(
    v.c[name]
    for name in ("scenario_id", "partition_key", "workbook_id", "name", "description", "status", "version", "file_name",
                 "errors", "change_count", "total_tests", "passed", "failed", "warning", "calculated_at", "landed_at")
)  # fmt: skip
SCENARIO_TEST_COLUMNS: tuple[Any, ...] = (
    st.c.test_id.label("id"),
    *(st.c[name] for name in ("name", "category", "direction", "unit", "base_status", "scenario_status")),
    *(
        sa.cast(st.c[name], sa.Float).label(name)
        for name in ("base_value", "scenario_value", "trigger_level", "target_level", "cushion", "cushion_pct")
    ),
)
TRADE_COLUMNS: tuple[Any, ...] = (
    tr.c.trade_id.label("id"),
    tr.c.order_index,
    tr.c.change_type,
    tr.c.target_cusip,
    tr.c.change_data,
    sa.cast(tr.c.par_delta, sa.Float).label("par_delta"),
)
SCENARIOS = TypeAdapter(list[ScenarioOut])
TRADES = TypeAdapter(list[TradeOut])
VERSIONS = TypeAdapter(list[VersionOut])


def _summary(row: Any) -> dict[str, int] | None:
    """A calculated version's counts of its scenario test list (None for a failed version)."""
    if row.total_tests is None:
        return None
    return {"total_tests": row.total_tests, "passed": row.passed, "failed": row.failed, "warning": row.warning}


def _scenario(row: Any) -> dict[str, Any]:
    """A version row in `ScenarioOut`'s shape (plain data, validated once by the caller; extra keys ignored)."""
    return row._asdict() | {"id": row.scenario_id, "summary": _summary(row), "created_at": row.landed_at}


async def _versions(db: Reader, tenant_id: str, scenario_id: str) -> list[Any]:
    """Every version of the scenario, oldest first; 404 when the tenant has none."""
    stmt = sa.select(*VERSION_COLUMNS).where(v.c.tenant_id == tenant_id, v.c.scenario_id == scenario_id)
    rows = (await db.execute(stmt.order_by(v.c.version))).all()
    if not rows:
        raise not_found("scenario", scenario_id)
    return list(rows)


async def _latest(db: Reader, tenant_id: str, scenario_id: str, *extra: Any) -> Any:
    """The scenario's latest version (`is_current`), with any extra columns; 404 when the tenant has none."""
    stmt = sa.select(*VERSION_COLUMNS, *extra).where(
        v.c.tenant_id == tenant_id, v.c.scenario_id == scenario_id, v.c.is_current
    )
    row = (await db.execute(stmt)).first()
    if row is None:
        raise not_found("scenario", scenario_id)
    return row


def _calculated(row: Any) -> Any:
    """The version if it was calculated (selected with its `comparison`), else 404."""
    if row.status != "calculated" or not row.comparison:
        raise not_found("calculated version of scenario", row.scenario_id)
    return row


@router.get("/workbooks/{workbook_id}/scenarios", summary="List scenarios for workbook", responses=ERRORS)
async def list_workbook_scenarios(
    db: Db, caller: Caller, workbook_id: WorkbookId, page: AscPageQuery
) -> Page[ScenarioOut]:
    """The latest version of every scenario on this workbook, by name."""
    rows = (
        await db.execute(
            sa.select(*VERSION_COLUMNS).where(
                v.c.tenant_id == caller.tenant_id, v.c.workbook_id == str(workbook_id), v.c.is_latest_on_workbook
            )
        )
    ).all()
    s = compliance_summary
    known = sa.select(s.c.workbook_id).where(s.c.tenant_id == caller.tenant_id, s.c.workbook_id == str(workbook_id))
    if not rows and (await db.execute(known)).first() is None:
        raise not_found("workbook", str(workbook_id))
    items = SCENARIOS.validate_python([_scenario(r) for r in rows])
    data, info = in_memory_page(items, page, key=lambda x: f"{x.name}\x00{x.id}", sort="name")
    return Page[ScenarioOut](data=data, pagination=info)


@router.get("/scenarios/{scenario_id}", summary="Get scenario details", responses=ERRORS)
async def get_scenario(db: Db, caller: Caller, scenario_id: ScenarioId) -> ScenarioOut:
    """The scenario's latest version (failed versions carry their validation errors)."""
    return ScenarioOut.model_validate(_scenario(await _latest(db, caller.tenant_id, str(scenario_id))))


@router.get("/scenarios/{scenario_id}/compare", summary="Compare scenario to base", responses=ERRORS)
async def compare_scenario(db: Db, caller: Caller, scenario_id: ScenarioId) -> ComparisonOut:
    """Seed comparison of the latest calculated version: metrics with deltas, test counts, status changes."""
    row = _calculated(await _latest(db, caller.tenant_id, str(scenario_id), v.c.comparison))
    body = row.comparison
    return ComparisonOut.model_validate(
        {
            "scenario_id": row.scenario_id,
            "workbook_id": body["workbook_id"],
            "version": row.version,
            "calculated_at": body["calculated_at"],
            "comparison": body["comparison"],
        }
    )


@router.get("/scenarios/{scenario_id}/compliance", summary="Get compliance impact", responses=ERRORS)
async def scenario_compliance(db: Db, caller: Caller, scenario_id: ScenarioId) -> ScenarioComplianceOut:
    """Every test under the scenario next to its base status and value."""
    row = _calculated(await _latest(db, caller.tenant_id, str(scenario_id), v.c.comparison))
    tests = (
        await db.execute(
            sa.select(*SCENARIO_TEST_COLUMNS)
            .where(st.c.tenant_id == caller.tenant_id, st.c.partition_key == row.partition_key)
            .order_by(st.c.sort_order)
        )
    ).all()
    return ScenarioComplianceOut.model_validate(
        {
            "scenario_id": row.scenario_id,
            "version": row.version,
            "summary": _summary(row),
            "tests": [t._asdict() for t in tests],
        }
    )


@router.get("/scenarios/{scenario_id}/trades", summary="List trades in scenario", responses=ERRORS)
async def scenario_trades(db: Db, caller: Caller, scenario_id: ScenarioId, page: AscPageQuery) -> Page[TradeOut]:
    """The changes of the latest version in execution order."""
    row = await _latest(db, caller.tenant_id, str(scenario_id))
    trades = (
        await db.execute(
            sa.select(*TRADE_COLUMNS)
            .where(tr.c.tenant_id == caller.tenant_id, tr.c.partition_key == row.partition_key)
            .order_by(tr.c.order_index)
        )
    ).all()
    items = TRADES.validate_python([t._asdict() for t in trades])
    data, info = in_memory_page(items, page, key=lambda x: f"{x.order_index:06d}", sort="order_index")
    return Page[TradeOut](data=data, pagination=info)


@router.get("/scenarios/{scenario_id}/versions", summary="Get version history", responses=ERRORS)
async def scenario_versions(db: Db, caller: Caller, scenario_id: ScenarioId, page: AscPageQuery) -> Page[VersionOut]:
    """Every version (landed file) of the scenario, oldest first."""
    rows = await _versions(db, caller.tenant_id, str(scenario_id))
    items = VERSIONS.validate_python([r._asdict() for r in rows])
    data, info = in_memory_page(items, page, key=lambda x: f"{x.version:06d}", sort="version")
    return Page[VersionOut](data=data, pagination=info)
