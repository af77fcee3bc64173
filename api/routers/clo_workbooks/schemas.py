"""Response models of the CLO workbook routes, with their OpenAPI examples (seed 000 Workbook and Insights)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.marts import clo as t
from api.routers.clo_common import WORKBOOK_ID, InsightOut
from api.routers.provenance.links import ProvenanceLinks

HOLDING_ID = "7c9e6679-7425-5de4-944b-e07fc1f90ae7"
DIMENSION_DEFINITIONS: dict[str, str] = {
    "completeness": "Present cells over 10 checks per holding (identifier, issuer, par, MV, price, spread, "
    "maturity, any rating, industry, country).",
    "accuracy": "Holdings without an accuracy finding (bad check digit, par <= 0, price outside 0-200, spread "
    "outside 0-3000 bps, maturity outside 1990-2100, unreadable source value) over all holdings.",
    "consistency": "Consistent checks over applicable ones: MV within 1% of par x price / 100; Moody's and S&P "
    "at most 3 notches apart.",
    "timeliness": "100 when the report date is at most 7 days before landing, 0 at 97 days or more, linear between.",
    "uniqueness": "1 - duplicate rows / holdings; the key is CUSIP, else ISIN, else issuer and maturity.",
}


class SheetOut(BaseModel):
    """A sheet of a workbook (seed 000 Workbook Response `sheets`)."""

    id: str
    name: str
    index: int
    row_count: int
    column_count: int
    hidden: bool


class MetricsSummary(BaseModel):
    """Aggregated holdings metrics."""

    total_par: float | None = Field(description="Σ par of the holdings; null for a workbook that failed to process.")
    total_mv: float | None = Field(description="Σ market value; null for a workbook that failed to process.")
    holding_count: int


class QualitySummary(BaseModel):
    """Data-quality summary on a workbook."""

    score: float | None
    issues: int
    anomalies: int


class ErrorInfo(BaseModel):
    """Why a workbook failed."""

    code: str
    message: str | None


class WorkbookOut(BaseModel):
    """A workbook (seed 000 Workbook Response)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": WORKBOOK_ID,
                    "name": "CLO_Portfolio_2026_01.xlsx",
                    "file_name": "CLO_Portfolio_2026_01.xlsx",
                    "status": "processed",
                    "created_at": "2026-01-25T10:30:00Z",
                    "updated_at": "2026-01-25T10:30:45Z",
                    "report_date": "2026-01-25",
                    "source": "Bloomberg",
                    "mapping_profile_id": "bloomberg_clo",
                    "tags": ["monthly", "CLO-1"],
                    "metadata": {"report_date": "2026-01-25", "source": "Bloomberg"},
                    "file_size": 10485760,
                    "checksum": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    "error": None,
                    "sheets": [
                        {
                            "id": "sheet_uuid",
                            "name": "Holdings",
                            "index": 0,
                            "row_count": 1500,
                            "column_count": 45,
                            "hidden": False,
                        }
                    ],
                    "metrics": {"total_par": 500000000, "total_mv": 485000000, "holding_count": 150},
                    "data_quality": {"score": 92.5, "issues": 3, "anomalies": 1},
                    "processing_stats": None,
                    "links": {
                        "self": f"/api/v1/workbooks/{WORKBOOK_ID}",
                        "holdings": f"/api/v1/workbooks/{WORKBOOK_ID}/holdings",
                        "compliance": f"/api/v1/workbooks/{WORKBOOK_ID}/compliance",
                        "reconciliation": f"/api/v1/workbooks/{WORKBOOK_ID}/reconciliations",
                    },
                }
            ]
        }
    )

    id: str
    name: str
    file_name: str
    status: Literal["pending", "processing", "processed", "failed"]
    created_at: dt.datetime
    updated_at: dt.datetime
    report_date: str | None
    source: str | None
    mapping_profile_id: str | None
    tags: list[str]
    metadata: dict[str, Any]
    file_size: int
    checksum: str = Field(description="SHA-256 of the file.")
    error: ErrorInfo | None
    sheets: list[SheetOut]
    metrics: MetricsSummary
    data_quality: QualitySummary
    processing_stats: dict[str, Any] | None = Field(None, description="Timings, formula counts; detail only.")
    links: dict[str, str]


class SheetRowOut(BaseModel):
    """One row of a sheet: Excel row number and cell values (formulas resolved)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"row_index": 5, "cells": ["CUSIP_ID", "ISIN"]}]})

    row_index: int
    cells: list[Any]


class HoldingOut(BaseModel):
    """A holding (seed 000 Holding) plus its fields from the latest compliance run (null before one ran)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": HOLDING_ID,
                    "workbook_id": WORKBOOK_ID,
                    "sheet": "Holdings",
                    "sheet_id": "sheet_uuid",
                    "row_index": 6,
                    "cusip": "000361105",
                    "isin": "US0003611052",
                    "issuer_name": "ABC Corporation",
                    "par_amount": 5000000,
                    "market_value": 4925000,
                    "price": 98.5,
                    "spread": 425,
                    "coupon": 8.75,
                    "accrued_interest": None,
                    "rating_moodys": "B2",
                    "rating_sp": "B",
                    "rating_fitch": None,
                    "maturity_date": "2029-06-15",
                    "industry": "Healthcare",
                    "country": "US",
                    "currency": "USD",
                    "is_defaulted": False,
                    "asset_type": "loan",
                    "seniority": "senior_secured",
                    "purchase_price": 99.25,
                    "unfunded_amount": None,
                    "is_cov_lite": True,
                    "is_dip": False,
                    "is_current_pay": False,
                    "is_participation": False,
                    "is_pik": False,
                    "moodys_watch": None,
                    "cusip_valid": True,
                    "isin_valid": True,
                    "loanx_id": "LX123456",
                    "figi": "BBG000BLNNH6",
                    "asset_id": "ADM-00042",
                    "figi_valid": True,
                    "raw_data": {"CUSIP_ID": "000361105", "LoanX ID": "LX123456", "Face Value": 5000000},
                    "effective_rating": None,
                    "rating_source": None,
                    "rating_factor": None,
                    "in_ccc_bucket": None,
                    "years_to_maturity": None,
                    "moodys_derived_rating": None,
                    "moodys_derived_source": None,
                    "sp_basis_rating": None,
                    "is_discount_obligation": None,
                    "par_in_ccc_excess": None,
                    "carrying_value": None,
                    "links": {"provenance": f"/api/v1/provenance/holding/{HOLDING_ID}"},
                }
            ]
        }
    )

    id: str
    workbook_id: str
    sheet: str
    sheet_id: str
    row_index: int
    cusip: str | None
    isin: str | None
    issuer_name: str | None
    par_amount: float | None
    market_value: float | None
    price: float | None
    spread: float | None
    coupon: float | None
    accrued_interest: float | None
    rating_moodys: str | None
    rating_sp: str | None
    rating_fitch: str | None
    maturity_date: str | None
    industry: str | None
    country: str | None
    currency: str | None
    is_defaulted: bool
    asset_type: str | None = Field(description="loan | revolver | delayed_draw | bond (issue 21 C14); null = blank.")
    seniority: str | None = Field(None, description="senior_secured | second_lien | senior_unsecured | subordinated")
    purchase_price: float | None = Field(None, description="Price paid at acquisition, % of par (C14, C17).")
    unfunded_amount: float | None = Field(None, description="Undrawn commitment of a revolver / delayed draw (C14).")
    is_cov_lite: bool | None = None
    is_dip: bool | None = None
    is_current_pay: bool | None = None
    is_participation: bool | None = None
    is_pik: bool | None = None
    moodys_watch: str | None = Field(None, description="negative | positive | null (C14, C15).")
    cusip_valid: bool | None
    isin_valid: bool | None
    loanx_id: str | None = Field(None, description="Markit LoanX ID (LX + six digits).", examples=["LX123456"])
    figi: str | None = Field(None, description="OpenFIGI identifier, 12 characters.", examples=["BBG000BLNNH6"])
    asset_id: str | None = Field(None, description="The administrator's own asset id.", examples=["ADM-00042"])
    figi_valid: bool | None = Field(None, description="FIGI shape and check digit hold; null without a FIGI.")
    raw_data: dict[str, Any]
    effective_rating: str | None = None
    rating_source: str | None = None
    rating_factor: float | None = None
    in_ccc_bucket: bool | None = None
    years_to_maturity: float | None = None
    moodys_derived_rating: str | None = Field(None, description="Moody's Derived Rating (issue 21 C15).")
    moodys_derived_source: str | None = Field(None, description="moodys | sp | fitch | unrated_default (C15).")
    sp_basis_rating: str | None = Field(None, description="S&P-basis rating (C16).")
    is_discount_obligation: bool | None = Field(None, description="A discount obligation (C17).")
    par_in_ccc_excess: float | None = Field(None, description="This holding's par inside the CCC excess (C18).")
    carrying_value: float | None = Field(None, description="Its carrying value in the ACPA (C18).")
    links: ProvenanceLinks


class MetricsOut(BaseModel):
    """Aggregated metrics of a workbook; `compliance` holds the latest compliance run's intermediates (or null)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workbook_id": WORKBOOK_ID,
                    "report_date": "2026-01-25",
                    "total_par": 500000000,
                    "total_mv": 485000000,
                    "holding_count": 150,
                    "ccc_par_pct": 6.2,
                    "defaulted_pct": 0.5,
                    "wa_spread": 385.2,
                    "wa_price": 97.1,
                    "compliance": None,
                }
            ]
        }
    )

    workbook_id: str
    report_date: str | None
    total_par: float | None = Field(description="Σ par of the holdings; null for a workbook that failed to process.")
    total_mv: float | None = Field(description="Σ market value; null for a workbook that failed to process.")
    holding_count: int
    ccc_par_pct: float | None = Field(description=t.CCC_PAR_PCT_DESCRIPTION)
    defaulted_pct: float | None
    wa_spread: float | None = Field(description="Par-weighted average spread, bps.")
    wa_price: float | None = Field(description="Par-weighted average price, percent of par.")
    compliance: dict[str, Any] | None = None


class AnomalyOut(BaseModel):
    """A z-score anomaly (seed 000 Insights Response `anomalies`)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0c1d2e3f-0000-5000-8000-000000000001",
                    "holding_id": HOLDING_ID,
                    "field": "spread",
                    "cusip": "123456789",
                    "issuer_name": "XYZ Corp",
                    "value": 850,
                    "mean": 350,
                    "std": 156.25,
                    "expected_range": [-118.75, 818.75],
                    "z_score": 3.2,
                    "threshold": 3.0,
                    "detection_method": "z_score",
                    "severity": "warning",
                }
            ]
        }
    )

    id: str
    holding_id: str
    field: str
    cusip: str | None
    issuer_name: str | None
    value: float
    mean: float
    std: float
    expected_range: tuple[float, float]
    z_score: float
    threshold: float
    detection_method: str
    severity: str


class DataQualityOut(BaseModel):
    """The five dimensions, overall score and how each was computed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workbook_id": WORKBOOK_ID,
                    "overall_score": 92.5,
                    "dimensions": {
                        "completeness": 98.0,
                        "accuracy": 95.0,
                        "consistency": 88.0,
                        "timeliness": 100.0,
                        "uniqueness": 96.0,
                    },
                    "weights": {
                        "completeness": 0.25,
                        "accuracy": 0.25,
                        "consistency": 0.2,
                        "timeliness": 0.1,
                        "uniqueness": 0.2,
                    },
                    "issues": 3,
                    "definitions": DIMENSION_DEFINITIONS,
                    "details": {"uniqueness": {"duplicate_rows": 1}},
                    "computed_at": "2026-01-25T10:45:00Z",
                }
            ]
        }
    )

    workbook_id: str
    overall_score: float
    dimensions: dict[str, float]
    weights: dict[str, float] = Field(description="The overall score's weights as recorded ({} without holdings).")
    issues: int
    definitions: dict[str, str]
    details: dict[str, Any]
    computed_at: dt.datetime


class WorkbookInsightsOut(BaseModel):
    """Seed 000's Insights Response for one workbook."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workbook_id": WORKBOOK_ID,
                    "generated_at": "2026-01-25T10:45:00Z",
                    "data_quality": {
                        "overall_score": 92.5,
                        "dimensions": {
                            "completeness": 98.0,
                            "accuracy": 95.0,
                            "consistency": 88.0,
                            "timeliness": 100.0,
                            "uniqueness": 96.0,
                        },
                    },
                    "insights": [],
                    "anomalies": [],
                }
            ]
        }
    )

    workbook_id: str
    generated_at: dt.datetime | None
    data_quality: dict[str, Any] | None
    insights: list[InsightOut]
    anomalies: list[AnomalyOut]
