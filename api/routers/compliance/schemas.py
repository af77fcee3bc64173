"""Response models of the compliance routes, with their OpenAPI examples (seed 000 Compliance API)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.routers.clo_common import WORKBOOK_ID
from api.routers.provenance.links import ProvenanceLinks

Status = Literal["passed", "warning", "failed"]
Trend = Literal["improving", "stable", "deteriorating"]


class HistoryPoint(BaseModel):
    """One earlier (or the current) value of a test on a report date of the same deal."""

    date: str
    value: float | None
    status: Status | None = None


class ComplianceTestOut(BaseModel):
    """A test result in the seed's shape; values rounded once to 4 decimals half-up (status on unrounded)."""

    id: str
    name: str
    category: str
    direction: Literal["min", "max"]
    unit: str
    status: Status
    current_value: float | None
    trigger_level: float
    target_level: float
    cushion: float | None = Field(description="value − trigger (min tests) or trigger − value (max); >0 is inside.")
    cushion_pct: float | None = Field(description="cushion / |trigger| × 100.")
    trend: Trend
    history: list[HistoryPoint] = Field(description="Newest first, this workbook's value included.")
    links: ProvenanceLinks = Field(description="Its provenance lists the holdings that make up its value.")


class ComplianceSummaryOut(BaseModel):
    """Counts of tests by status."""

    total_tests: int
    passed: int
    failed: int
    warning: int


class ComplianceOut(BaseModel):
    """GET /workbooks/{id}/compliance (seed 000 Compliance Test Results Response)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workbook_id": WORKBOOK_ID,
                    "deal_id": "CalcBridge CLO 2024-1",
                    "report_date": "2026-01-25",
                    "executed_at": "2026-01-25T10:31:00Z",
                    "summary": {"total_tests": 10, "passed": 8, "failed": 1, "warning": 1},
                    "tests": [
                        {
                            "id": "oc_senior",
                            "name": "Senior OC Test",
                            "category": "overcollateralization",
                            "direction": "min",
                            "unit": "percent",
                            "status": "passed",
                            "current_value": 125.5,
                            "trigger_level": 115.0,
                            "target_level": 120.0,
                            "cushion": 10.5,
                            "cushion_pct": 9.1304,
                            "trend": "stable",
                            "history": [
                                {"date": "2026-01-25", "value": 125.5, "status": "passed"},
                                {"date": "2025-12-25", "value": 124.8, "status": "passed"},
                            ],
                            "links": {"provenance": f"/api/v1/provenance/compliance_result/{WORKBOOK_ID}:oc_senior"},
                        }
                    ],
                }
            ]
        }
    )

    workbook_id: str
    deal_id: str
    report_date: str
    executed_at: dt.datetime
    summary: ComplianceSummaryOut
    tests: list[ComplianceTestOut]


class ComplianceTestDetailOut(ComplianceTestOut):
    """One test plus the intermediates that produce its value."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "ccc_bucket",
                    "name": "CCC Bucket Test",
                    "category": "credit_quality",
                    "direction": "max",
                    "unit": "percent",
                    "status": "failed",
                    "current_value": 8.2,
                    "trigger_level": 7.5,
                    "target_level": 7.0,
                    "cushion": -0.7,
                    "cushion_pct": -9.3333,
                    "trend": "deteriorating",
                    "history": [{"date": "2026-01-25", "value": 8.2, "status": "failed"}],
                    "links": {"provenance": f"/api/v1/provenance/compliance_result/{WORKBOOK_ID}:ccc_bucket"},
                    "workbook_id": WORKBOOK_ID,
                    "intermediates": {"ccc_par": 41000000, "ccc_excess": 3500000},
                }
            ]
        }
    )

    workbook_id: str
    intermediates: dict[str, Any]


class HistoryEntryOut(BaseModel):
    """One report date of the deal: its workbook, summary and every test's value and status."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "report_date": "2025-12-25",
                    "workbook_id": WORKBOOK_ID,
                    "executed_at": "2025-12-26T08:00:00Z",
                    "summary": {"total_tests": 10, "passed": 9, "failed": 0, "warning": 1},
                    "tests": {"oc_senior": {"value": 124.8, "status": "passed"}},
                }
            ]
        }
    )

    report_date: str
    workbook_id: str
    executed_at: dt.datetime
    summary: ComplianceSummaryOut
    tests: dict[str, HistoryPoint]


class TrendTestOut(BaseModel):
    """A test's trend from its last three values (dead band: 0.5 % of |trigger|)."""

    id: str
    name: str
    direction: Literal["min", "max"]
    trend: Trend
    dead_band: float = Field(description="Net moves within ± this are `stable`.")
    values: list[HistoryPoint] = Field(description="The last three values, oldest first.")


class TrendOut(BaseModel):
    """GET /workbooks/{id}/compliance/trend."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workbook_id": WORKBOOK_ID,
                    "deal_id": "CalcBridge CLO 2024-1",
                    "dead_band_pct_of_trigger": 0.5,
                    "tests": [
                        {
                            "id": "warf_test",
                            "name": "WARF Test",
                            "direction": "max",
                            "trend": "deteriorating",
                            "dead_band": 15.0,
                            "values": [
                                {"date": "2025-11-25", "value": 2790.0, "status": "passed"},
                                {"date": "2025-12-25", "value": 2820.0, "status": "warning"},
                                {"date": "2026-01-25", "value": 2850.0, "status": "warning"},
                            ],
                        }
                    ],
                }
            ]
        }
    )

    workbook_id: str
    deal_id: str
    dead_band_pct_of_trigger: float
    tests: list[TrendTestOut]


class TestDefinitionOut(BaseModel):
    """A test definition from a compliance profile (assets_config/compliance/*.yaml)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "profile_id": "default",
                    "id": "oc_senior",
                    "name": "Senior OC Test",
                    "category": "overcollateralization",
                    "direction": "min",
                    "unit": "percent",
                    "denominator_classes": ["A", "B"],
                    "trigger_level": 115.0,
                    "target_level": 120.0,
                    "metric": None,
                }
            ]
        }
    )

    profile_id: str
    id: str
    name: str
    category: str
    direction: Literal["min", "max"]
    unit: str
    denominator_classes: list[str]
    trigger_level: float
    target_level: float
    metric: str | None
    rank: int | None = Field(None, description="k of a rank-th largest obligor / industry test (issue 21 C23).")
    top_n: int | None = Field(None, description="n of a top-n obligors test (C23).")
    country_group: str | None = Field(None, description="The deal's country group a group test reads (C23).")
    rating_basis: str | None = Field(None, description="warf_test: moodys_derived (C15) or c2 (the default).")


class AppliedLevelOut(BaseModel):
    """One level as applied to a workbook: its value, where it came from and the fallback profile's value."""

    level: float = Field(description="The level the workbook's compliance run used.")
    source: str | None = Field(
        pattern=r"^(sidecar|structure_sheet|default|profile:\S+)$",
        description=(
            "Where the level came from, by precedence: `sidecar` (the sidecar's deal) > `structure_sheet` (the "
            "workbook's Structure / Tests sheet) > `profile:<id>` (the profile the sidecar names) > `default`. "
            "Null for a run written before sources were recorded (re-run the workbook)."
        ),
    )
    profile_level: float | None = Field(
        description="The level in the profile the deal falls back to (as /compliance/tests lists it); null when "
        "that profile has no such test."
    )
    differs_from_profile: bool | None = Field(description="level ≠ profile_level; null when there is no profile level.")


class AppliedTestOut(BaseModel):
    """A test the workbook's deal runs, with its applied trigger and target."""

    id: str
    name: str
    category: str
    direction: Literal["min", "max"]
    unit: str
    trigger: AppliedLevelOut
    target: AppliedLevelOut


class AppliedTestsOut(BaseModel):
    """GET /workbooks/{id}/compliance/tests: the test catalogue as applied to one workbook (its own run)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workbook_id": WORKBOOK_ID,
                    "deal_id": "CalcBridge CLO 2024-1",
                    "report_date": "2026-01-31",
                    "executed_at": "2026-02-01T08:00:00Z",
                    "profile_id": "default",
                    "is_current": True,
                    "tests": [
                        {
                            "id": "oc_senior",
                            "name": "Senior OC Test",
                            "category": "overcollateralization",
                            "direction": "min",
                            "unit": "percent",
                            "trigger": {
                                "level": 125.0,
                                "source": "structure_sheet",
                                "profile_level": 115.0,
                                "differs_from_profile": True,
                            },
                            "target": {
                                "level": 128.0,
                                "source": "structure_sheet",
                                "profile_level": 120.0,
                                "differs_from_profile": True,
                            },
                        },
                        {
                            "id": "warf_test",
                            "name": "WARF Test",
                            "category": "credit_quality",
                            "direction": "max",
                            "unit": "rating_factor",
                            "trigger": {
                                "level": 3000.0,
                                "source": "default",
                                "profile_level": 3000.0,
                                "differs_from_profile": False,
                            },
                            "target": {
                                "level": 2750.0,
                                "source": "sidecar",
                                "profile_level": 2800.0,
                                "differs_from_profile": True,
                            },
                        },
                    ],
                }
            ]
        }
    )

    workbook_id: str
    deal_id: str
    report_date: str
    executed_at: dt.datetime
    profile_id: str | None = Field(description="The profile the deal falls back to: the sidecar's, else default.")
    is_current: bool = Field(
        description="False when a later workbook of the same deal and report date replaced this run in "
        "/workbooks/{id}/compliance (this route still shows this workbook's own levels)."
    )
    tests: list[AppliedTestOut]
