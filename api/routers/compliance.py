"""CLO compliance reads (seed 000 Compliance API): results, one test, history, trend and test definitions.

Everything is scoped to the caller's tenant (another tenant's workbook is a 404). Results come from
analytics.clo_compliance_results / _metrics written by `clo/compliance_results`; a workbook's history is
every workbook of the same deal (tenant, deal_id) with a report date on or before its own.
`compliance_metrics` and `holding_compliance_fields` are for the CLO workbooks routes (metrics, holdings).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Connection

from api.deps import Caller, Db, requires
from api.errors import error_responses, not_found
from api.pagination import Page, PageInfo
from api.routers.clo_common import WORKBOOK_ID, AscPageQuery, WorkbookId, in_memory_page
from orchestration.compliance import tables as ct
from orchestration.compliance.deal import all_test_definitions
from orchestration.compliance.registry import intermediates_of
from orchestration.compliance.status import TREND_DEAD_BAND_PCT

router = APIRouter(tags=["clo compliance"], dependencies=[requires("read:clo")])
ERRORS = error_responses(401, 403, 404, 422, 429, 503)
LIST_ERRORS = error_responses(401, 403, 422, 429, 503)
Status = Literal["passed", "warning", "failed"]
Trend = Literal["improving", "stable", "deteriorating"]
TestId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$", description="Test id.")]


class HistoryPoint(BaseModel):
    """One earlier (or the current) value of a test on a report date of the same deal."""

    date: str
    value: float | None
    status: Status | None = None


class ComplianceTestOut(BaseModel):
    """A test result in the seed's shape; values rounded once to 4 decimals half-up (status on unrounded)."""

    id: str
    name: str
    category: str
    direction: Literal["min", "max"]
    unit: str
    status: Status
    current_value: float | None
    trigger_level: float
    target_level: float
    cushion: float | None = Field(description="value − trigger (min tests) or trigger − value (max); >0 is inside.")
    cushion_pct: float | None = Field(description="cushion / |trigger| × 100.")
    trend: Trend
    history: list[HistoryPoint] = Field(description="Newest first, this workbook's value included.")


class SummaryOut(BaseModel):
    """Counts of tests by status."""

    total_tests: int
    passed: int
    failed: int
    warning: int


class ComplianceOut(BaseModel):
    """GET /workbooks/{id}/compliance (seed 000 Compliance Test Results Response)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workbook_id": WORKBOOK_ID,
                    "deal_id": "CalcBridge CLO 2024-1",
                    "report_date": "2026-01-25",
                    "executed_at": "2026-01-25T10:31:00Z",
                    "summary": {"total_tests": 10, "passed": 8, "failed": 1, "warning": 1},
                    "tests": [
                        {
                            "id": "oc_senior",
                            "name": "Senior OC Test",
                            "category": "overcollateralization",
                            "direction": "min",
                            "unit": "percent",
                            "status": "passed",
                            "current_value": 125.5,
                            "trigger_level": 115.0,
                            "target_level": 120.0,
                            "cushion": 10.5,
                            "cushion_pct": 9.1304,
                            "trend": "stable",
                            "history": [
                                {"date": "2026-01-25", "value": 125.5, "status": "passed"},
                                {"date": "2025-12-25", "value": 124.8, "status": "passed"},
                            ],
                        }
                    ],
                }
            ]
        }
    )

    workbook_id: str
    deal_id: str
    report_date: str
    executed_at: dt.datetime
    summary: SummaryOut
    tests: list[ComplianceTestOut]


class ComplianceTestDetailOut(ComplianceTestOut):
    """One test plus the intermediates that produce its value."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "ccc_bucket",
                    "name": "CCC Bucket Test",
                    "category": "credit_quality",
                    "direction": "max",
                    "unit": "percent",
                    "status": "failed",
                    "current_value": 8.2,
                    "trigger_level": 7.5,
                    "target_level": 7.0,
                    "cushion": -0.7,
                    "cushion_pct": -9.3333,
                    "trend": "deteriorating",
                    "history": [{"date": "2026-01-25", "value": 8.2, "status": "failed"}],
                    "workbook_id": WORKBOOK_ID,
                    "intermediates": {"ccc_par": 41000000, "ccc_excess": 3500000},
                }
            ]
        }
    )

    workbook_id: str
    intermediates: dict[str, Any]


class HistoryEntryOut(BaseModel):
    """One report date of the deal: its workbook, summary and every test's value and status."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "report_date": "2025-12-25",
                    "workbook_id": WORKBOOK_ID,
                    "executed_at": "2025-12-26T08:00:00Z",
                    "summary": {"total_tests": 10, "passed": 9, "failed": 0, "warning": 1},
                    "tests": {"oc_senior": {"value": 124.8, "status": "passed"}},
                }
            ]
        }
    )

    report_date: str
    workbook_id: str
    executed_at: dt.datetime
    summary: SummaryOut
    tests: dict[str, HistoryPoint]


class TrendTestOut(BaseModel):
    """A test's trend from its last three values (dead band: 0.5 % of |trigger|)."""

    id: str
    name: str
    direction: Literal["min", "max"]
    trend: Trend
    dead_band: float = Field(description="Net moves within ± this are `stable`.")
    values: list[HistoryPoint] = Field(description="The last three values, oldest first.")


class TrendOut(BaseModel):
    """GET /workbooks/{id}/compliance/trend."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workbook_id": WORKBOOK_ID,
                    "deal_id": "CalcBridge CLO 2024-1",
                    "dead_band_pct_of_trigger": 0.5,
                    "tests": [
                        {
                            "id": "warf_test",
                            "name": "WARF Test",
                            "direction": "max",
                            "trend": "deteriorating",
                            "dead_band": 15.0,
                            "values": [
                                {"date": "2025-11-25", "value": 2790.0, "status": "passed"},
                                {"date": "2025-12-25", "value": 2820.0, "status": "warning"},
                                {"date": "2026-01-25", "value": 2850.0, "status": "warning"},
                            ],
                        }
                    ],
                }
            ]
        }
    )

    workbook_id: str
    deal_id: str
    dead_band_pct_of_trigger: float
    tests: list[TrendTestOut]


class TestDefinitionOut(BaseModel):
    """A test definition from a compliance profile (assets_config/compliance/*.yaml)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "profile_id": "default",
                    "id": "oc_senior",
                    "name": "Senior OC Test",
                    "category": "overcollateralization",
                    "direction": "min",
                    "unit": "percent",
                    "denominator_classes": ["A", "B"],
                    "trigger_level": 115.0,
                    "target_level": 120.0,
                    "metric": None,
                }
            ]
        }
    )

    profile_id: str
    id: str
    name: str
    category: str
    direction: Literal["min", "max"]
    unit: str
    denominator_classes: list[str]
    trigger_level: float
    target_level: float
    metric: str | None


def _num(value: Any) -> float | None:
    if value is None:
        return None
    return float(value) if isinstance(value, decimal.Decimal | int | float) else float(str(value))


def latest_run(conn: Connection, tenant_id: str, workbook_id: str) -> Any | None:
    """The workbook's latest compliance metrics row (tenant-scoped), or None."""
    m = ct.compliance_metrics
    return conn.execute(
        sa.select(m)
        .where(m.c.tenant_id == tenant_id, m.c.workbook_id == workbook_id)
        .order_by(m.c.executed_at.desc())
        .limit(1)
    ).first()


def _require_run(conn: Connection, tenant_id: str, workbook_id: str) -> Any:
    run = latest_run(conn, tenant_id, workbook_id)
    if run is None:
        raise not_found("compliance results of workbook", workbook_id)
    return run


def _deal_history(conn: Connection, tenant_id: str, deal_id: str, up_to: dt.date) -> list[Any]:
    """Every result row of the deal up to a report date (latest run per report date), oldest first."""
    r = ct.compliance_results
    rows = conn.execute(
        sa.select(r)
        .where(r.c.tenant_id == tenant_id, r.c.deal_id == deal_id, r.c.report_date <= up_to)
        .order_by(r.c.report_date, r.c.executed_at)
    ).all()
    latest: dict[tuple[dt.date, str], Any] = {}
    for row in rows:
        latest[(row.report_date, row.test_id)] = row  # later executions of the same date win
    return sorted(latest.values(), key=lambda x: (x.report_date, x.sort_order))


def _test_rows(conn: Connection, run: Any) -> list[Any]:
    r = ct.compliance_results
    return conn.execute(
        sa.select(r)
        .where(r.c.tenant_id == run.tenant_id, r.c.partition_key == run.partition_key)
        .order_by(r.c.sort_order)
    ).all()


def _test_out(row: Any, history: Iterable[Any]) -> ComplianceTestOut:
    points = [
        HistoryPoint(date=h.report_date.isoformat(), value=_num(h.current_value), status=h.status)
        for h in sorted(history, key=lambda x: x.report_date, reverse=True)
        if h.test_id == row.test_id
    ]
    return ComplianceTestOut(
        id=row.test_id,
        name=row.name,
        category=row.category,
        direction=row.direction,
        unit=row.unit,
        status=row.status,
        current_value=_num(row.current_value),
        trigger_level=float(row.trigger_level),
        target_level=float(row.target_level),
        cushion=_num(row.cushion),
        cushion_pct=_num(row.cushion_pct),
        trend=row.trend,
        history=points,
    )


def _compliance(conn: Connection, tenant_id: str, workbook_id: str) -> tuple[Any, list[Any], list[Any]]:
    run = _require_run(conn, tenant_id, workbook_id)
    rows = _test_rows(conn, run)
    history = list(_deal_history(conn, tenant_id, run.deal_id, run.report_date))
    # this workbook's own rows replace any other run on the same report date
    history = [h for h in history if h.report_date != run.report_date] + rows
    return run, rows, history


@router.get("/workbooks/{workbook_id}/compliance", summary="Get all compliance test results", responses=ERRORS)
def get_compliance(db: Db, caller: Caller, workbook_id: WorkbookId) -> ComplianceOut:
    """Every test of the workbook's latest compliance run, with cushion, trend and the deal's history."""
    run, rows, history = _compliance(db, caller.tenant_id, str(workbook_id))
    return ComplianceOut(
        workbook_id=run.workbook_id,
        deal_id=run.deal_id,
        report_date=run.report_date.isoformat(),
        executed_at=run.executed_at,
        summary=SummaryOut(**run.summary),
        tests=[_test_out(row, history) for row in rows],
    )


@router.get(
    "/workbooks/{workbook_id}/compliance/history", summary="Get historical compliance results", responses=ERRORS
)
def get_compliance_history(
    db: Db, caller: Caller, workbook_id: WorkbookId, page: AscPageQuery
) -> Page[HistoryEntryOut]:
    """Every report date of the workbook's deal up to its own: workbook, summary and each test's value."""
    _, _, history = _compliance(db, caller.tenant_id, str(workbook_id))
    entries: dict[dt.date, dict[str, Any]] = {}
    for h in history:
        entry = entries.setdefault(
            h.report_date,
            {"report_date": h.report_date.isoformat(), "workbook_id": h.workbook_id, "executed_at": h.executed_at,
             "tests": {}},
        )  # fmt: skip
        entry["tests"][h.test_id] = HistoryPoint(
            date=h.report_date.isoformat(), value=_num(h.current_value), status=h.status
        )
    items = []
    for entry in entries.values():
        statuses = [p.status for p in entry["tests"].values()]
        summary = SummaryOut(
            total_tests=len(statuses),
            passed=statuses.count("passed"),
            failed=statuses.count("failed"),
            warning=statuses.count("warning"),
        )
        items.append(HistoryEntryOut(summary=summary, **entry))
    data, info = in_memory_page(items, page, key=lambda e: e.report_date, sort="report_date")
    return Page[HistoryEntryOut](data=data, pagination=info)


@router.get("/workbooks/{workbook_id}/compliance/trend", summary="Get compliance trends", responses=ERRORS)
def get_compliance_trend(db: Db, caller: Caller, workbook_id: WorkbookId) -> TrendOut:
    """Each test's trend and the last three values it was computed from (stored trend as of the run)."""
    run, rows, history = _compliance(db, caller.tenant_id, str(workbook_id))
    tests = []
    for row in rows:
        points = [
            HistoryPoint(date=h.report_date.isoformat(), value=_num(h.current_value), status=h.status)
            for h in sorted(history, key=lambda x: x.report_date)
            if h.test_id == row.test_id
        ][-3:]
        trigger = float(row.trigger_level)
        tests.append(
            TrendTestOut(
                id=row.test_id,
                name=row.name,
                direction=row.direction,
                trend=row.trend,
                dead_band=abs(trigger) * TREND_DEAD_BAND_PCT / 100.0 if trigger else 0.005,
                values=points,
            )
        )
    return TrendOut(
        workbook_id=run.workbook_id, deal_id=run.deal_id, dead_band_pct_of_trigger=TREND_DEAD_BAND_PCT, tests=tests
    )


@router.get("/compliance/tests", summary="List available test definitions", responses=LIST_ERRORS)
def list_test_definitions(caller: Caller, page: AscPageQuery) -> Page[TestDefinitionOut]:
    """Test definitions of every compliance profile (each profile merged over the default)."""
    items = [
        TestDefinitionOut(
            profile_id=d["profile_id"],
            id=str(d["id"]),
            name=str(d.get("name") or d["id"]),
            category=str(d.get("category") or "custom"),
            direction=d["direction"],
            unit=str(d.get("unit") or ""),
            denominator_classes=list(d.get("denominator_classes") or []),
            trigger_level=float(d["trigger_level"]),
            target_level=float(d.get("target_level", d["trigger_level"])),
            metric=d.get("metric"),
        )
        for d in all_test_definitions()
    ]
    data, info = in_memory_page(items, page, key=lambda d: f"{d.profile_id}/{d.id}", sort="profile_test")
    return Page[TestDefinitionOut](data=data, pagination=info)


@router.get("/workbooks/{workbook_id}/compliance/{test_id}", summary="Get specific test details", responses=ERRORS)
def get_compliance_test(db: Db, caller: Caller, workbook_id: WorkbookId, test_id: TestId) -> ComplianceTestDetailOut:
    """One test with its history and the intermediates behind its value."""
    run, rows, history = _compliance(db, caller.tenant_id, str(workbook_id))
    row = next((r for r in rows if r.test_id == test_id), None)
    if row is None:
        raise not_found("compliance test", test_id)
    metrics = run.metrics or {}
    keys = intermediates_of(test_id)
    base = _test_out(row, history).model_dump()
    return ComplianceTestDetailOut(
        **base, workbook_id=run.workbook_id, intermediates={k: metrics.get(k) for k in keys if k in metrics}
    )


def compliance_metrics(conn: Connection, tenant_id: str, workbook_id: str) -> dict[str, Any] | None:
    """For /workbooks/{id}/metrics: summary, deal and every intermediate of the latest run, or None."""
    run = latest_run(conn, tenant_id, workbook_id)
    if run is None:
        return None
    return {
        "executed_at": run.executed_at.isoformat(),
        "report_date": run.report_date.isoformat(),
        "deal_id": run.deal_id,
        "summary": run.summary,
        "metrics": run.metrics,
        "deal": run.deal,
    }


def holding_compliance_fields(
    conn: Connection, tenant_id: str, workbook_id: str, holding_ids: Iterable[str] | None = None
) -> dict[str, dict[str, Any]]:
    """For the holdings routes: holding_id → the compliance fields of the workbook's latest run.

    Fields: effective_rating, rating_source, rating_factor, in_ccc_bucket, years_to_maturity; optionally only
    the given holdings.
    """
    run = latest_run(conn, tenant_id, workbook_id)
    if run is None:
        return {}
    h = ct.holding_compliance
    query = sa.select(h).where(h.c.tenant_id == tenant_id, h.c.partition_key == run.partition_key)
    if holding_ids is not None:
        query = query.where(h.c.holding_id.in_(list(holding_ids)))
    return {
        row.holding_id: {
            "effective_rating": row.effective_rating,
            "rating_source": row.rating_source,
            "rating_factor": _num(row.rating_factor),
            "in_ccc_bucket": row.in_ccc_bucket,
            "years_to_maturity": _num(row.years_to_maturity),
        }
        for row in conn.execute(query)
    }


__all__ = ["PageInfo", "compliance_metrics", "holding_compliance_fields", "router"]
