"""Response models of the covenant routes: seed 001's shapes (`{"id": {"value": ...}}`, `*_iso`, scaled ints)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.routers.provenance.links import ProvenanceLinks

DEAL_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
COVENANT_ID = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"


class IdValue(BaseModel):
    """Seed 001's id object."""

    value: str


class DealOut(BaseModel):
    """A deal (seed 001 Deal); money in cents."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": {"value": DEAL_ID},
                    "name": "Demo Leveraged Buyout",
                    "borrower": "Demo Corp",
                    "sector": "Manufacturing",
                    "region": "North America",
                    "commitment_amount_cents": 75000000000,
                    "currency": "USD",
                    "maturity_date_iso": "2029-06-30",
                }
            ]
        }
    )

    id: IdValue
    name: str
    borrower: str
    sector: str
    region: str
    commitment_amount_cents: int
    currency: str
    maturity_date_iso: str


class CovenantOut(BaseModel):
    """A covenant (seed 001 Covenant); the threshold is a ratio ×100."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": {"value": COVENANT_ID},
                    "deal_id": {"value": DEAL_ID},
                    "name": "Max Leverage Ratio",
                    "formula": "total_debt / ebitda",
                    "threshold_value_scaled": 450,
                    "threshold_direction": "<=",
                    "frequency": "QUARTERLY",
                }
            ]
        }
    )

    id: IdValue
    deal_id: IdValue
    name: str
    formula: str
    threshold_value_scaled: int
    threshold_direction: Literal["<=", ">="]
    frequency: Literal["QUARTERLY", "ANNUAL"]


class MeasurementOut(BaseModel):
    """One metric of a deal for one period (seed 001 Measurement), as a scaled integer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "deal_id": {"value": DEAL_ID},
                    "period_start_iso": "2024-01-01",
                    "period_end_iso": "2024-03-31",
                    "metric_name": "total_debt",
                    "metric_value_scaled": 1000000000,
                }
            ]
        }
    )

    deal_id: IdValue
    period_start_iso: str
    period_end_iso: str
    metric_name: str
    metric_value_scaled: int


class CovenantResultOut(BaseModel):
    """A covenant's result for a period (seed 001 CovenantResult) plus the inputs of its status."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "covenant_id": {"value": COVENANT_ID},
                    "period_start_iso": "2024-01-01",
                    "period_end_iso": "2024-03-31",
                    "calculated_value_scaled": 333,
                    "status": "OK",
                    "covenant_name": "Max Leverage Ratio",
                    "threshold_value_scaled": 450,
                    "threshold_direction": "<=",
                    "tolerance_ratio_scaled": 10,
                    "reason": None,
                    "evaluation_count": 1,
                    "links": {
                        "provenance": f"/api/v1/provenance/covenant_evaluation/{COVENANT_ID}:2024-01-01:2024-03-31"
                    },
                }
            ]
        }
    )

    covenant_id: IdValue
    period_start_iso: str
    period_end_iso: str
    calculated_value_scaled: int | None = Field(description="Formula value ×100, rounded half away from zero.")
    status: Literal["OK", "NEAR_BREACH", "BREACH", "MISSING_DATA", "ERROR"]
    covenant_name: str | None
    threshold_value_scaled: int
    threshold_direction: Literal["<=", ">="]
    tolerance_ratio_scaled: int = Field(description="The NEAR_BREACH band the status was computed with.")
    reason: str | None = Field(description="Missing metrics or the error, for MISSING_DATA and ERROR.")
    evaluation_count: int = Field(description="How many evaluations of this covenant and period are kept.")
    links: ProvenanceLinks = Field(description="Its provenance: `<covenant_id>:<period_start>:<period_end>`.")
