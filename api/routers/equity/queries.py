"""Warehouse reads of the equity routes, all over `marts.equity_*` views and all tenant-scoped.

A day-scoped read takes the latest computed trading day on or before `as_of` (the latest one when omitted) in
the same statement as its rows where it can, and answers 404 when no day was computed yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.sql import ColumnElement

from api.deps import Reader, records
from api.errors import not_found
from api.marts import equity as m
from api.marts.ops import configuration as cfg

GroupBy = Literal["type", "tag"]
TagMode = Literal["any", "all"]
View = Literal["portfolio", "longs", "shorts"]

BETA_WINDOW = (
    sa.select(cfg.c.document["beta_window"].as_integer())
    .where(cfg.c.kind == "equity_setting", cfg.c.tenant_id == "*", cfg.c.name == "factors")
    .scalar_subquery()
    .label("window_days")
)
"""factors.yaml's beta window as ops/configuration validated it."""

GROUP_COLUMNS = (
    m.position_groups.c.group_key.label("key"),
    m.position_groups.c.position_count.label("count"),
    m.position_groups.c.market_value,
    m.position_groups.c.exposure,
    m.position_groups.c.daily_pnl,
    m.position_groups.c.position_ids,
)


def scope(table: sa.Table, tenant_id: str, portfolio_id: str) -> list[ColumnElement[bool]]:
    """The tenant and portfolio filters of a portfolio-scoped mart."""
    return [table.c.tenant_id == tenant_id, table.c.portfolio_id == portfolio_id]


def _on_or_before(table: sa.Table, as_of: dt.date | None) -> list[ColumnElement[bool]]:
    """The `as_of` bound of a day-scoped read (none when omitted)."""
    return [] if as_of is None else [table.c.as_of_date <= as_of]


def _no_day(portfolio_id: str) -> Exception:
    """The 404 of a portfolio with nothing computed on or before the asked day."""
    return not_found("computed trading day for portfolio", portfolio_id)


async def portfolio_rows(db: Reader, tenant_id: str) -> Sequence[sa.Row[Any]]:
    """The tenant's portfolios (current file of each, position count, latest snapshot day), by id."""
    p = m.portfolios
    columns = [p.c[name] for name in ("portfolio_id", "name", "base_currency", "position_count", "effective_from")]
    query = sa.select(*columns, p.c.as_of_date).where(p.c.tenant_id == tenant_id).order_by(p.c.portfolio_id)
    return (await db.execute(query)).all()


async def require_portfolio(db: Reader, tenant_id: str, portfolio_id: str | None) -> str:
    """The requested portfolio (404 if not the tenant's) or the tenant's first one by id (404 if none)."""
    p = m.portfolios
    query = sa.select(p.c.portfolio_id).where(p.c.tenant_id == tenant_id)
    if portfolio_id is not None:
        query = query.where(p.c.portfolio_id == portfolio_id)
    found = (await db.execute(query.order_by(p.c.portfolio_id).limit(1))).scalar()
    if found is None:
        raise not_found("portfolio", portfolio_id or "(any)")
    return str(found)


async def snapshot_row(
    db: Reader, tenant_id: str, portfolio_id: str, as_of: dt.date | None, columns: Sequence[ColumnElement[Any]]
) -> sa.Row[Any]:
    """The portfolio's snapshot on its latest computed day on or before `as_of` (404 when none)."""
    d = m.portfolio_daily
    query = (
        sa.select(*columns)
        .where(*scope(d, tenant_id, portfolio_id), *_on_or_before(d, as_of))
        .order_by(d.c.as_of_date.desc())
        .limit(1)
    )
    row = (await db.execute(query)).first()
    if row is None:
        raise _no_day(portfolio_id)
    return row


async def snapshot_rows(
    db: Reader,
    tenant_id: str,
    portfolio_id: str,
    start: dt.date | None,
    end: dt.date | None,
    columns: Sequence[ColumnElement[Any]],
) -> Sequence[sa.Row[Any]]:
    """The portfolio's snapshots in [start, end] (either bound optional), oldest first."""
    d = m.portfolio_daily
    query = sa.select(*columns).where(*scope(d, tenant_id, portfolio_id))
    if start:
        query = query.where(d.c.as_of_date >= start)
    if end:
        query = query.where(d.c.as_of_date <= end)
    return (await db.execute(query.order_by(d.c.as_of_date))).all()


async def position_day(db: Reader, tenant_id: str, portfolio_id: str, as_of: dt.date | None) -> dt.date:
    """The portfolio's latest valued trading day on or before `as_of` (404 when none)."""
    p = m.position_daily
    query = sa.select(sa.func.max(p.c.as_of_date)).where(*scope(p, tenant_id, portfolio_id), *_on_or_before(p, as_of))
    day: dt.date | None = (await db.execute(query)).scalar()
    if day is None:
        raise _no_day(portfolio_id)
    return day


def _position_filters(
    table: sa.Table, types: Sequence[str], tags: Sequence[str], tag_mode: TagMode
) -> list[ColumnElement[bool]]:
    """Position type in `types` (when given) and tags matching any or all of `tags` (when given)."""
    filters: list[ColumnElement[bool]] = []
    if types:
        filters.append(table.c.position_type.in_(list(types)))
    if tags:
        wanted = sa.literal(list(tags), ARRAY(sa.Text))
        filters.append(table.c.tags.has_all(wanted) if tag_mode == "all" else table.c.tags.has_any(wanted))
    return filters


async def position_rows(
    db: Reader,
    tenant_id: str,
    portfolio_id: str,
    day: dt.date,
    columns: Sequence[ColumnElement[Any]],
    types: Sequence[str] = (),
    tags: Sequence[str] = (),
    tag_mode: TagMode = "any",
) -> Sequence[sa.Row[Any]]:
    """The portfolio's positions on one trading day, filtered by type and tags, by ticker then id."""
    p = m.position_daily
    query = (
        sa.select(*columns)
        .where(*scope(p, tenant_id, portfolio_id), p.c.as_of_date == day, *_position_filters(p, types, tags, tag_mode))
        .order_by(p.c.ticker, p.c.position_id)
    )
    return (await db.execute(query)).all()


async def position_groups(
    db: Reader,
    tenant_id: str,
    portfolio_id: str,
    day: dt.date,
    group_by: GroupBy,
    types: Sequence[str] = (),
    tags: Sequence[str] = (),
    tag_mode: TagMode = "any",
) -> Sequence[sa.Row[Any]]:
    """The day's groups (`key`, `count`, sums, `position_ids`) by group key, over the filtered positions.

    Unfiltered, they are `marts.equity_position_groups` as dbt summed them. A type or tag filter narrows the
    positions first, so those groups are summed here, over the same group membership
    (`marts.equity_position_group_members`) and with the same sums: no mart can hold every filter's groups.
    """
    if not types and not tags:
        g = m.position_groups
        query = sa.select(*GROUP_COLUMNS).where(
            *scope(g, tenant_id, portfolio_id), g.c.as_of_date == day, g.c.group_by == group_by
        )
        return (await db.execute(query.order_by(g.c.group_key.collate("C")))).all()
    x = m.position_group_members
    query = (
        sa.select(
            x.c.group_key.label("key"),
            sa.func.count().label("count"),
            sa.func.sum(x.c.market_value).label("market_value"),
            sa.func.sum(x.c.exposure).label("exposure"),
            sa.func.sum(x.c.daily_pnl).label("daily_pnl"),
            sa.func.array_agg(aggregate_order_by(x.c.position_id, x.c.ticker, x.c.position_id)).label("position_ids"),
        )
        .where(
            *scope(x, tenant_id, portfolio_id),
            x.c.as_of_date == day,
            x.c.group_by == group_by,
            *_position_filters(x, types, tags, tag_mode),
        )
        .group_by(x.c.group_key)
        .order_by(x.c.group_key.collate("C"))
    )
    return (await db.execute(query)).all()


async def position_row(
    db: Reader, tenant_id: str, position_id: str, portfolio_id: str | None, columns: Sequence[ColumnElement[Any]]
) -> sa.Row[Any]:
    """The position on its latest valued day, in `portfolio_id` or else the first portfolio (by id) holding it."""
    p = m.position_daily
    query = sa.select(*columns).where(p.c.tenant_id == tenant_id, p.c.position_id == position_id)
    if portfolio_id is not None:
        query = query.where(p.c.portfolio_id == portfolio_id)
    row = (await db.execute(query.order_by(p.c.portfolio_id, p.c.as_of_date.desc()).limit(1))).first()
    if row is None:
        raise not_found("position", position_id)
    return row


async def tag_count_rows(db: Reader, tenant_id: str, tags: Sequence[str] | None = None) -> Sequence[sa.Row[Any]]:
    """`name`, `color`, `position_count` by tag: the tags on current positions, or these `tags` (count 0 allowed)."""
    t = m.tag_counts
    query = sa.select(t.c.tag.label("name"), t.c.color, t.c.position_count).where(t.c.tenant_id == tenant_id)
    scope = t.c.tag.in_(list(tags)) if tags is not None else t.c.position_count > 0
    query = query.where(scope)
    return (await db.execute(query.order_by(t.c.tag.collate("C")))).all()


async def greeks_row(db: Reader, tenant_id: str, portfolio_id: str, as_of: dt.date | None, view: View) -> sa.Row[Any]:
    """The view's Greeks totals on the latest day with Greeks on or before `as_of` (404 when none)."""
    g = m.greeks_by_view
    columns = [g.c[name] for name in ("as_of_date", "delta", "gamma", "theta", "vega", "rho")]
    query = (
        sa.select(
            *columns,
            g.c.position_count.label("count"),
            g.c.delta_adjusted_exposure,
            g.c.mock_positions,
        )
        .where(*scope(g, tenant_id, portfolio_id), g.c.view_name == view, *_on_or_before(g, as_of))
        .order_by(g.c.as_of_date.desc())
        .limit(1)
    )
    row = (await db.execute(query)).first()
    if row is None:
        raise _no_day(portfolio_id)
    return row


async def factor_day(db: Reader, tenant_id: str, portfolio_id: str, as_of: dt.date | None) -> tuple[dt.date, Any]:
    """The portfolio's latest day with factor exposures on or before `as_of` (404 when none) and the beta window."""
    f = m.factor_exposures
    query = sa.select(sa.func.max(f.c.as_of_date), BETA_WINDOW).where(
        *scope(f, tenant_id, portfolio_id), *_on_or_before(f, as_of)
    )
    day, window = (await db.execute(query)).one()
    if day is None:
        raise _no_day(portfolio_id)
    return day, window


def factor_rank(factor: ColumnElement[Any]) -> ColumnElement[Any]:
    """The factor's place in factors.yaml (marts.configuration) to order by; a factor it does not list sorts last."""
    c = cfg
    place = sa.select(c.c.position).where(c.c.kind == "equity_factor", c.c.tenant_id == "*", c.c.name == factor)
    return sa.nulls_last(place.scalar_subquery().asc())


async def day_rows(
    db: Reader,
    table: sa.Table,
    day: dt.date,
    columns: Sequence[ColumnElement[Any]],
    filters: Sequence[ColumnElement[bool]] = (),
    order_by: Sequence[ColumnElement[Any]] = (),
) -> list[dict[str, Any]]:
    """The rows (as dicts) of a day-scoped mart on one trading day, with more filters, in `order_by` order."""
    query = sa.select(*columns).where(table.c.as_of_date == day, *filters).order_by(*order_by)
    return records(await db.execute(query))


async def risk_metrics_row(
    db: Reader, tenant_id: str, portfolio_id: str, as_of: dt.date | None, columns: Sequence[ColumnElement[Any]]
) -> sa.Row[Any]:
    """The portfolio's risk metrics on the latest day on or before `as_of` (404 when none)."""
    r = m.risk_metrics
    query = (
        sa.select(*columns)
        .where(*scope(r, tenant_id, portfolio_id), *_on_or_before(r, as_of))
        .order_by(r.c.as_of_date.desc())
        .limit(1)
    )
    row = (await db.execute(query)).first()
    if row is None:
        raise _no_day(portfolio_id)
    return row


async def holds_symbol(db: Reader, tenant_id: str, symbol: str) -> bool:
    """Whether any positions file of the tenant holds the symbol (as ticker or underlying)."""
    h = m.held_symbols
    query = sa.select(h.c.symbol).where(h.c.tenant_id == tenant_id, h.c.symbol == symbol).limit(1)
    return (await db.execute(query)).first() is not None


async def price_rows(
    db: Reader, symbol: str, start: dt.date | None, end: dt.date | None, columns: Sequence[ColumnElement[Any]]
) -> Sequence[sa.Row[Any]]:
    """End-of-day bars of one ticker in [start, end] (either bound optional), oldest first."""
    p = m.market_prices
    query = sa.select(*columns).where(p.c.ticker == symbol)
    if start:
        query = query.where(p.c.as_of_date >= start)
    if end:
        query = query.where(p.c.as_of_date <= end)
    return (await db.execute(query.order_by(p.c.as_of_date))).all()


async def backfill_rows(db: Reader, tenant_id: str, columns: Sequence[ColumnElement[Any]]) -> Sequence[sa.Row[Any]]:
    """The tenant's historical backfill progress rows, newest first."""
    b = m.backfill_progress
    query = sa.select(*columns).where(b.c.tenant_id == tenant_id).order_by(b.c.created_at.desc())
    return (await db.execute(query)).all()
