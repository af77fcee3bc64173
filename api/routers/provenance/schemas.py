"""Response models of the provenance route, with its OpenAPI example, and the kinds with their id formats."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Kind(StrEnum):
    """What a served figure is: the first path segment of its provenance."""

    HOLDING = "holding"
    COMPLIANCE_RESULT = "compliance_result"
    VARIANCE = "variance"
    POSITION_VALUATION = "position_valuation"
    BETA = "beta"
    RISK_METRIC = "risk_metric"
    COVENANT_EVALUATION = "covenant_evaluation"
    ATTRIBUTION = "attribution"
    PNL = "pnl"


ID_FORMATS: dict[Kind, str] = {
    Kind.HOLDING: "`<holding_id>`: `id` of a holding of /workbooks/{workbook_id}/holdings.",
    Kind.COMPLIANCE_RESULT: "`<workbook_id>:<test_id>`: a test of /workbooks/{workbook_id}/compliance (the "
    "current run of the workbook's report date, as that route serves it).",
    Kind.VARIANCE: "`<variance_id>`: `id` of a variance of /reconciliations/{reconciliation_id}/variances.",
    Kind.POSITION_VALUATION: "`<position_id>:<as_of_date>`: a position of /positions on a trading day.",
    Kind.BETA: "`<position_id>:<factor>:<as_of_date>`: a position's beta of /risk/factors (`positions`).",
    Kind.RISK_METRIC: "`<portfolio_id>:<as_of_date>`: a portfolio's /risk/metrics on a trading day.",
    Kind.COVENANT_EVALUATION: "`<covenant_id>:<period_start>:<period_end>`: a result of "
    "/evaluations/by-deal/{deal_id}.",
    Kind.ATTRIBUTION: "`<line id>`: the opaque id of a /performance/{portfolio_id}/contribution line (a position, "
    "a group or __FEES__) or of an /attribution group, as its `links.provenance` names it.",
    Kind.PNL: "`<portfolio_id>:<figure>:<first_day>:<end_date>`: a figure row of /portfolio/profitloss, its facts "
    "from the first day its columns cover to endDate.",
}
"""How each kind's id is formed (dates YYYY-MM-DD); every served item's `links.provenance` has it ready."""


class SourceFileOut(BaseModel):
    """A landed file the figure was computed from, kept in the archive by its sha256."""

    tenant_id: str
    domain: str
    partition_key: str = Field(description="The file's partition (one per landed file).")
    file_name: str
    sha256: str = Field(description="SHA-256 of the file's bytes, as archived.")
    landed_at: dt.datetime | None


class RunOut(BaseModel):
    """Who wrote one table's partition: the Dagster run and asset, the code and data version, when."""

    table: str = Field(description="The written table, schema-qualified (analytics.clo_holdings).")
    partition_key: str
    shared: bool = Field(description="The partition is shared by every tenant (an equity trading day).")
    asset_key: str
    run_id: str | None = Field(description="The Dagster run; null when written outside a run.")
    code_version: str | None = Field(description="Digest of the asset's modules and assets_config files.")
    data_version: str | None = Field(description="Digest of the source files' sha256 with the code version.")
    inputs: dict[str, str] = Field(description="Relative path → sha256 of each file behind the code version.")
    conventions: dict[str, Any] = Field(description="The conventions in force when it was written.")
    materialized_at: dt.datetime


class CellOut(BaseModel):
    """Where one field's value was read: the cell (or XML path), its column header and the transform applied."""

    cell: str = Field(description="A1 reference with its sheet (`Holdings!C17`), or an XML path.")
    column: str | None = Field(default=None, description="The column header (or element / attribute name).")
    transform: str | None = Field(default=None, description="What turned the cell into the served value.")
    line: int | None = Field(default=None, description="Line of the XML element (Geneva statements).")


class CellsOut(BaseModel):
    """The cells one record was read from, by served field."""

    subject: Literal["holding", "statement_position"]
    table: str
    partition_key: str
    id: str = Field(description="The holding id, or the statement position's key.")
    sheet: str | None = None
    row_index: int | None = Field(default=None, description="Excel row (holding) or statement row (position).")
    fields: dict[str, CellOut]


class DbtModelOut(BaseModel):
    """A dbt model between the figure's tables and the API, as last built."""

    unique_id: str
    name: str
    relation: str
    checksum: str = Field(description="dbt's sha256 of the model's SQL (the file's text, whitespace-stripped).")
    materialized: str
    built_at: dt.datetime
    run_id: str | None
    served: bool = Field(description="The mart the API reads this kind from (the others are upstream of it).")


class ContributorOut(BaseModel):
    """A part of a compliance test's numerator: a holding (with its cells), the rest summed, or a term."""

    rank: int
    kind: Literal["holding", "rest", "term"]
    holding_id: str | None
    cusip: str | None
    issuer_name: str | None
    sheet: str | None
    row_index: int | None
    holdings: int = Field(description="Holdings the row stands for (1; the rest's count; 0 for a term).")
    contribution: float
    share: float | None = Field(description="contribution / numerator (a fraction); null when the numerator is 0.")
    measure: str
    cells: dict[str, CellOut] | None


class ContributorsOut(BaseModel):
    """What drives a compliance test's value: its numerator taken apart, largest |contribution| first."""

    measure: str = Field(description="What the holdings' rows sum (par, par x rating factor, ...).")
    numerator: float = Field(description="Σ contribution of every row: the numerator of the test's value.")
    rows: list[ContributorOut]


HOLDING_ID = "7c9e6679-7425-5de4-944b-e07fc1f90ae7"
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
PARTITION = f"acme.{SHA[:16]}"


class ProvenanceOut(BaseModel):
    """Where a served figure came from: files, cells, run, code, dbt models and conventions."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "holding",
                    "id": HOLDING_ID,
                    "tenant_id": "acme",
                    "tables": ["analytics.clo_holdings", "raw.clo_workbooks"],
                    "run": {
                        "table": "analytics.clo_holdings",
                        "partition_key": PARTITION,
                        "shared": False,
                        "asset_key": "clo/mapped_holdings",
                        "run_id": "5f0c7a2e-2b1d-4c3a-9e8f-1a2b3c4d5e6f",
                        "code_version": "3b1f0c9a77d2e4f1",
                        "data_version": "a41c93e05f7b2d18",
                        "inputs": {"orchestration/clo/mapping/transforms.py": "e3b0c442…"},
                        "conventions": {},
                        "materialized_at": "2026-01-25T10:30:41Z",
                    },
                    "upstream": [],
                    "sources": [
                        {
                            "tenant_id": "acme",
                            "domain": "clo",
                            "partition_key": PARTITION,
                            "file_name": "CLO_Portfolio_2026_01.xlsx",
                            "sha256": SHA,
                            "landed_at": "2026-01-25T10:30:00Z",
                        }
                    ],
                    "cells": [
                        {
                            "subject": "holding",
                            "table": "analytics.clo_holdings",
                            "partition_key": PARTITION,
                            "id": HOLDING_ID,
                            "sheet": "Holdings",
                            "row_index": 17,
                            "fields": {
                                "par_amount": {"cell": "Holdings!D17", "column": "Par", "transform": "number"},
                                "cusip": {"cell": "Holdings!A17", "column": "CUSIP", "transform": "identifier:cusip"},
                            },
                        }
                    ],
                    "dbt": [
                        {
                            "unique_id": "model.calcbridge.clo_holdings",
                            "name": "clo_holdings",
                            "relation": "marts.clo_holdings",
                            "checksum": "0c3e…",
                            "materialized": "table",
                            "built_at": "2026-01-25T10:31:10Z",
                            "run_id": "6a1d…",
                            "served": True,
                        }
                    ],
                    "conventions": {},
                    "contributors": None,
                }
            ]
        }
    )

    kind: Kind
    id: str
    tenant_id: str
    tables: list[str] = Field(description="The tables the figure was written to and read from, its own first.")
    run: RunOut | None = Field(description="The run that wrote the figure's partition (null: none recorded).")
    upstream: list[RunOut] = Field(description="The runs that wrote the other tables' partitions it reads.")
    sources: list[SourceFileOut] = Field(description="The caller's landed files behind every one of those runs.")
    cells: list[CellsOut] = Field(description="The cells of the holding / statement position (where they exist).")
    dbt: list[DbtModelOut] = Field(description="The mart the API reads for this kind and every model upstream.")
    conventions: dict[str, Any] = Field(description="The conventions recorded with the figure's run.")
    contributors: ContributorsOut | None = Field(
        default=None, description="A compliance result's numerator taken apart (other kinds: null)."
    )
