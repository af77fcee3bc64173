"""Mapping profiles, alias dictionaries, mapping diagnostics and the supported Excel functions (seed 000).

Profiles and aliases are the YAML files under assets_config/mappings/ (the same ones the assets use);
diagnostics come from the mart; functions from the `formulas` library's registry that evaluates formulas.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Caller, Db, requires_clo
from api.errors import error_responses, not_found
from api.pagination import Page, PageQuery
from api.routers import clo_tables as t
from api.routers.clo_common import WORKBOOK_ID, in_memory_page, require_workbook
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


class FunctionOut(BaseModel):
    """An Excel function the formula evaluation supports (from the `formulas` library's registry)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "SUM", "category": "math", "description": "", "module": ".math"}]}
    )

    name: str
    category: str = Field(description="The `formulas.functions` module implementing it.")
    description: str
    module: str


def _profile(profile: Any) -> ProfileOut:
    return ProfileOut(
        id=profile.id,
        name=profile.name,
        description=profile.description,
        version=profile.version,
        created_at=profile.created_at,
        updated_at=profile.updated_at,
        sheet=profile.sheet,
        mappings={k: FieldMappingOut(source=v.source, transform=v.transform) for k, v in profile.mappings.items()},
        alias_profile=profile.alias_profile,
        validation_rules=[dict(r) for r in profile.validation_rules],
    )


@router.get("/mappings/profiles", summary="List mapping profiles", responses=LIST_ERRORS)
def list_profiles(page: PageQuery) -> Page[ProfileOut]:
    """Every mapping profile shipped in assets_config/mappings/, by id."""
    items, info = in_memory_page([_profile(p) for p in load_profiles().values()], page, lambda p: p.id, "id")
    return Page[ProfileOut](data=items, pagination=info)


@router.get("/mappings/profiles/{profile_id}", summary="Get a mapping profile", responses=ERRORS)
def get_profile(profile_id: Annotated[str, Path(max_length=100, description="Profile id.")]) -> ProfileOut:
    """One mapping profile."""
    profile = load_profiles().get(profile_id)
    if profile is None:
        raise not_found("mapping profile", profile_id)
    return _profile(profile)


@router.get("/mappings/aliases", summary="List alias profiles", responses=LIST_ERRORS)
def list_aliases(page: PageQuery) -> Page[AliasProfileOut]:
    """Every alias dictionary used by auto-detect, by name."""
    items = [AliasProfileOut(**a.to_dict()) for a in load_aliases().values()]
    data, info = in_memory_page(items, page, lambda a: a.name, "name")
    return Page[AliasProfileOut](data=data, pagination=info)


@router.get("/mappings/aliases/{name}", summary="Get an alias profile", responses=ERRORS)
def get_alias(name: Annotated[str, Path(max_length=100, description="Alias profile name.")]) -> AliasProfileOut:
    """One alias dictionary."""
    alias = load_aliases().get(name)
    if alias is None:
        raise not_found("alias profile", name)
    return AliasProfileOut(**alias.to_dict())


@router.get("/mappings/diagnostics", summary="Get mapping diagnostics", responses=ERRORS)
def get_diagnostics(
    db: Db,
    caller: Caller,
    workbook_id: Annotated[uuid.UUID, Query(description="Workbook whose mapping to explain.")],
) -> DiagnosticsOut:
    """Detected mappings with confidence and samples, unmapped columns and fields, failures and schema drift."""
    require_workbook(db, caller.tenant_id, workbook_id)
    d = t.diagnostics
    row = db.execute(sa.select(d).where(d.c.tenant_id == caller.tenant_id, d.c.workbook_id == str(workbook_id))).first()
    if row is None:
        raise not_found("mapping diagnostics of workbook", str(workbook_id))
    return DiagnosticsOut(
        workbook_id=row.workbook_id,
        sheet=row.sheet,
        header_row=row.header_row,
        profile_id=row.profile_id,
        mode=row.mode,
        detected_mappings=dict(row.detected_mappings or {}),
        unmapped_columns=list(row.unmapped_columns or []),
        unmapped_target_fields=list(row.unmapped_target_fields or []),
        validation_failures=list(row.validation_failures or []),
        schema_drift=dict(row.schema_drift or {}),
        column_types=dict(row.column_types or {}),
        skipped_rows=dict(row.skipped_rows or {}),
        normalisations=list(row.normalisations or []),
    )


@router.get("/mappings/fields", summary="List canonical holding fields", responses=LIST_ERRORS)
def list_fields() -> list[str]:
    """The canonical holding fields a profile may map."""
    return list(CANONICAL_FIELDS)


@router.get("/calculations/functions", summary="List supported functions", responses=LIST_ERRORS)
def list_functions(
    page: PageQuery,
    category: Annotated[str | None, Query(max_length=40, description="Only this category (math, text, …).")] = None,
    q: Annotated[str | None, Query(max_length=40, description="Name starts with (case-insensitive).")] = None,
) -> Page[FunctionOut]:
    """Excel functions the formula evaluation implements, by name."""
    items = [
        FunctionOut(**f)
        for f in supported_functions().values()
        if (category is None or f["category"] == category) and (q is None or f["name"].startswith(q.upper()))
    ]
    data, info = in_memory_page(items, page, lambda f: f.name, "name")
    return Page[FunctionOut](data=data, pagination=info)


@router.get("/calculations/functions/{name}", summary="Get function details", responses=ERRORS)
def get_function(name: Annotated[str, Path(max_length=40, description="Function name, e.g. SUM.")]) -> FunctionOut:
    """One supported function."""
    found = supported_functions().get(name.upper())
    if found is None:
        raise not_found("function", name)
    return FunctionOut(**found)
