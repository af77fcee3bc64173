"""Mapping profiles, alias dictionaries, mapping diagnostics and the supported Excel functions (seed 000).

Profiles and aliases (assets_config/mappings/), the canonical fields and the functions of the `formulas`
library that evaluates formulas are read from marts.configuration (what ops/configuration validated);
diagnostics come from the mart.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from api import configuration
from api.deps import Caller, Db, requires_clo
from api.errors import error_responses, not_found
from api.marts import clo as t
from api.marts.ops import configuration as cfg
from api.pagination import Page, PageQuery
from api.routers.clo_common import WORKBOOK_ID, in_memory_page, require_workbook

router = APIRouter(tags=["clo mappings"], dependencies=[requires_clo()])
ERRORS = error_responses(401, 403, 404, 422, 429, 503)
LIST_ERRORS = error_responses(401, 403, 422, 429, 503)


class FieldMappingOut(BaseModel):
    """Source column and transform of one canonical field."""

    source: str
    transform: str | None


class ProfileOut(BaseModel):
    """A mapping profile (seed 000 Mapping Profile Response)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "bloomberg_clo",
                    "name": "Bloomberg CLO Holdings",
                    "description": "Mapping for Bloomberg CLO fund exports",
                    "version": 3,
                    "created_at": "2026-01-01T00:00:00Z",
                    "updated_at": "2026-01-25T10:00:00Z",
                    "sheet": "Holdings",
                    "mappings": {"cusip": {"source": "CUSIP_ID", "transform": None}},
                    "alias_profile": "bloomberg_clo",
                    "validation_rules": [{"field": "par_amount", "rule": "positive"}],
                }
            ]
        }
    )

    id: str
    name: str
    description: str
    version: int
    created_at: str | None
    updated_at: str | None
    sheet: str | None
    mappings: dict[str, FieldMappingOut]
    alias_profile: str | None
    validation_rules: list[dict[str, Any]]


class AliasProfileOut(BaseModel):
    """An alias dictionary: header aliases per canonical field."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "default",
                    "description": "Common header names for each canonical holding field",
                    "fields": {"cusip": ["cusip", "cusip id"]},
                }
            ]
        }
    )

    name: str
    description: str
    fields: dict[str, list[str]]


class DiagnosticsOut(BaseModel):
    """Seed 000's Auto-Detect Response for a landed workbook, plus validation failures and skipped rows."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workbook_id": WORKBOOK_ID,
                    "sheet": "Holdings",
                    "header_row": 1,
                    "profile_id": None,
                    "mode": "auto_detect",
                    "detected_mappings": {
                        "cusip": {
                            "source_column": "CUSIP_ID",
                            "confidence": 0.98,
                            "sample_values": ["000361105", "123456789"],
                            "method": "header_alias",
                            "transform": None,
                        }
                    },
                    "unmapped_columns": ["Custom Field 1", "Notes"],
                    "unmapped_target_fields": ["accrued_interest"],
                    "validation_failures": [
                        {
                            "field": "isin",
                            "rule": "isin_check_digit",
                            "failed_count": 1,
                            "rows": [7],
                            "sample_values": [],
                        }
                    ],
                    "schema_drift": {
                        "compared_to": None,
                        "new_columns": ["Custom Field 1"],
                        "missing_columns": [],
                        "type_changes": [],
                    },
                    "column_types": {"CUSIP_ID": "text"},
                    "skipped_rows": {"blank": 0, "total": 1},
                    "normalisations": [],
                }
            ]
        }
    )

    workbook_id: str
    sheet: str
    header_row: int
    profile_id: str | None
    mode: str
    detected_mappings: dict[str, dict[str, Any]]
    unmapped_columns: list[str]
    unmapped_target_fields: list[str]
    validation_failures: list[dict[str, Any]]
    schema_drift: dict[str, Any]
    column_types: dict[str, str]
    skipped_rows: dict[str, int]
    normalisations: list[str]


DIAGNOSTICS_COLUMNS = [t.diagnostics.c[name] for name in DiagnosticsOut.model_fields]
"""marts.clo_mapping_diagnostics columns, each under its response field's name (the JSON ones are never null)."""


class FunctionOut(BaseModel):
    """An Excel function the formula evaluation supports (from the `formulas` library's registry)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "SUM", "category": "math", "description": "", "module": ".math"}]}
    )

    name: str
    category: str = Field(description="The `formulas.functions` module implementing it.")
    description: str
    module: str


PROFILES = TypeAdapter(list[ProfileOut])
ALIASES = TypeAdapter(list[AliasProfileOut])
FUNCTIONS = TypeAdapter(list[FunctionOut])


@router.get("/mappings/profiles", summary="List mapping profiles", responses=LIST_ERRORS)
async def list_profiles(db: Db, page: PageQuery) -> Page[ProfileOut]:
    """Every mapping profile in assets_config/mappings/ (as ops/configuration validated it), by id."""
    profiles = PROFILES.validate_python(await configuration.documents(db, "clo_mapping_profile"))
    items, info = in_memory_page(profiles, page, lambda p: p.id, "id")
    return Page[ProfileOut](data=items, pagination=info)


@router.get("/mappings/profiles/{profile_id}", summary="Get a mapping profile", responses=ERRORS)
async def get_profile(
    db: Db, profile_id: Annotated[str, Path(max_length=100, description="Profile id.")]
) -> ProfileOut:
    """One mapping profile."""
    profile = await configuration.document(db, "clo_mapping_profile", profile_id)
    if profile is None:
        raise not_found("mapping profile", profile_id)
    return ProfileOut.model_validate(profile)


@router.get("/mappings/aliases", summary="List alias profiles", responses=LIST_ERRORS)
async def list_aliases(db: Db, page: PageQuery) -> Page[AliasProfileOut]:
    """Every alias dictionary used by auto-detect, by name."""
    aliases = ALIASES.validate_python(await configuration.documents(db, "clo_alias_profile"))
    data, info = in_memory_page(aliases, page, lambda a: a.name, "name")
    return Page[AliasProfileOut](data=data, pagination=info)


@router.get("/mappings/aliases/{name}", summary="Get an alias profile", responses=ERRORS)
async def get_alias(
    db: Db, name: Annotated[str, Path(max_length=100, description="Alias profile name.")]
) -> AliasProfileOut:
    """One alias dictionary."""
    alias = await configuration.document(db, "clo_alias_profile", name)
    if alias is None:
        raise not_found("alias profile", name)
    return AliasProfileOut.model_validate(alias)


@router.get("/mappings/diagnostics", summary="Get mapping diagnostics", responses=ERRORS)
async def get_diagnostics(
    db: Db,
    caller: Caller,
    workbook_id: Annotated[uuid.UUID, Query(description="Workbook whose mapping to explain.")],
) -> DiagnosticsOut:
    """Detected mappings with confidence and samples, unmapped columns and fields, failures and schema drift."""
    await require_workbook(db, caller.tenant_id, workbook_id, t.workbooks.c.workbook_id)
    d = t.diagnostics
    query = sa.select(*DIAGNOSTICS_COLUMNS).where(
        d.c.tenant_id == caller.tenant_id, d.c.workbook_id == str(workbook_id)
    )
    row = (await db.execute(query)).first()
    if row is None:
        raise not_found("mapping diagnostics of workbook", str(workbook_id))
    return DiagnosticsOut.model_validate(row._asdict())


@router.get("/mappings/fields", summary="List canonical holding fields", responses=LIST_ERRORS)
async def list_fields(db: Db) -> list[str]:
    """The canonical holding fields a profile may map."""
    return [field["name"] for field in await configuration.documents(db, "clo_canonical_field")]


@router.get("/calculations/functions", summary="List supported functions", responses=LIST_ERRORS)
async def list_functions(
    db: Db,
    page: PageQuery,
    category: Annotated[str | None, Query(max_length=40, description="Only this category (math, text, …).")] = None,
    q: Annotated[str | None, Query(max_length=40, description="Name starts with (case-insensitive).")] = None,
) -> Page[FunctionOut]:
    """Excel functions the formula evaluation implements, by name."""
    query = sa.select(cfg.c.document).where(cfg.c.kind == "clo_formula_function", cfg.c.tenant_id == "*")
    if category is not None:
        query = query.where(cfg.c.document["category"].astext == category)
    if q is not None:
        query = query.where(cfg.c.name.startswith(q.upper(), autoescape=True))
    items = FUNCTIONS.validate_python((await db.execute(query)).scalars().all())
    data, info = in_memory_page(items, page, lambda f: f.name, "name")
    return Page[FunctionOut](data=data, pagination=info)


@router.get("/calculations/functions/{name}", summary="Get function details", responses=ERRORS)
async def get_function(
    db: Db, name: Annotated[str, Path(max_length=40, description="Function name, e.g. SUM.")]
) -> FunctionOut:
    """One supported function."""
    found = await configuration.document(db, "clo_formula_function", name.upper())
    if found is None:
        raise not_found("function", name)
    return FunctionOut.model_validate(found)
