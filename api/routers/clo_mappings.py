"""Mapping profiles, alias dictionaries, mapping diagnostics and the supported Excel functions (seed 000).

Profiles and aliases are the YAML files under assets_config/mappings/ (the same ones the assets use, read once
per process on a worker thread); diagnostics come from the mart; functions from the `formulas` library's
registry that evaluates formulas.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Caller, Db, requires_clo
from api.errors import error_responses, not_found
from api.marts import clo as t
from api.pagination import Page, PageQuery
from api.routers.clo_common import WORKBOOK_ID, Loaded, in_memory_page, require_workbook
from orchestration.clo.formula_eval import supported_functions
from orchestration.clo.mapping import CANONICAL_FIELDS, load_aliases, load_profiles

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


def _profiles() -> dict[str, ProfileOut]:
    """Every mapping profile in assets_config/mappings/, by id, as the response model."""
    return {
        p.id: ProfileOut(
            id=p.id,
            name=p.name,
            description=p.description,
            version=p.version,
            created_at=p.created_at,
            updated_at=p.updated_at,
            sheet=p.sheet,
            mappings={k: FieldMappingOut(source=v.source, transform=v.transform) for k, v in p.mappings.items()},
            alias_profile=p.alias_profile,
            validation_rules=[dict(r) for r in p.validation_rules],
        )
        for p in load_profiles().values()
    }


def _aliases() -> dict[str, AliasProfileOut]:
    """Every alias dictionary in assets_config/mappings/aliases/, by name, as the response model."""
    return {name: AliasProfileOut(**a.to_dict()) for name, a in load_aliases().items()}


def _functions() -> dict[str, FunctionOut]:
    """Every Excel function the `formulas` library implements, by name, as the response model."""
    return {name: FunctionOut(**f) for name, f in supported_functions().items()}


PROFILES = Loaded(_profiles)
ALIASES = Loaded(_aliases)
FUNCTIONS = Loaded(_functions)
"""Read once per process off the event loop: the YAML files and the `formulas` registry (the pipeline reads
the same files at each run and never stores them: there is no mart of them to serve)."""


@router.get("/mappings/profiles", summary="List mapping profiles", responses=LIST_ERRORS)
async def list_profiles(page: PageQuery) -> Page[ProfileOut]:
    """Every mapping profile shipped in assets_config/mappings/, by id."""
    items, info = in_memory_page(list((await PROFILES.get()).values()), page, lambda p: p.id, "id")
    return Page[ProfileOut](data=items, pagination=info)


@router.get("/mappings/profiles/{profile_id}", summary="Get a mapping profile", responses=ERRORS)
async def get_profile(profile_id: Annotated[str, Path(max_length=100, description="Profile id.")]) -> ProfileOut:
    """One mapping profile."""
    profile = (await PROFILES.get()).get(profile_id)
    if profile is None:
        raise not_found("mapping profile", profile_id)
    return profile


@router.get("/mappings/aliases", summary="List alias profiles", responses=LIST_ERRORS)
async def list_aliases(page: PageQuery) -> Page[AliasProfileOut]:
    """Every alias dictionary used by auto-detect, by name."""
    data, info = in_memory_page(list((await ALIASES.get()).values()), page, lambda a: a.name, "name")
    return Page[AliasProfileOut](data=data, pagination=info)


@router.get("/mappings/aliases/{name}", summary="Get an alias profile", responses=ERRORS)
async def get_alias(name: Annotated[str, Path(max_length=100, description="Alias profile name.")]) -> AliasProfileOut:
    """One alias dictionary."""
    alias = (await ALIASES.get()).get(name)
    if alias is None:
        raise not_found("alias profile", name)
    return alias


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
async def list_fields() -> list[str]:
    """The canonical holding fields a profile may map."""
    return list(CANONICAL_FIELDS)


@router.get("/calculations/functions", summary="List supported functions", responses=LIST_ERRORS)
async def list_functions(
    page: PageQuery,
    category: Annotated[str | None, Query(max_length=40, description="Only this category (math, text, …).")] = None,
    q: Annotated[str | None, Query(max_length=40, description="Name starts with (case-insensitive).")] = None,
) -> Page[FunctionOut]:
    """Excel functions the formula evaluation implements, by name."""
    prefix = q.upper() if q is not None else None
    items = [
        f
        for f in (await FUNCTIONS.get()).values()
        if (category is None or f.category == category) and (prefix is None or f.name.startswith(prefix))
    ]
    data, info = in_memory_page(items, page, lambda f: f.name, "name")
    return Page[FunctionOut](data=data, pagination=info)


@router.get("/calculations/functions/{name}", summary="Get function details", responses=ERRORS)
async def get_function(
    name: Annotated[str, Path(max_length=40, description="Function name, e.g. SUM.")],
) -> FunctionOut:
    """One supported function."""
    found = (await FUNCTIONS.get()).get(name.upper())
    if found is None:
        raise not_found("function", name)
    return found
