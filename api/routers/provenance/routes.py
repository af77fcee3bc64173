"""`GET /api/v1/provenance/{kind}/{id}`: how a served figure walks back to its files, cells, run and code.

The id of each kind is the one its own route serves (`schemas.ID_FORMATS`; every item's `links.provenance` carries
it). The answer joins the figure's partitions (`resolve.py`) to marts.provenance_lineage (one row per written
table, tenant and partition), the dbt models upstream of the mart the API reads, the holding and statement cells,
and for a compliance result the holdings that make up its numerator. Tenant-scoped: another tenant's id is a 404
like an unknown one; a partition shared by every tenant shows only the caller's own files.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from sqlalchemy.engine import Row

from api.deps import SEED_WORKBOOKS, Caller, Db
from api.errors import ApiError, ErrorCode, error_responses, not_found
from api.routers.provenance import queries as q
from api.routers.provenance.resolve import RESOLVERS, Subject
from api.routers.provenance.schemas import ID_FORMATS, ContributorsOut, Kind, ProvenanceOut

router = APIRouter(tags=["provenance"])
ERRORS = error_responses(401, 403, 404, 422, 429, 503)

CLO = ("read:clo", *SEED_WORKBOOKS)
PERMISSIONS: dict[Kind, tuple[str, ...]] = {
    Kind.HOLDING: CLO,
    Kind.COMPLIANCE_RESULT: CLO,
    Kind.VARIANCE: CLO,
    Kind.POSITION_VALUATION: ("read:equity",),
    Kind.BETA: ("read:equity",),
    Kind.RISK_METRIC: ("read:equity",),
    Kind.COVENANT_EVALUATION: ("read:covenants",),
    Kind.ATTRIBUTION: ("read:performance",),
    Kind.PNL: ("read:pnl",),
}
"""The permission of the routes that serve each kind: reading a figure's provenance needs the figure's."""

ID_DESCRIPTION = "The figure's id as its own route serves it:\n\n" + "\n".join(
    f"- **{kind.value}**: {text}" for kind, text in ID_FORMATS.items()
)


def _cells(document: dict[str, Any] | None) -> dict[str, Any]:
    """A source_cells document as {field: cell}, entries without a cell reference left out."""
    return {name: cell for name, cell in (document or {}).items() if isinstance(cell, dict) and cell.get("cell")}


def _run(row: Row[Any]) -> dict[str, Any]:
    """A marts.provenance_lineage row as RunOut's fields."""
    return {
        "table": row.table_name,
        "partition_key": row.partition_key,
        "shared": row.tenant_id == q.SHARED_TENANT,
        "asset_key": row.asset_key,
        "run_id": row.run_id,
        "code_version": row.code_version,
        "data_version": row.data_version,
        "inputs": row.inputs or {},
        "conventions": row.conventions or {},
        "materialized_at": row.materialized_at,
    }


def _sources(rows: list[Row[Any]], tenant: str) -> list[dict[str, Any]]:
    """The caller's files behind every run, each once (a shared day's run also lists other tenants' files)."""
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in rows:
        for source in row.sources or ():
            key = (source.get("domain"), source.get("partition_key"), source.get("sha256"))
            if source.get("tenant_id") == tenant and key not in seen:
                seen[key] = source
    return list(seen.values())


async def _cell_subjects(db: Db, tenant: str, subject: Subject) -> list[dict[str, Any]]:
    """The cells of the subject's holdings, then of its statement position (when it has any)."""
    out = [
        {
            "subject": "holding",
            "table": "analytics.clo_holdings",
            "partition_key": row.partition_key,
            "id": row.holding_id,
            "sheet": row.sheet,
            "row_index": row.row_index,
            "fields": _cells(row.source_cells),
        }
        for row in await q.holding_cells(db, tenant, subject.holdings)
    ]
    if subject.statement is not None:
        row = await q.statement_cells(db, tenant, *subject.statement)
        if row is not None and row.source_cells:
            out.append(
                {
                    "subject": "statement_position",
                    "table": "analytics.reconciliation_positions",
                    "partition_key": row.partition_key,
                    "id": row.position_key,
                    "row_index": row.external_row,
                    "fields": _cells(row.source_cells),
                }
            )
    return out


async def _contributors(db: Db, tenant: str, subject: Subject) -> ContributorsOut | None:
    """A compliance result's contributors with their numerator (None for other kinds, or none explained)."""
    if subject.result is None:
        return None
    rows = await q.contributor_rows(db, tenant, *subject.result)
    if not rows:
        return None
    holding = next((r for r in rows if r.row_kind == "holding"), rows[0])
    return ContributorsOut.model_validate(
        {
            "measure": holding.measure,
            "numerator": rows[0].numerator,
            "rows": [
                {
                    "rank": r.rank,
                    "kind": r.row_kind,
                    "holding_id": r.holding_id,
                    "cusip": r.cusip,
                    "issuer_name": r.issuer_name,
                    "sheet": r.sheet,
                    "row_index": r.row_index,
                    "holdings": r.holdings,
                    "contribution": r.contribution,
                    "share": r.share,
                    "measure": r.measure,
                    "cells": _cells(r.source_cells) if r.holding_id is not None else None,
                }
                for r in rows
            ],
        }
    )


@router.get("/provenance/{kind}/{item_id}", summary="Get a served figure's provenance", responses=ERRORS)
async def get_provenance(
    db: Db,
    caller: Caller,
    kind: Annotated[Kind, Path(description="What the figure is.")],
    item_id: Annotated[str, Path(min_length=1, max_length=1000, description=ID_DESCRIPTION)],
) -> ProvenanceOut:
    """Files, cells, run, asset, partition, code and data version, dbt models and conventions behind one figure.

    The files with name, sha256 and landing time; the dbt models with their checksums; a compliance result adds the
    holdings that make up its numerator.
    """
    if not any(caller.can(permission) for permission in PERMISSIONS[kind]):
        names = " or ".join(repr(x) for x in PERMISSIONS[kind])
        message = f"the provenance of a {kind.value} needs the {names} permission"
        raise ApiError(403, message, code=ErrorCode.AUTH_INSUFFICIENT_PERMISSIONS)
    tenant = caller.tenant_id
    subject = None if any(ord(c) < 32 for c in item_id) else await RESOLVERS[kind](db, tenant, item_id)
    if subject is None:
        raise not_found(kind.value, item_id)
    lineage = await q.lineage_rows(db, tenant, subject.keys)
    own = subject.keys[0]
    runs = [_run(row) for row in lineage]
    run = next((r for r, row in zip(runs, lineage, strict=True) if (row.table_name, row.partition_key) == own), None)
    models = await q.dbt_models(db, subject.marts)
    return ProvenanceOut.model_validate(
        {
            "kind": kind,
            "id": item_id,
            "tenant_id": tenant,
            "tables": list(dict.fromkeys(table for table, _ in subject.keys)),
            "run": run,
            "upstream": [r for r in runs if r is not run],
            "sources": _sources(lineage, tenant),
            "cells": await _cell_subjects(db, tenant, subject),
            "dbt": [{**m._asdict(), "served": m.relation in subject.marts} for m in models],
            "conventions": run["conventions"] if run else {},
            "contributors": await _contributors(db, tenant, subject),
        }
    )
