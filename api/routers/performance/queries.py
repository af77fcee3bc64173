"""Warehouse reads of the performance routes: tenant-scoped filters over the marts of `api.marts.performance`.

Every figure (sums per group, period order, notes, the list's as_of) is computed by dbt; these only select.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

import sqlalchemy as sa

from api.deps import Reader
from api.errors import ApiError, not_found
from api.marts.performance import (
    performance_attribution,
    performance_attribution_totals,
    performance_contribution_groups,
    performance_contribution_totals,
    performance_contributions,
    performance_daily_returns,
    performance_period_returns,
    performance_portfolios,
)

FEES_LINE = "__FEES__"
TOTALS = {"contribution": performance_contribution_totals, "attribution": performance_attribution_totals}


async def portfolio_rows(db: Reader, tenant_id: str) -> Sequence[sa.RowMapping]:
    """Every portfolio row of the tenant, by portfolio id."""
    t = performance_portfolios
    stmt = sa.select(t).where(t.c.tenant_id == tenant_id).order_by(t.c.portfolio_id)
    return (await db.execute(stmt)).mappings().all()


async def load_portfolio(db: Reader, tenant_id: str, portfolio_id: str) -> sa.RowMapping:
    """The tenant's portfolio row, or a 404."""
    t = performance_portfolios
    stmt = sa.select(t).where(t.c.tenant_id == tenant_id, t.c.portfolio_id == portfolio_id)
    row = (await db.execute(stmt)).mappings().first()
    if row is None:
        raise not_found("portfolio", portfolio_id)
    return row


def _of(table: sa.Table, portfolio: sa.RowMapping) -> list[sa.ColumnElement[bool]]:
    """The rows of a table that belong to the portfolio's current file."""
    return [table.c.tenant_id == portfolio["tenant_id"], table.c.partition_key == portfolio["partition_key"]]


async def period_return_rows(
    db: Reader, portfolio: sa.RowMapping, basis: str, annualization: str, period_name: str | None
) -> Sequence[sa.RowMapping]:
    """The portfolio's period returns of a basis and annualization (one period, or all when None), in list order."""
    t = performance_period_returns
    filters = [*_of(t, portfolio), t.c.metric_basis == basis, t.c.annualization_basis == annualization]
    if period_name is not None:
        filters.append(t.c.period_name == period_name)
    stmt = sa.select(t).where(*filters).order_by(t.c.period_order.nulls_last(), t.c.period_name)
    return (await db.execute(stmt)).mappings().all()


async def daily_rows(
    db: Reader, portfolio: sa.RowMapping, start: dt.date | None, end: dt.date | None
) -> Sequence[sa.RowMapping]:
    """The portfolio's daily rows between two days (inclusive, either open), by date."""
    t = performance_daily_returns
    filters = _of(t, portfolio)
    if start is not None:
        filters.append(t.c.date >= start)
    if end is not None:
        filters.append(t.c.date <= end)
    return (await db.execute(sa.select(t).where(*filters).order_by(t.c.date))).mappings().all()


async def grouped_contributions(
    db: Reader, portfolio: sa.RowMapping, keys: list[str], **selection: str
) -> Sequence[sa.RowMapping]:
    """The groups dbt summed for the key set, labelled with their values in the order of `keys` (joined with |).

    The fee line keeps the label __FEES__; lines come by label.
    """
    t = performance_contribution_groups
    values = [t.c.group_values[key].astext for key in keys]
    label = sa.case((t.c.is_fee_line, FEES_LINE), else_=sa.func.concat_ws("|", *values)).label("line")
    filters = [*_of(t, portfolio), t.c.key_set == sorted(keys)]
    filters += [t.c[column] == value for column, value in selection.items()]
    stmt = sa.select(label, t.c.contribution, t.c.contribution_group_id).where(*filters).order_by(label)
    return (await db.execute(stmt)).mappings().all()


async def position_contributions(db: Reader, portfolio: sa.RowMapping, **selection: str) -> Sequence[sa.RowMapping]:
    """Contribution per position (id, name, group keys), by position id."""
    t = performance_contributions
    filters = [*_of(t, portfolio), *(t.c[column] == value for column, value in selection.items())]
    columns = (t.c.position_id, t.c.position_name, t.c.group_keys, t.c.contribution, t.c.contribution_id)
    stmt = sa.select(*columns).where(*filters)
    return (await db.execute(stmt.order_by(t.c.position_id))).mappings().all()


async def attribution_rows(
    db: Reader, portfolio: sa.RowMapping, period_name: str, group_key: str, model: str, linking: str
) -> Sequence[sa.RowMapping]:
    """The portfolio's attribution rows of one group key, model and linking over a period, by group value."""
    t = performance_attribution
    pick = [t.c.period_name == period_name, t.c.group_key == group_key, t.c.model == model, t.c.linking == linking]
    stmt = sa.select(t).where(*_of(t, portfolio), *pick).order_by(t.c.group_value)
    return (await db.execute(stmt)).mappings().all()


async def totals_row(
    db: Reader, what: Literal["contribution", "attribution"], portfolio: sa.RowMapping, **selection: str
) -> sa.RowMapping:
    """The one totals row of a portfolio's file for a selection; 404 when nothing is materialized for it."""
    table = TOTALS[what]
    conditions = [*_of(table, portfolio), *(table.c[column] == value for column, value in selection.items())]
    total = (await db.execute(sa.select(table).where(*conditions))).mappings().first()
    if total is None:
        raise ApiError(404, f"no {what} results are materialized for portfolio {portfolio['portfolio_id']!r} yet")
    return total


async def period_row(db: Reader, portfolio: sa.RowMapping, period: str) -> sa.RowMapping:
    """The period's NET/ACT_365 returns row (its dates and daily rows), or a 404 when not materialized."""
    t = performance_period_returns
    pick = [t.c.period_name == period, t.c.metric_basis == "NET", t.c.annualization_basis == "ACT_365"]
    row = (await db.execute(sa.select(t).where(*_of(t, portfolio), *pick))).mappings().first()
    if row is None:
        raise ApiError(404, f"period {period!r} has no materialized returns yet")
    return row
