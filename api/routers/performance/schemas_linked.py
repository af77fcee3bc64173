"""Response models of the contribution and attribution routes, with their OpenAPI examples."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from api.routers.performance.schemas import BrinsonModel, Diagnostics, Linking, Meta, MetricBasis, Value, Weighting
from api.routers.provenance.links import ProvenanceLinks

LINK = "/api/v1/provenance/attribution/"


class ContributionLineOut(BaseModel):
    """A linked contribution line (convention 8): a position, a group (keys joined with `|`) or __FEES__."""

    line: str
    name: str | None = None
    group_keys: dict[str, str] | None = None
    contribution: Value
    contribution_bp: Value
    links: ProvenanceLinks = Field(description="The line's provenance (its id: the mart's line id).")


class ContributionData(BaseModel):
    portfolio_id: str
    period: str
    start_date: dt.date
    end_date: dt.date
    metric_basis: MetricBasis
    weighting: Weighting
    linking: Linking
    group_by: list[str]
    portfolio_return: Value
    portfolio_return_bp: Value
    lines_total: Value
    lines_total_bp: Value
    lines: list[ContributionLineOut]


class ContributionEnvelope(BaseModel):
    """GET /performance/{portfolio_id}/contribution."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data": {
                        "portfolio_id": "ACME-GROWTH",
                        "period": "YTD",
                        "start_date": "2024-01-01",
                        "end_date": "2024-11-24",
                        "metric_basis": "NET",
                        "weighting": "BOD",
                        "linking": "CARINO",
                        "group_by": ["sector"],
                        "portfolio_return": "0.052",
                        "portfolio_return_bp": "520",
                        "lines_total": "0.052",
                        "lines_total_bp": "520",
                        "lines": [
                            {
                                "line": "Technology",
                                "contribution": "0.031",
                                "contribution_bp": "310",
                                "links": {"provenance": LINK + "5d41402abc4b2a76b9719d911017c592"},
                            },
                            {
                                "line": "__FEES__",
                                "contribution": "-0.0065",
                                "contribution_bp": "-65",
                                "links": {"provenance": LINK + "7d793037a0760186574b0282f2f435e7"},
                            },
                        ],
                    },
                    "meta": {"request_id": "req_1", "as_of": "2024-11-24", "config": {"linking": "CARINO"}},
                    "diagnostics": {
                        "notes": ["carino_linking_applied"],
                        "counts": {"rows": 229, "positions": 6, "lines": 4},
                        "residuals": {"bp_difference": "0"},
                    },
                }
            ]
        }
    )

    data: ContributionData
    meta: Meta
    diagnostics: Diagnostics


class EffectsOut(BaseModel):
    """Linked Brinson effects (conventions 10 and 11) of one group, or their totals."""

    allocation: Value
    selection: Value
    interaction: Value
    total: Value
    allocation_bp: Value
    selection_bp: Value
    interaction_bp: Value
    total_bp: Value


class GroupEffectsOut(EffectsOut):
    group: str
    links: ProvenanceLinks = Field(description="The group's provenance (its id: the mart's attribution id).")


class AttributionData(BaseModel):
    portfolio_id: str
    period: str
    start_date: dt.date
    end_date: dt.date
    model: BrinsonModel
    linking: Linking
    group_by: str
    portfolio_return: Value
    benchmark_return: Value
    active_return: Value
    active_return_bp: Value
    groups: list[GroupEffectsOut]
    totals: EffectsOut


class AttributionEnvelope(BaseModel):
    """GET /performance/{portfolio_id}/attribution."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data": {
                        "portfolio_id": "ACME-GROWTH",
                        "period": "ITD",
                        "start_date": "2023-10-02",
                        "end_date": "2024-11-24",
                        "model": "BRINSON_FACHLER",
                        "linking": "CARINO",
                        "group_by": "sector",
                        "portfolio_return": "0.091",
                        "benchmark_return": "0.071",
                        "active_return": "0.02",
                        "active_return_bp": "200",
                        "groups": [],
                        "totals": {
                            "allocation": "0.004",
                            "selection": "0.014",
                            "interaction": "0.002",
                            "total": "0.02",
                            "allocation_bp": "40",
                            "selection_bp": "140",
                            "interaction_bp": "20",
                            "total_bp": "200",
                        },
                    },
                    "meta": {"request_id": "req_1", "as_of": "2024-11-24", "config": {"model": "BRINSON_FACHLER"}},
                    "diagnostics": {
                        "notes": ["carino_linking_applied"],
                        "counts": {"rows": 300, "groups": 3},
                        "residuals": {"bp_difference": "0"},
                    },
                }
            ]
        }
    )

    data: AttributionData
    meta: Meta
    diagnostics: Diagnostics
