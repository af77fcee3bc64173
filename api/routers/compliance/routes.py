"""CLO compliance reads (seed 000 Compliance API): results, one test, history, trend and test definitions.

Everything is scoped to the caller's tenant (another tenant's workbook is a 404). Results come from
analytics.clo_compliance_results / _metrics written by `clo/compliance_results`; a workbook's history is
every workbook of the same deal (tenant, deal_id) with a report date on or before its own.
Models in `schemas.py`, queries in `queries.py` of this package (which also serves the CLO
workbook routes' `compliance_metrics` and `holding_compliance_fields`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Path

from api.deps import Caller, Db, requires_clo
from api.errors import error_responses, not_found
from api.pagination import Page
from api.routers.clo_common import AscPageQuery, WorkbookId, in_memory_page, number
from api.routers.compliance.queries import current_results
from api.routers.compliance.schemas import (
    ComplianceOut,
    ComplianceSummaryOut,
    ComplianceTestDetailOut,
    ComplianceTestOut,
    HistoryEntryOut,
    HistoryPoint,
    TestDefinitionOut,
    TrendOut,
    TrendTestOut,
)
from orchestration.compliance.deal import all_test_definitions
from orchestration.compliance.registry import intermediates_of
from orchestration.compliance.status import TREND_DEAD_BAND_PCT

router = APIRouter(tags=["clo compliance"], dependencies=[requires_clo()])
ERRORS = error_responses(401, 403, 404, 422, 429, 503)
LIST_ERRORS = error_responses(401, 403, 422, 429, 503)
TestId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$", description="Test id.")]


def _test_out(row: Any, history: Iterable[Any]) -> ComplianceTestOut:
    points = [
        HistoryPoint(date=h.report_date.isoformat(), value=number(h.current_value), status=h.status)
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
        current_value=number(row.current_value),
        trigger_level=float(row.trigger_level),
        target_level=float(row.target_level),
        cushion=number(row.cushion),
        cushion_pct=number(row.cushion_pct),
        trend=row.trend,
        history=points,
    )


@router.get("/workbooks/{workbook_id}/compliance", summary="Get all compliance test results", responses=ERRORS)
def get_compliance(db: Db, caller: Caller, workbook_id: WorkbookId) -> ComplianceOut:
    """Every test of the workbook's latest compliance run, with cushion, trend and the deal's history."""
    run, rows, history = current_results(db, caller.tenant_id, str(workbook_id))
    return ComplianceOut(
        workbook_id=run.workbook_id,
        deal_id=run.deal_id,
        report_date=run.report_date.isoformat(),
        executed_at=run.executed_at,
        summary=ComplianceSummaryOut(**run.summary),
        tests=[_test_out(row, history) for row in rows],
    )


@router.get(
    "/workbooks/{workbook_id}/compliance/history", summary="Get historical compliance results", responses=ERRORS
)
def get_compliance_history(
    db: Db, caller: Caller, workbook_id: WorkbookId, page: AscPageQuery
) -> Page[HistoryEntryOut]:
    """Every report date of the workbook's deal up to its own: workbook, summary and each test's value."""
    _, _, history = current_results(db, caller.tenant_id, str(workbook_id))
    entries: dict[dt.date, dict[str, Any]] = {}
    for h in history:
        entry = entries.setdefault(
            h.report_date,
            {"report_date": h.report_date.isoformat(), "workbook_id": h.workbook_id, "executed_at": h.executed_at,
             "tests": {}},
        )  # fmt: skip
        entry["tests"][h.test_id] = HistoryPoint(
            date=h.report_date.isoformat(), value=number(h.current_value), status=h.status
        )
    items = []
    for entry in entries.values():
        statuses = [p.status for p in entry["tests"].values()]
        summary = ComplianceSummaryOut(
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
    run, rows, history = current_results(db, caller.tenant_id, str(workbook_id))
    tests = []
    for row in rows:
        points = [
            HistoryPoint(date=h.report_date.isoformat(), value=number(h.current_value), status=h.status)
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
    run, rows, history = current_results(db, caller.tenant_id, str(workbook_id))
    row = next((r for r in rows if r.test_id == test_id), None)
    if row is None:
        raise not_found("compliance test", test_id)
    metrics = run.metrics or {}
    keys = intermediates_of(test_id)
    base = _test_out(row, history).model_dump()
    return ComplianceTestDetailOut(
        **base, workbook_id=run.workbook_id, intermediates={k: metrics.get(k) for k in keys if k in metrics}
    )
