"""Response models of the reconciliation routes, with their OpenAPI examples (seed 000 Reconciliation API)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.routers.clo_common import WORKBOOK_ID
from api.routers.provenance.links import ProvenanceLinks

RECON_ID = "7c9e6679-7425-50de-944b-e07fc1f90ae7"
VARIANCE_ID = "1b4e28ba-2fa1-51d2-883f-0016d3cca427"
DETAIL_VARIANCES = 100
DETAIL_UNMATCHED = 200


class ReconciliationSummaryOut(BaseModel):
    """Seed 000's summary in positions, review counts as of now (resolutions applied).

    with_variances = within_tolerance + auto_resolved + requires_review + reviewed: a position that needed
    review is `reviewed` once resolutions have closed every variance of it outside tolerance.
    """

    total_positions: int
    matched: int
    unmatched_internal: int
    unmatched_external: int
    with_variances: int
    within_tolerance: int
    auto_resolved: int = 0
    requires_review: int = Field(description="Positions with a variance outside tolerance still open, now.")
    reviewed: int = Field(default=0, description="Positions that needed review whose variances are all closed.")


class ReconLinks(BaseModel):
    """Where the details live."""

    variances: str
    report: str


class ReconciliationOut(BaseModel):
    """One reconciliation run (seed 000 Reconciliation)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": RECON_ID,
                    "workbook_id": WORKBOOK_ID,
                    "source_type": "trustee",
                    "source_file": "trustee_2026-01.xlsx",
                    "report_date": "2026-01-25",
                    "executed_at": "2026-01-25T10:40:00Z",
                    "status": "completed",
                    "tolerance_profile": "default",
                    "summary": {
                        "total_positions": 150,
                        "matched": 145,
                        "unmatched_internal": 3,
                        "unmatched_external": 2,
                        "with_variances": 12,
                        "within_tolerance": 8,
                        "auto_resolved": 0,
                        "requires_review": 4,
                        "reviewed": 0,
                    },
                    "links": {
                        "variances": f"/api/v1/reconciliations/{RECON_ID}/variances",
                        "report": f"/api/v1/reconciliations/{RECON_ID}/report",
                    },
                }
            ]
        }
    )

    id: str
    workbook_id: str
    source_type: Literal["trustee", "geneva", "bloomberg"]
    source_file: str
    report_date: str | None
    executed_at: dt.datetime
    status: str
    tolerance_profile: str
    summary: ReconciliationSummaryOut
    links: ReconLinks


class ResolutionOut(BaseModel):
    """The resolution behind a variance's current status (null while open)."""

    resolution_type: str | None
    explanation: str | None
    action: str | None
    resolved_by: str | None
    resolved_at: dt.datetime | None
    rule_id: str | None = Field(description="Auto-resolution rule that fired, if any.")


class VarianceOut(BaseModel):
    """One variance (seed 000 Variance); numbers for numeric fields, text for ratings and identifiers."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": VARIANCE_ID,
                    "reconciliation_id": RECON_ID,
                    "position_key": "cusip:000361105",
                    "cusip": "000361105",
                    "isin": "US0003611052",
                    "issuer": "ABC Corporation",
                    "category": "par_variance",
                    "field": "par_amount",
                    "internal_value": 5000000,
                    "external_value": 5100000,
                    "difference": -100000,
                    "difference_pct": -1.96,
                    "within_tolerance": False,
                    "status": "open",
                    "resolution": None,
                    "links": {"provenance": f"/api/v1/provenance/variance/{VARIANCE_ID}"},
                }
            ]
        }
    )

    id: str
    reconciliation_id: str
    position_key: str
    cusip: str | None
    isin: str | None
    issuer: str | None
    category: str = Field(
        description="par_variance, price_variance, rating_variance, identity_variance, accrued_variance"
    )
    field: str
    internal_value: float | str | None
    external_value: float | str | None
    difference: float | None = Field(description="internal - external (notches for ratings).")
    difference_pct: float | None = Field(description="difference / |external| × 100.")
    within_tolerance: bool
    status: Literal["open", "explained", "resolved", "ignored"]
    resolution: ResolutionOut | None
    links: ProvenanceLinks = Field(description="Its provenance shows the workbook's and the statement's cells.")


class EventOut(BaseModel):
    """One entry of a variance's append-only history."""

    status: str
    resolution_type: str | None
    explanation: str | None
    action: str | None
    resolved_by: str | None
    rule_id: str | None
    source: Literal["reconciliation", "auto_rule", "resolution_file"]
    recorded_at: dt.datetime


class VarianceDetailOut(VarianceOut):
    """A variance with its full history, oldest first."""

    history: list[EventOut]


class UnmatchedOut(BaseModel):
    """A position found on one side only, with every identifier it carries (none matched the other side's)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "position_key": "external:loanx_id:LX123456",
                    "side": "external",
                    "cusip": None,
                    "isin": None,
                    "loanx_id": "LX123456",
                    "figi": "BBG000BLNNH6",
                    "asset_id": None,
                    "issuer": "ABC Corporation",
                    "par_amount": 2000000,
                }
            ]
        }
    )

    position_key: str = Field(
        description="internal: or external:, the first identifier it carries (cusip, isin, figi, loanx_id, "
        "asset_id) and its value, e.g. external:loanx_id:LX123456; row:<n> without one."
    )
    side: Literal["internal", "external"]
    cusip: str | None
    isin: str | None
    loanx_id: str | None = Field(None, description="Markit LoanX ID.")
    figi: str | None = Field(None, description="OpenFIGI identifier.")
    asset_id: str | None = Field(None, description="The administrator's asset id.")
    issuer: str | None
    par_amount: float | None


class ReconciliationDetailOut(ReconciliationOut):
    """A run with its options, per-category counts, unmatched positions and its first variances."""

    matching_fields: list[str] = Field(
        description="The identifiers tried in order to pair positions (matching.yaml's identifier_order, or the "
        "statement sidecar's matching_fields).",
        examples=[["cusip", "isin", "figi", "loanx_id", "asset_id"]],
    )
    comparison_fields: list[str]
    variances_by_category: dict[str, int]
    variances_by_status: dict[str, int] = Field(description="Variances by current status (resolutions applied).")
    unmatched: list[UnmatchedOut] = Field(description=f"Up to {DETAIL_UNMATCHED} unmatched positions, internal first.")
    unmatched_truncated: bool = Field(description="More unmatched positions exist (see the summary counts).")
    variances: list[VarianceOut] = Field(description=f"The first {DETAIL_VARIANCES} variances in position order.")
    variance_count: int


class ToleranceOut(BaseModel):
    """Tolerance profiles (assets_config/reconciliation/tolerances.yaml)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "default_profile": "default",
                    "profiles": [
                        {
                            "name": "default",
                            "description": "Month-end trustee tie-out",
                            "par_amount": {"absolute": 1.0, "percent": None},
                            "rating": {"notches": 0},
                            "identity": {"issuer_similarity": 0.9},
                        }
                    ],
                }
            ]
        }
    )

    default_profile: str
    profiles: list[dict[str, Any]]


class AutoRulesOut(BaseModel):
    """Auto-resolution rules in the order they are tried (assets_config/reconciliation/auto_rules.yaml)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rules": [
                        {
                            "id": "price_source_eighth_point",
                            "kind": "difference_below",
                            "fields": ["price"],
                            "description": "Price difference below 1/8 point is a pricing-source difference.",
                            "abs_below": 0.125,
                            "precision": 0.01,
                            "explanation": "Pricing source difference (under 1/8 point)",
                            "action": "no_action_required",
                            "enabled": True,
                        }
                    ]
                }
            ]
        }
    )

    rules: list[dict[str, Any]]
