"""From (kind, id) to the partitions behind a served figure: one resolver per kind, each over the mart its route reads.

A resolver answers None for an id that is malformed, unknown or another tenant's (the route's 404 cannot tell them
apart). Otherwise a `Subject`: the (table, partition) keys into marts.provenance_lineage (the figure's own first),
the marts the API serves the kind from, and where its cells and contributors are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from api.deps import Reader
from api.marts import clo, covenants
from api.marts import compliance as cm
from api.marts import performance as pm
from api.marts import provenance as p
from api.routers.provenance.schemas import Kind


@dataclass(frozen=True)
class Subject:
    """What the provenance of one figure reads."""

    keys: list[tuple[str, str]]
    """(table, partition_key) of every partition behind the figure, its own first."""
    marts: tuple[str, ...]
    """Relations the API serves the kind from (`schema.name`)."""
    holdings: list[tuple[str, str]] = field(default_factory=list)
    """(partition_key, holding_id) of the holdings whose cells are shown."""
    statement: tuple[str, str] | None = None
    """(reconciliation_id, position_key) of a variance's statement position."""
    result: tuple[str, str] | None = None
    """(partition_key, test_id) of a compliance result, whose contributors are shown."""


Resolver = Callable[[Reader, str, str], Awaitable[Subject | None]]


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _tail(item_id: str, parts: int) -> list[str] | None:
    """The id's head and its last `parts` `:`-separated parts (the head may hold `:` itself), or None."""
    split = item_id.rsplit(":", parts)
    return split if len(split) == parts + 1 and all(split) else None


async def _first(db: Reader, statement: sa.Select[tuple[str]]) -> str | None:
    """The first row's one column, or None."""
    return (await db.execute(statement.limit(1))).scalar()


async def holding(db: Reader, tenant: str, item_id: str) -> Subject | None:
    """The holding's workbook partition (holdings and the workbook row), with its own cells."""
    h = clo.holdings.c
    found = await _first(db, sa.select(h.partition_key).where(h.tenant_id == tenant, h.holding_id == item_id))
    if found is None:
        return None
    keys = [("analytics.clo_holdings", found), ("raw.clo_workbooks", found)]
    return Subject(keys, ("marts.clo_holdings",), holdings=[(found, item_id)])


async def compliance_result(db: Reader, tenant: str, item_id: str) -> Subject | None:
    """The test in the current run of the workbook's report date (what /workbooks/{id}/compliance serves)."""
    workbook_id, _, test_id = item_id.partition(":")
    s, t = cm.compliance_summary.c, cm.compliance_tests.c
    own = (
        await db.execute(sa.select(s.deal_id, s.report_date).where(s.tenant_id == tenant, s.workbook_id == workbook_id))
    ).first()
    if own is None or not test_id:
        return None
    current = sa.select(s.partition_key).where(
        s.tenant_id == tenant, s.deal_id == own.deal_id, s.report_date == own.report_date, s.is_current
    )
    run = await _first(db, current)
    found = run and await _first(
        db,
        sa.select(t.partition_key).where(
            t.tenant_id == tenant, t.deal_id == own.deal_id, t.partition_key == run, t.test_id == test_id
        ),
    )
    if not found:
        return None
    tables = ("analytics.clo_compliance_results", "analytics.clo_compliance_contributions", "analytics.clo_holdings")
    marts = ("marts.clo_compliance_tests", "marts.clo_compliance_contributions")
    return Subject([(table, found) for table in tables], marts, result=(found, test_id))


async def variance(db: Reader, tenant: str, item_id: str) -> Subject | None:
    """The statement's partition, and the workbook's for the internal holding; cells of both sides."""
    v = p.variances.c
    row = (await db.execute(sa.select(p.variances).where(v.tenant_id == tenant, v.variance_id == item_id))).first()
    if row is None:
        return None
    keys = [("analytics.reconciliation_variances", row.partition_key)]
    keys.append(("analytics.reconciliation_positions", row.partition_key))
    holdings = []
    if row.workbook_partition_key is not None:
        keys.append(("analytics.clo_holdings", row.workbook_partition_key))
        if row.holding_id is not None:
            holdings.append((row.workbook_partition_key, row.holding_id))
    statement = (row.reconciliation_id, row.position_key)
    return Subject(keys, ("marts.reconciliation_variances",), holdings=holdings, statement=statement)


EQUITY_MARTS = {
    Kind.POSITION_VALUATION: "marts.equity_position_daily",
    Kind.BETA: "marts.equity_factor_betas",
    Kind.RISK_METRIC: "marts.equity_risk_metrics",
}


def _equity(kind: Kind) -> Resolver:
    """A resolver of an equity figure: the trading day's partition and the positions file governing that day."""

    async def resolve(db: Reader, tenant: str, item_id: str) -> Subject | None:
        parts = _tail(item_id, 1)
        day = _date(parts[1]) if parts else None
        if parts is None or day is None:
            return None
        e = p.equity_figures.c
        where = [e.kind == kind.value, e.tenant_id == tenant, e.as_of_date == day]
        if kind is Kind.RISK_METRIC:
            where.append(e.portfolio_id == parts[0])
        elif kind is Kind.BETA:
            position_id, _, factor = parts[0].partition(":")
            where += [e.position_id == position_id, e.factor == factor]
        else:
            where.append(e.position_id == parts[0])
        row = (await db.execute(sa.select(p.equity_figures).where(*where).limit(1))).first()
        if row is None:
            return None
        keys = [(row.table_name, row.partition_key)]
        if row.positions_partition_key is not None:
            keys.append(("raw.equity_positions", row.positions_partition_key))
        return Subject(keys, (EQUITY_MARTS[kind],))

    return resolve


async def covenant_evaluation(db: Reader, tenant: str, item_id: str) -> Subject | None:
    """The partition (landed file) whose evaluation of the covenant and period is the current one."""
    parts = _tail(item_id, 2)
    start, end = (_date(parts[1]), _date(parts[2])) if parts else (None, None)
    if parts is None or start is None or end is None:
        return None
    e = covenants.evaluations.c
    where = [e.tenant_id == tenant, e.covenant_id == parts[0], e.period_start == start, e.period_end == end]
    found = await _first(db, sa.select(e.partition_key).where(*where))
    if found is None:
        return None
    return Subject([("analytics.covenants_evaluations", found)], ("marts.covenant_evaluations",))


ATTRIBUTION_LINES = (
    (pm.performance_contributions, "contribution_id", "analytics.performance_contributions"),
    (pm.performance_attribution, "attribution_id", "analytics.performance_attribution"),
    (pm.performance_contribution_groups, "contribution_group_id", "analytics.performance_contributions"),
)
"""Where a performance line's id may be, in the order tried: (mart, id column, the table its rows come from)."""


async def attribution(db: Reader, tenant: str, item_id: str) -> Subject | None:
    """The portfolio file of a contribution line, contribution group or attribution group (by its mart id)."""
    for mart, column, table in ATTRIBUTION_LINES:
        statement = sa.select(mart.c.partition_key).where(mart.c.tenant_id == tenant, mart.c[column] == item_id)
        found = await _first(db, statement)
        if found is not None:
            keys = [(table, found), ("analytics.performance_portfolios", found)]
            return Subject(keys, (f"marts.{mart.name}",))
    return None


async def pnl(db: Reader, tenant: str, item_id: str) -> Subject | None:
    """Every file whose facts count (the latest per day) for the figure between its first day and endDate."""
    parts = _tail(item_id, 2)
    first, end = (_date(parts[1]), _date(parts[2])) if parts else (None, None)
    if parts is None or first is None or end is None:
        return None
    f = pm.pnl_daily_figures.c
    statement = (
        sa.select(f.partition_key)
        .where(
            f.tenant_id == tenant,
            sa.func.concat(f.portfolio_id, ":", f.figure) == parts[0],
            f.fact_date.between(first, end),
        )
        .group_by(f.partition_key)
        .order_by(sa.func.max(f.fact_date).desc(), f.partition_key)
    )
    files = list((await db.execute(statement)).scalars())
    if not files:
        return None
    return Subject([("raw.pnl_facts", key) for key in files], ("marts.pnl_period_figures",))


RESOLVERS: dict[Kind, Resolver] = {
    Kind.HOLDING: holding,
    Kind.COMPLIANCE_RESULT: compliance_result,
    Kind.VARIANCE: variance,
    Kind.POSITION_VALUATION: _equity(Kind.POSITION_VALUATION),
    Kind.BETA: _equity(Kind.BETA),
    Kind.RISK_METRIC: _equity(Kind.RISK_METRIC),
    Kind.COVENANT_EVALUATION: covenant_evaluation,
    Kind.ATTRIBUTION: attribution,
    Kind.PNL: pnl,
}
