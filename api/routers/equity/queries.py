"""Warehouse reads of the equity routes: tenant-scoped portfolios, positions, Greeks, factors, risk and prices."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api.errors import not_found
from orchestration.equity import tables as t


def current_portfolios(db: Connection, tenant_id: str) -> list[Any]:
    """The tenant's portfolios, the current (latest effective, then latest landed) file of each, by id."""
    p = t.portfolios
    ranked = (
        sa.select(
            p,
            sa.func.row_number()
            .over(partition_by=p.c.portfolio_id, order_by=(p.c.effective_from.desc(), p.c.landed_at.desc()))
            .label("rank"),
        )
        .where(p.c.tenant_id == tenant_id)
        .subquery()
    )
    return list(db.execute(sa.select(ranked).where(ranked.c.rank == 1).order_by(ranked.c.portfolio_id)).all())


def require_portfolio(db: Connection, tenant_id: str, portfolio_id: str | None) -> str:
    """The requested portfolio (404 if not the tenant's) or the tenant's first one."""
    ids = [row.portfolio_id for row in current_portfolios(db, tenant_id)]
    if portfolio_id is None:
        if not ids:
            raise not_found("portfolio", "(any)")
        return ids[0]
    if portfolio_id not in ids:
        raise not_found("portfolio", portfolio_id)
    return portfolio_id


def as_of_day(db: Connection, table: sa.Table, tenant_id: str, portfolio_id: str, as_of: dt.date | None) -> dt.date:
    """The latest computed trading day on or before `as_of` (404 when nothing was computed yet)."""
    query = sa.select(sa.func.max(table.c.as_of_date)).where(
        table.c.tenant_id == tenant_id, table.c.portfolio_id == portfolio_id
    )
    if as_of is not None:
        query = query.where(table.c.as_of_date <= as_of)
    day = db.execute(query).scalar_one_or_none()
    if day is None:
        raise not_found("computed trading day for portfolio", portfolio_id)
    return day


def latest_snapshot_days(db: Connection, tenant_id: str) -> dict[str, dt.date]:
    """Each of the tenant's portfolios' latest snapshot day, by portfolio id."""
    s = t.portfolio_snapshots
    return dict(
        db.execute(
            sa.select(s.c.portfolio_id, sa.func.max(s.c.as_of_date))
            .where(s.c.tenant_id == tenant_id)
            .group_by(s.c.portfolio_id)
        ).all()
    )


def snapshot_on(db: Connection, tenant_id: str, portfolio_id: str, day: dt.date) -> Any:
    """The portfolio's snapshot row on one trading day."""
    s = t.portfolio_snapshots
    return db.execute(
        sa.select(s).where(s.c.tenant_id == tenant_id, s.c.portfolio_id == portfolio_id, s.c.as_of_date == day)
    ).one()


def snapshots_between(
    db: Connection, tenant_id: str, portfolio_id: str, start: dt.date | None, end: dt.date | None
) -> list[Any]:
    """The portfolio's snapshot rows in [start, end] (either bound optional), oldest first."""
    s = t.portfolio_snapshots
    query = sa.select(s).where(s.c.tenant_id == tenant_id, s.c.portfolio_id == portfolio_id)
    if start:
        query = query.where(s.c.as_of_date >= start)
    if end:
        query = query.where(s.c.as_of_date <= end)
    return list(db.execute(query.order_by(s.c.as_of_date)).all())


def position_rows(db: Connection, tenant_id: str, portfolio_id: str, day: dt.date) -> list[Any]:
    """The portfolio's position valuations on one trading day with their Greeks (if any), by ticker."""
    v, g = t.position_valuations, t.position_greeks
    query = (
        sa.select(
            v,
            g.c.source.label("g_source"),
            g.c.position_delta,
            g.c.position_gamma,
            g.c.position_theta,
            g.c.position_vega,
            g.c.position_rho,
            g.c.delta_adjusted_exposure,
        )
        .select_from(
            v.outerjoin(
                g,
                sa.and_(
                    g.c.tenant_id == v.c.tenant_id,
                    g.c.partition_key == v.c.partition_key,
                    g.c.position_id == v.c.position_id,
                ),
            )
        )
        .where(v.c.tenant_id == tenant_id, v.c.portfolio_id == portfolio_id, v.c.as_of_date == day)
        .order_by(v.c.ticker, v.c.position_id)
    )
    return list(db.execute(query).all())


def require_position(db: Connection, tenant_id: str, position_id: str) -> Any:
    """The position's portfolio and latest valued day (`portfolio_id`, `day`), or a 404."""
    v = t.position_valuations
    row = db.execute(
        sa.select(v.c.portfolio_id, sa.func.max(v.c.as_of_date).label("day"))
        .where(v.c.tenant_id == tenant_id, v.c.position_id == position_id)
        .group_by(v.c.portfolio_id)
    ).first()
    if row is None:
        raise not_found("position", position_id)
    return row


def current_tag_counts(db: Connection, tenant_id: str) -> dict[str, int]:
    """How many positions of the tenant's current portfolio files carry each tag."""
    p = t.positions
    keys = [r.partition_key for r in current_portfolios(db, tenant_id)]
    counts: dict[str, int] = defaultdict(int)
    for (tag_list,) in db.execute(sa.select(p.c.tags).where(p.c.tenant_id == tenant_id, p.c.partition_key.in_(keys))):
        for tag in tag_list:
            counts[tag] += 1
    return counts


def greeks_totals(
    db: Connection, tenant_id: str, portfolio_id: str, day: dt.date, view: Literal["portfolio", "longs", "shorts"]
) -> Any:
    """Count, Σ position Greeks, Σ delta-adjusted exposure (`dae`) and mock count (`mock`) over the view."""
    g = t.position_greeks
    dae = sa.func.coalesce(g.c.delta_adjusted_exposure, 0.0)
    filters = [g.c.tenant_id == tenant_id, g.c.portfolio_id == portfolio_id, g.c.as_of_date == day]
    if view == "longs":
        filters.append(dae >= 0)
    elif view == "shorts":
        filters.append(dae < 0)
    return db.execute(
        sa.select(
            sa.func.count().label("count"),
            *(
                sa.func.coalesce(sa.func.sum(g.c[f"position_{x}"]), 0.0).label(x)
                for x in ("delta", "gamma", "theta", "vega", "rho")
            ),
            sa.func.coalesce(sa.func.sum(dae), 0.0).label("dae"),
            sa.func.count().filter(g.c.source == "mock").label("mock"),
        ).where(*filters)
    ).one()


def portfolio_factor_rows(db: Connection, tenant_id: str, portfolio_id: str, day: dt.date) -> list[Any]:
    """The portfolio's factor exposure rows on one trading day."""
    f = t.portfolio_factors
    return list(
        db.execute(
            sa.select(f).where(f.c.tenant_id == tenant_id, f.c.portfolio_id == portfolio_id, f.c.as_of_date == day)
        ).all()
    )


def factor_beta_rows(db: Connection, tenant_id: str, portfolio_id: str, day: dt.date) -> list[Any]:
    """The portfolio's position-by-factor beta rows on one trading day, by ticker then factor."""
    b = t.factor_betas
    return list(
        db.execute(
            sa.select(b)
            .where(b.c.tenant_id == tenant_id, b.c.portfolio_id == portfolio_id, b.c.as_of_date == day)
            .order_by(b.c.ticker, b.c.factor)
        ).all()
    )


def factor_diagnostic_rows(db: Connection, day: dt.date) -> list[Any]:
    """The market-wide factor ETF diagnostics (VIF, correlations) on one trading day."""
    d = t.factor_diagnostics
    return list(db.execute(sa.select(d).where(d.c.tenant_id == t.MARKET_TENANT, d.c.as_of_date == day)).all())


def risk_metrics_row(db: Connection, tenant_id: str, portfolio_id: str, day: dt.date) -> Any:
    """The portfolio's risk metrics row on one trading day."""
    r = t.risk_metrics
    return db.execute(
        sa.select(r).where(r.c.tenant_id == tenant_id, r.c.portfolio_id == portfolio_id, r.c.as_of_date == day)
    ).one()


def holds_ticker(db: Connection, tenant_id: str, symbol: str) -> bool:
    """Whether any positions file of the tenant holds the symbol (as ticker or underlying)."""
    p = t.positions
    held = db.execute(
        sa.select(sa.literal(1))
        .where(p.c.tenant_id == tenant_id, sa.or_(p.c.ticker == symbol, p.c.underlying == symbol))
        .limit(1)
    ).first()
    return held is not None


def price_rows(db: Connection, symbol: str, start: dt.date | None, end: dt.date | None) -> list[Any]:
    """End-of-day bars of one ticker in [start, end] (either bound optional), oldest first."""
    m = t.market_prices
    query = sa.select(m).where(m.c.ticker == symbol)
    if start:
        query = query.where(m.c.price_date >= start)
    if end:
        query = query.where(m.c.price_date <= end)
    return list(db.execute(query.order_by(m.c.price_date)).all())


def backfill_rows(db: Connection, tenant_id: str) -> list[Any]:
    """The tenant's historical backfill progress rows, newest first."""
    b = t.backfill_progress
    return list(db.execute(sa.select(b).where(b.c.tenant_id == tenant_id).order_by(b.c.created_at.desc())).all())
