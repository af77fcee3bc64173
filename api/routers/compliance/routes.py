"""CLO compliance reads (seed 000 Compliance API): results, one test, history, trend and test definitions.

`/workbooks/{id}/compliance/tests` (the definitions as applied to a workbook) is declared before `/{test_id}`.

Everything is scoped to the caller's tenant (another tenant's workbook is a 404). Results come from the compliance
marts: a workbook's routes serve the current run of its report date (the deal's latest run for that date, so a
re-run for the same date replaces the earlier run), and its history is the deal's current runs up to that date.
Models in `schemas.py`, queries in `queries.py` of this package (which also serves the CLO workbook routes'
`compliance_metrics` and `holding_compliance_fields`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import TypeAdapter

from api import configuration
from api.configuration import DEFAULT_INTERMEDIATES
from api.deps import AppRuntime, Caller, Db, requires_clo
from api.errors import error_responses, not_found
from api.pagination import Page
from api.routers.clo_common import AscPageQuery, WorkbookId, in_memory_page
from api.routers.compliance.queries import (
    CURRENT_METRICS,
    TEST_COLUMNS,
    TREND_COLUMNS,
    applied_levels,
    history_page,
    require_run,
    result_rows,
    summary_of,
)
from api.routers.compliance.schemas import (
    AppliedTestsOut,
    ComplianceOut,
    ComplianceTestDetailOut,
    HistoryEntryOut,
    TestDefinitionOut,
    TrendOut,
)
from api.routers.provenance.links import composite_id, provenance_link

router = APIRouter(tags=["clo compliance"], dependencies=[requires_clo()])
ERRORS = error_responses(401, 403, 404, 422, 429, 503)
LIST_ERRORS = error_responses(401, 403, 422, 429, 503)
TestId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$", description="Test id.")]
HISTORY = TypeAdapter(list[HistoryEntryOut])
DEFINITIONS = TypeAdapter(list[TestDefinitionOut])


def _linked(test: dict[str, Any], workbook_id: str) -> dict[str, Any]:
    """A test row with its `links.provenance` (compliance_result `<workbook_id>:<test_id>`)."""
    return test | {"links": provenance_link("compliance_result", composite_id(workbook_id, test["id"]))}


@router.get("/workbooks/{workbook_id}/compliance", summary="Get all compliance test results", responses=ERRORS)
async def get_compliance(db: Db, caller: Caller, workbook_id: WorkbookId) -> ComplianceOut:
    """Every test of the current run of the workbook's report date, with cushion, trend and the deal's history."""
    run = await require_run(db, caller.tenant_id, str(workbook_id))
    rows = await result_rows(db, run, TEST_COLUMNS)
    return ComplianceOut.model_validate(
        {
            "workbook_id": run.workbook_id,
            "deal_id": run.deal_id,
            "report_date": run.report_date.isoformat(),
            "executed_at": run.executed_at,
            "summary": summary_of(run),
            "tests": [_linked(row._asdict(), run.workbook_id) for row in rows],
        }
    )


@router.get(
    "/workbooks/{workbook_id}/compliance/history", summary="Get historical compliance results", responses=ERRORS
)
async def get_compliance_history(
    db: Db, runtime: AppRuntime, caller: Caller, workbook_id: WorkbookId, page: AscPageQuery
) -> Page[HistoryEntryOut]:
    """Every report date of the workbook's deal up to its own: the current run's workbook, summary and test values."""
    run = await require_run(db, caller.tenant_id, str(workbook_id))
    rows, info = await history_page(db, runtime.counts, run, page)
    data = HISTORY.validate_python([row._asdict() | {"summary": summary_of(row)} for row in rows])
    return Page[HistoryEntryOut](data=data, pagination=info)


@router.get("/workbooks/{workbook_id}/compliance/trend", summary="Get compliance trends", responses=ERRORS)
async def get_compliance_trend(db: Db, caller: Caller, workbook_id: WorkbookId) -> TrendOut:
    """Each test's trend and the last three values it was computed from (stored trend as of the run)."""
    run = await require_run(db, caller.tenant_id, str(workbook_id))
    rows = await result_rows(db, run, TREND_COLUMNS)
    band = await configuration.document(db, "compliance_setting", "trend_dead_band_pct")
    return TrendOut.model_validate(
        {
            "workbook_id": run.workbook_id,
            "deal_id": run.deal_id,
            "dead_band_pct_of_trigger": (band or {}).get("value"),
            "tests": [row._asdict() for row in rows],
        }
    )


@router.get(
    "/workbooks/{workbook_id}/compliance/tests",
    summary="List the test definitions as applied to a workbook",
    responses=ERRORS,
)
async def get_applied_tests(db: Db, caller: Caller, workbook_id: WorkbookId) -> AppliedTestsOut:
    """Each test the workbook's deal runs, with the trigger and target its own run used.

    Each level says where it came from (sidecar > structure_sheet > profile:<id> > default) and shows the level of
    the profile the deal falls back to beside it.
    """
    applied = await applied_levels(db, caller.tenant_id, str(workbook_id))
    if applied is None:
        raise not_found("compliance results of workbook", str(workbook_id))
    return AppliedTestsOut.model_validate(applied)


@router.get("/compliance/tests", summary="List available test definitions", responses=LIST_ERRORS)
async def list_test_definitions(db: Db, caller: Caller, page: AscPageQuery) -> Page[TestDefinitionOut]:
    """Test definitions of every compliance profile (each profile merged over the default), with its levels.

    The levels a workbook actually used (its Structure / Tests sheet and sidecar override the profile's) are at
    /workbooks/{workbook_id}/compliance/tests.
    """
    items = DEFINITIONS.validate_python(await configuration.documents(db, "compliance_test"))
    data, info = in_memory_page(items, page, key=lambda d: f"{d.profile_id}/{d.id}", sort="profile_test")
    return Page[TestDefinitionOut](data=data, pagination=info)


PER_TEST = frozenset({"test_inputs", "test_values", "ic_by_test"})
"""Intermediates keyed by test id: a test's detail serves its own entry, not all 52."""


def _own(value: Any, name: str, test_id: str) -> Any:
    """An intermediate as one test's detail shows it (its own entry of a per-test map)."""
    return value.get(test_id) if name in PER_TEST and isinstance(value, dict) else value


@router.get("/workbooks/{workbook_id}/compliance/{test_id}", summary="Get specific test details", responses=ERRORS)
async def get_compliance_test(
    db: Db, caller: Caller, workbook_id: WorkbookId, test_id: TestId
) -> ComplianceTestDetailOut:
    """One test of the current run with its history and the intermediates behind its value."""
    run = await require_run(db, caller.tenant_id, str(workbook_id), CURRENT_METRICS)
    rows = await result_rows(db, run, TEST_COLUMNS, test_id)
    if not rows:
        raise not_found("compliance test", test_id)
    metrics: dict[str, Any] = run.metrics or {}
    explained = await configuration.named(db, "compliance_intermediates", [test_id, DEFAULT_INTERMEDIATES])
    names = (explained.get(test_id) or explained.get(DEFAULT_INTERMEDIATES) or {}).get("intermediates", [])
    intermediates = {k: _own(metrics[k], k, test_id) for k in names if k in metrics}
    return ComplianceTestDetailOut.model_validate(
        _linked(rows[0]._asdict(), run.workbook_id) | {"workbook_id": run.workbook_id, "intermediates": intermediates}
    )
