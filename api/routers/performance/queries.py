"""Warehouse reads of the performance routes (tenant-scoped marts of `api.performance_tables`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api.errors import ApiError, not_found
from api.performance_tables import (
    performance_attribution,
    performance_attribution_totals,
    performance_contribution_totals,
    performance_contributions,
    performance_daily_returns,
    performance_period_returns,
    performance_portfolios,
)

FEES_LINE = "__FEES__"
UNCLASSIFIED = "UNCLASSIFIED"
TOTALS = {"contribution": performance_contribution_totals, "attribution": performance_attribution_totals}


def portfolio_rows(conn: Connection, tenant_id: str) -> Sequence[sa.RowMapping]:
    """Every portfolio row of the tenant, by portfolio id."""
    t = performance_portfolios
    return conn.execute(sa.select(t).where(t.c.tenant_id == tenant_id).order_by(t.c.portfolio_id)).mappings().all()


def load_portfolio(conn: Connection, tenant_id: str, portfolio_id: str) -> sa.RowMapping:
    """The tenant's portfolio row, or a 404."""
    row = (
        conn.execute(
            sa.select(performance_portfolios).where(
                performance_portfolios.c.tenant_id == tenant_id, performance_portfolios.c.portfolio_id == portfolio_id
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise not_found("portfolio", portfolio_id)
    return row


def period_return_rows(
    conn: Connection, portfolio: sa.RowMapping, basis: str, annualization: str, period_name: str | None
) -> Sequence[sa.RowMapping]:
    """The portfolio's period returns of a basis and annualization (one period, or all when None), unordered."""
    t = performance_period_returns
    filters = [
        t.c.tenant_id == portfolio["tenant_id"],
        t.c.partition_key == portfolio["partition_key"],
        t.c.metric_basis == basis,
        t.c.annualization_basis == annualization,
    ]
    if period_name is not None:
        filters.append(t.c.period_name == period_name)
    return conn.execute(sa.select(t).where(*filters)).mappings().all()


def daily_rows(
    conn: Connection, portfolio: sa.RowMapping, start: dt.date | None, end: dt.date | None
) -> Sequence[sa.RowMapping]:
    """The portfolio's daily rows between two days (inclusive, either open), by date."""
    t = performance_daily_returns
    filters = [t.c.tenant_id == portfolio["tenant_id"], t.c.partition_key == portfolio["partition_key"]]
    if start is not None:
        filters.append(t.c.date >= start)
    if end is not None:
        filters.append(t.c.date <= end)
    return conn.execute(sa.select(t).where(*filters).order_by(t.c.date)).mappings().all()


def _contribution_filters(portfolio: sa.RowMapping, selection: dict[str, str]) -> list[sa.ColumnElement[bool]]:
    """The contribution rows of the portfolio for a period, basis, weighting and linking."""
    t = performance_contributions
    filters = [t.c.tenant_id == portfolio["tenant_id"], t.c.partition_key == portfolio["partition_key"]]
    return filters + [t.c[column] == value for column, value in selection.items()]


def grouped_contributions(
    conn: Connection, portfolio: sa.RowMapping, keys: list[str], **selection: str
) -> Sequence[sa.RowMapping]:
    """Contribution summed per `line` label (group values joined with |; __FEES__ kept apart), by label."""
    t = performance_contributions
    parts = [sa.func.coalesce(t.c.group_keys.op("->>")(key), UNCLASSIFIED) for key in keys]
    label = sa.case((t.c.position_id == FEES_LINE, FEES_LINE), else_=sa.func.concat_ws("|", *parts)).label("line")
    stmt = sa.select(label, sa.func.sum(t.c.contribution).label("contribution"))
    stmt = stmt.where(*_contribution_filters(portfolio, selection)).group_by(label)
    return conn.execute(stmt.order_by(label)).mappings().all()


def position_contributions(conn: Connection, portfolio: sa.RowMapping, **selection: str) -> Sequence[sa.RowMapping]:
    """Contribution per position (id, name, group keys), by position id."""
    t = performance_contributions
    stmt = sa.select(t.c.position_id, t.c.position_name, t.c.group_keys, t.c.contribution)
    stmt = stmt.where(*_contribution_filters(portfolio, selection))
    return conn.execute(stmt.order_by(t.c.position_id)).mappings().all()


def attribution_rows(
    conn: Connection, portfolio: sa.RowMapping, period_name: str, group_key: str, model: str, linking: str
) -> Sequence[sa.RowMapping]:
    """The portfolio's attribution rows of one group key, model and linking over a period, by group value."""
    t = performance_attribution
    common = [t.c.tenant_id == portfolio["tenant_id"], t.c.partition_key == portfolio["partition_key"]]
    pick = [t.c.period_name == period_name, t.c.group_key == group_key, t.c.model == model, t.c.linking == linking]
    return conn.execute(sa.select(t).where(*common, *pick).order_by(t.c.group_value)).mappings().all()


def totals_row(
    conn: Connection, what: Literal["contribution", "attribution"], portfolio: sa.RowMapping, **selection: str
) -> sa.RowMapping:
    """The one totals row of a portfolio's file for a selection; 404 when nothing is materialized for it."""
    table = TOTALS[what]
    conditions = [table.c.tenant_id == portfolio["tenant_id"], table.c.partition_key == portfolio["partition_key"]]
    conditions += [table.c[column] == value for column, value in selection.items()]
    total = conn.execute(sa.select(table).where(*conditions)).mappings().first()
    if total is None:
        raise ApiError(404, f"no {what} results are materialized for portfolio {portfolio['portfolio_id']!r} yet")
    return total


def period_row(conn: Connection, portfolio: sa.RowMapping, period: str) -> sa.RowMapping:
    """The period's NET/ACT_365 returns row (its dates and daily rows), or a 404 when not materialized."""
    t = performance_period_returns
    row = (
        conn.execute(
            sa.select(t).where(
                t.c.tenant_id == portfolio["tenant_id"],
                t.c.partition_key == portfolio["partition_key"],
                t.c.period_name == period,
                t.c.metric_basis == "NET",
                t.c.annualization_basis == "ACT_365",
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise ApiError(404, f"period {period!r} has no materialized returns yet")
    return row
