"""Warehouse reads of the provenance route: lineage, dbt models, cells and contributors, over the marts.

Every read is scoped to the caller's tenant; a lineage row of a partition shared by every tenant (`*`, an equity
trading day) is read too, but only the caller's own files of its sources are served.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from api.deps import Reader
from api.marts import compliance as cm
from api.marts import provenance as p

SHARED_TENANT = "*"
"""ops.lineage's tenant of a partition shared by every tenant."""


async def lineage_rows(db: Reader, tenant: str, keys: Sequence[tuple[str, str]]) -> list[Row[Any]]:
    """The lineage of each (table, partition) for the tenant or shared, in the order of `keys`."""
    if not keys:
        return []
    lineage = p.lineage.c
    wanted = sa.tuple_(lineage.table_name, lineage.partition_key).in_([sa.tuple_(t, k) for t, k in keys])
    statement = sa.select(p.lineage).where(lineage.tenant_id.in_([tenant, SHARED_TENANT]), wanted)
    rows = (await db.execute(statement)).all()
    order = {key: i for i, key in enumerate(keys)}
    return sorted(rows, key=lambda r: (order[(r.table_name, r.partition_key)], r.tenant_id == SHARED_TENANT))


async def dbt_models(db: Reader, relations: Iterable[str]) -> list[Row[Any]]:
    """The models that build `relations` and every model upstream of them (depends_on, walked to the sources)."""
    m = p.dbt_models
    closure = sa.select(m.c.unique_id).where(m.c.relation.in_(list(relations))).cte("closure", recursive=True)
    upstream = sa.func.jsonb_array_elements_text(m.c.depends_on).table_valued("value").alias("upstream")
    step = (
        sa.select(upstream.c.value)
        .select_from(m.join(closure, m.c.unique_id == closure.c.unique_id))
        .join(upstream, sa.true())
    )
    closure = closure.union(step)
    statement = sa.select(m).where(m.c.unique_id.in_(sa.select(closure.c.unique_id))).order_by(m.c.relation)
    return list((await db.execute(statement)).all())


async def holding_cells(db: Reader, tenant: str, holdings: Sequence[tuple[str, str]]) -> list[Row[Any]]:
    """The source cells of each (partition, holding), in the order asked."""
    if not holdings:
        return []
    h = p.holding_cells.c
    wanted = sa.tuple_(h.partition_key, h.holding_id).in_([sa.tuple_(k, i) for k, i in holdings])
    rows = (await db.execute(sa.select(p.holding_cells).where(h.tenant_id == tenant, wanted))).all()
    order = {key: i for i, key in enumerate(holdings)}
    return sorted(rows, key=lambda r: order[(r.partition_key, r.holding_id)])


async def statement_cells(db: Reader, tenant: str, reconciliation_id: str, position_key: str) -> Row[Any] | None:
    """A reconciliation position's statement cells."""
    s = p.statement_cells.c
    where = [s.tenant_id == tenant, s.reconciliation_id == reconciliation_id, s.position_key == position_key]
    return (await db.execute(sa.select(p.statement_cells).where(*where))).first()


async def contributor_rows(db: Reader, tenant: str, partition_key: str, test_id: str) -> list[Row[Any]]:
    """A compliance result's contributions, rank order, each with the numerator (their sum) beside it."""
    c = cm.compliance_contributions.c
    numerator = sa.func.sum(c.contribution).over().label("numerator")
    statement = (
        sa.select(
            c.rank,
            c.row_kind,
            c.holding_id,
            c.cusip,
            c.issuer_name,
            c.sheet,
            c.row_index,
            c.holdings,
            sa.cast(c.contribution, sa.Float).label("contribution"),
            sa.cast(c.share, sa.Float).label("share"),
            c.measure,
            c.source_cells,
            sa.cast(numerator, sa.Float).label("numerator"),
        )
        .where(c.tenant_id == tenant, c.partition_key == partition_key, c.test_id == test_id)
        .order_by(c.rank)
    )
    return list((await db.execute(statement)).all())
