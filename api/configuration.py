"""Reads of marts.configuration: the configuration documents the ops/configuration asset validated.

The API serves configuration (mapping profiles, alert rules, tolerances, templates, vocabularies) from the
warehouse like every other figure, so it shows what the pipeline runs with and never reads assets_config/.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from api.deps import Reader
from api.marts.ops import configuration as c

EVERY_TENANT = "*"
DEFAULT_INTERMEDIATES = "*"
"""The `compliance_intermediates` entry for a test without its own (orchestration.ops.configuration's name)."""


def _scope(kind: str | Sequence[str], tenant_id: str | None) -> list[sa.ColumnElement[bool]]:
    kinds = [kind] if isinstance(kind, str) else list(kind)
    where = [c.c.kind.in_(kinds)] if len(kinds) > 1 else [c.c.kind == kinds[0]]
    tenants = [EVERY_TENANT] if tenant_id is None else [EVERY_TENANT, tenant_id]
    return [*where, c.c.tenant_id.in_(tenants)]


async def documents(db: Reader, kind: str, tenant_id: str | None = None) -> list[dict[str, Any]]:
    """Every document of `kind` for every tenant (and `tenant_id`'s own), in configuration order."""
    query = sa.select(c.c.document).where(*_scope(kind, tenant_id)).order_by(c.c.position, c.c.name)
    return list((await db.execute(query)).scalars())


async def named(db: Reader, kind: str, names: Sequence[str], tenant_id: str | None = None) -> dict[str, Any]:
    """The documents of `kind` with these names, by name."""
    query = sa.select(c.c.name, c.c.document).where(*_scope(kind, tenant_id), c.c.name.in_(list(names)))
    return {row.name: row.document for row in (await db.execute(query)).all()}


async def document(db: Reader, kind: str, name: str, tenant_id: str | None = None) -> dict[str, Any] | None:
    """One document of `kind` by name, or None."""
    return (await named(db, kind, [name], tenant_id)).get(name)


async def by_kind(db: Reader, kinds: Sequence[str]) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """(name, document) of every tenant-wide document of each kind, in configuration order, in one statement."""
    query = sa.select(c.c.kind, c.c.name, c.c.document).where(*_scope(kinds, None)).order_by(c.c.position, c.c.name)
    out: dict[str, list[tuple[str, dict[str, Any]]]] = {k: [] for k in kinds}
    for row in (await db.execute(query)).all():
        out[row.kind].append((row.name, row.document))
    return out


async def has(db: Reader, kind: str, field: str, value: str) -> bool:
    """Whether a tenant-wide document of `kind` has `field` equal to `value` (e.g. a factor whose etf is SPY)."""
    query = sa.select(c.c.name).where(*_scope(kind, None), c.c.document[field].astext == value).limit(1)
    return (await db.execute(query)).first() is not None
