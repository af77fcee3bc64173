"""Warehouse reads of the compliance routes (tenant-scoped, over the marts) and two the CLO workbook routes use.

A workbook's compliance routes serve the *current* run of its report date (`clo_compliance_summary.is_current`:
the deal's latest run for that date), so a re-run for the same date replaces the earlier run everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Row

from api.deps import Reader
from api.errors import not_found
from api.marts.compliance import compliance_applied_levels as al
from api.marts.compliance import compliance_summary as s
from api.marts.compliance import compliance_tests as t
from api.marts.compliance import holding_compliance as hc
from api.pagination import CountCache, PageInfo, PageParams, keyset

F = sa.Float

TEST_COLUMNS: tuple[Any, ...] = (
    t.c.test_id.label("id"),
    t.c.name,
    t.c.category,
    t.c.direction,
    t.c.unit,
    t.c.status,
    sa.cast(t.c.current_value, F).label("current_value"),
    sa.cast(t.c.trigger_level, F).label("trigger_level"),
    sa.cast(t.c.target_level, F).label("target_level"),
    sa.cast(t.c.cushion, F).label("cushion"),
    sa.cast(t.c.cushion_pct, F).label("cushion_pct"),
    t.c.trend,
    t.c.history,
)
"""A test in `ComplianceTestOut`'s shape (floats, as the API serves them), history newest first."""

TREND_COLUMNS: tuple[Any, ...] = (
    t.c.test_id.label("id"),
    t.c.name,
    t.c.direction,
    t.c.trend,
    sa.cast(t.c.trigger_level, F).label("trigger_level"),
    t.c.trend_values.label("values"),
    sa.cast(t.c.dead_band, F).label("dead_band"),
)

RUN_COLUMNS: tuple[Any, ...] = (
    s.c.tenant_id,
    s.c.partition_key,
    s.c.workbook_id,
    s.c.deal_id,
    s.c.report_date,
    s.c.executed_at,
    s.c.total_tests,
    s.c.passed,
    s.c.failed,
    s.c.warning,
)


def summary_of(run: Any) -> dict[str, int]:
    """The run's status counts in the seed's summary shape."""
    return {"total_tests": run.total_tests, "passed": run.passed, "failed": run.failed, "warning": run.warning}


async def current_run(db: Reader, tenant_id: str, workbook_id: str, *extra: Any) -> Row[Any] | None:
    """The current run of the workbook's report date (its own run unless a later one replaced it), or None.

    Two statements: the workbook's deal and date first, so the second filters the view by constants that reach
    the warehouse indexes (a join would evaluate the counts of every run of the tenant).
    """
    own = (
        await db.execute(
            sa.select(s.c.deal_id, s.c.report_date).where(s.c.tenant_id == tenant_id, s.c.workbook_id == workbook_id)
        )
    ).first()
    if own is None:
        return None
    stmt = sa.select(*RUN_COLUMNS, *extra).where(
        s.c.tenant_id == tenant_id, s.c.deal_id == own.deal_id, s.c.report_date == own.report_date, s.c.is_current
    )
    return (await db.execute(stmt)).first()


async def require_run(db: Reader, tenant_id: str, workbook_id: str, *extra: Any) -> Row[Any]:
    """The current run, or the 404 every compliance route answers for a workbook without results.

    `extra` adds columns of the current run's summary row (e.g. `CURRENT_METRICS`).
    """
    run = await current_run(db, tenant_id, workbook_id, *extra)
    if run is None:
        raise not_found("compliance results of workbook", workbook_id)
    return run


CURRENT_METRICS = s.c.metrics
"""The current run's intermediates: an extra column for `require_run` (the test detail route)."""


async def result_rows(db: Reader, run: Any, columns: Sequence[Any], test_id: str | None = None) -> list[Row[Any]]:
    """The run's test rows (all, or one test) in profile order, with the given mart columns."""
    stmt = sa.select(*columns).where(
        t.c.tenant_id == run.tenant_id, t.c.deal_id == run.deal_id, t.c.partition_key == run.partition_key
    )
    if test_id is not None:
        stmt = stmt.where(t.c.test_id == test_id)
    return list((await db.execute(stmt.order_by(t.c.sort_order))).all())


async def history_page(
    db: Reader, counts: CountCache, run: Any, page: PageParams
) -> tuple[list[dict[str, Any]], PageInfo]:
    """One page of the deal's current runs up to the run's date, by report date, and its page info.

    One current run per deal and date (a dbt test), so the ISO date is both the sort value and the id.
    """
    day = sa.func.to_char(s.c.report_date, "YYYY-MM-DD")
    return await keyset(
        db,
        counts,
        page,
        columns=[
            day.label("report_date"),
            s.c.workbook_id,
            s.c.executed_at,
            s.c.total_tests,
            s.c.passed,
            s.c.failed,
            s.c.warning,
            s.c.test_points.label("tests"),
        ],
        filters=[
            s.c.tenant_id == run.tenant_id,
            s.c.deal_id == run.deal_id,
            s.c.is_current,
            s.c.report_date <= run.report_date,
        ],
        count_from=s,
        sort="report_date",
        sort_expr=day,
        kind="text",
        id_expr=day,
        count_key=("compliance_history", run.tenant_id, run.deal_id, run.report_date),
        build=lambda row: row,
    )


async def compliance_metrics(db: Reader, tenant_id: str, workbook_id: str) -> dict[str, Any] | None:
    """For /workbooks/{id}/metrics: summary, deal and every intermediate of the workbook's own run, or None.

    The workbook's own run (not the current run of its date): these intermediates describe its own holdings.
    """
    run = (
        await db.execute(
            sa.select(
                s.c.executed_at,
                s.c.report_date,
                s.c.deal_id,
                s.c.total_tests,
                s.c.passed,
                s.c.failed,
                s.c.warning,
                s.c.metrics,
                s.c.deal,
            ).where(s.c.tenant_id == tenant_id, s.c.workbook_id == workbook_id)
        )
    ).first()
    if run is None:
        return None
    return {
        "executed_at": run.executed_at.isoformat(),
        "report_date": run.report_date.isoformat(),
        "deal_id": run.deal_id,
        "summary": summary_of(run),
        "metrics": run.metrics,
        "deal": run.deal,
    }


async def applied_levels(db: Reader, tenant_id: str, workbook_id: str) -> dict[str, Any] | None:
    """For /workbooks/{id}/compliance/tests: the workbook's own run and its tests' applied levels, or None.

    The workbook's own run (not the current run of its date): the levels come from its own sidecar and sheets.
    """
    run = (
        await db.execute(
            sa.select(s.c.partition_key, s.c.workbook_id, s.c.deal_id, s.c.report_date, s.c.executed_at, s.c.is_current)
            .where(s.c.tenant_id == tenant_id, s.c.workbook_id == workbook_id)
            .order_by(s.c.executed_at.desc())
            .limit(1)
        )
    ).first()
    if run is None:
        return None
    rows = (
        await db.execute(
            sa.select(al)
            .where(al.c.tenant_id == tenant_id, al.c.partition_key == run.partition_key)
            .order_by(al.c.sort_order)
        )
    ).all()
    return {
        "workbook_id": run.workbook_id,
        "deal_id": run.deal_id,
        "report_date": run.report_date.isoformat(),
        "executed_at": run.executed_at,
        "profile_id": rows[0].profile_id if rows else None,
        "is_current": run.is_current,
        "tests": [
            {
                "id": row.test_id,
                "name": row.name,
                "category": row.category,
                "direction": row.direction,
                "unit": row.unit,
                **{
                    kind: {
                        "level": float(row._mapping[f"{kind}_level"]),
                        "source": row._mapping[f"{kind}_source"],
                        "profile_level": _float(row._mapping[f"profile_{kind}_level"]),
                        "differs_from_profile": row._mapping[f"{kind}_differs_from_profile"],
                    }
                    for kind in ("trigger", "target")
                },
            }
            for row in rows
        ],
    }


def _float(value: Any) -> float | None:
    """A NUMERIC as the API serves it (a float), None kept."""
    return None if value is None else float(value)


HOLDING_FIELDS = (
    "effective_rating",
    "rating_source",
    "rating_factor",
    "in_ccc_bucket",
    "years_to_maturity",
    "moodys_derived_rating",
    "moodys_derived_source",
    "sp_basis_rating",
    "is_discount_obligation",
    "par_in_ccc_excess",
    "carrying_value",
)


async def holding_compliance_fields(
    db: Reader, tenant_id: str, workbook_id: str, holding_ids: Iterable[str] | None = None
) -> dict[str, dict[str, Any]]:
    """For the holdings routes: holding_id → the compliance fields of the workbook's own run.

    Fields: `HOLDING_FIELDS` (issue 4's rating and CCC fields, issue 21's derived ratings, discount flag and
    carrying value); optionally only the given holdings.
    """
    stmt = sa.select(
        hc.c.holding_id,
        hc.c.effective_rating,
        hc.c.rating_source,
        sa.cast(hc.c.rating_factor, F).label("rating_factor"),
        hc.c.in_ccc_bucket,
        sa.cast(hc.c.years_to_maturity, F).label("years_to_maturity"),
        hc.c.moodys_derived_rating,
        hc.c.moodys_derived_source,
        hc.c.sp_basis_rating,
        hc.c.is_discount_obligation,
        sa.cast(hc.c.par_in_ccc_excess, F).label("par_in_ccc_excess"),
        sa.cast(hc.c.carrying_value, F).label("carrying_value"),
    ).where(hc.c.tenant_id == tenant_id, hc.c.workbook_id == workbook_id)
    parameters: dict[str, Any] = {}
    if holding_ids is not None:
        # One array parameter, not an IN list of up to 200: the statement compiles once and stays prepared.
        stmt = stmt.where(hc.c.holding_id == sa.any_(sa.bindparam("holding_ids", type_=ARRAY(sa.Text))))
        parameters["holding_ids"] = list(holding_ids)
    rows = (await db.execute(stmt, parameters)).all()
    return {row[0]: dict(zip(HOLDING_FIELDS, row[1:], strict=True)) for row in rows}
