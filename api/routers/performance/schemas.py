"""Response models of the performance routes (envelope, portfolios, returns, daily) and their value formatting.

Every response has seed 002's envelope `{data, meta: {request_id, as_of, config}, diagnostics: {notes,
counts, residuals}}`. Values are decimal strings for DECIMAL_STRICT files and JSON numbers for FLOAT64
files (convention 1); `config.rounding` rounds output only (half-even), and only when present.
"""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Value = str | float | None
"""A decimal string (DECIMAL_STRICT) or a JSON number (FLOAT64)."""

MetricBasis = Literal["NET", "GROSS"]
ReturnBasis = Literal["NET", "GROSS", "PURE_GROSS"]
"""Period returns also come PURE_GROSS (fees and transaction costs added back)."""
AnnualizationBasis = Literal["ACT_365", "BUS_252", "ACT_ACT"]
Weighting = Literal["BOD", "AVG_CAPITAL", "TWR_DENOM"]
Linking = Literal["NONE", "CARINO", "LOG"]
BrinsonModel = Literal["BRINSON_FACHLER", "BRINSON_HOOD_BEEBOWER"]
BP_CONTEXT = decimal.Context(prec=100)


class Meta(BaseModel):
    """Who asked, the data's as-of date and the effective configuration of the answer."""

    request_id: str
    as_of: dt.date | None
    config: dict[str, Any]


class Diagnostics(BaseModel):
    """Notes (validation, periods, linking), counts, and residuals in basis points (or money for reconciliation)."""

    notes: list[str]
    counts: dict[str, int]
    residuals: dict[str, Value]


class Formatter:
    """Output formatting of one portfolio: precision mode and optional rounding."""

    def __init__(self, precision_mode: str, rounding: int | None) -> None:
        self.strict = precision_mode == "DECIMAL_STRICT"
        self.quantum = Decimal(1).scaleb(-rounding) if rounding is not None else None

    def __call__(self, value: Any) -> Value:
        """The value as this portfolio's output: rounded when configured, a string or a float."""
        if value is None:
            return None
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        if self.quantum is not None:
            number = number.quantize(self.quantum, rounding=ROUND_HALF_EVEN)
        return format(number, "f") if self.strict else float(number)

    def bp(self, value: Any) -> Value:
        """Convention 1: *_bp = fraction × 10,000 (exact: a shift of the decimal point, no rounding)."""
        return None if value is None else self(Decimal(value).scaleb(4, BP_CONTEXT))


class PerformancePortfolioOut(BaseModel):
    """A portfolio with a materialized performance file (the latest one landed for its id)."""

    portfolio_id: str
    base_currency: str
    precision_mode: str
    inception_date: dt.date
    as_of: dt.date
    first_date: dt.date
    last_date: dt.date
    daily_rows: int
    position_count: int
    position_group_keys: list[str]
    benchmark_group_keys: list[str]
    periods: list[str]
    file_name: str | None
    landed_at: dt.datetime | None


class PortfoliosEnvelope(BaseModel):
    """GET /performance/portfolios."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data": [
                        {
                            "portfolio_id": "ACME-GROWTH",
                            "base_currency": "USD",
                            "precision_mode": "DECIMAL_STRICT",
                            "inception_date": "2023-10-02",
                            "as_of": "2024-11-24",
                            "first_date": "2023-10-02",
                            "last_date": "2024-11-24",
                            "daily_rows": 300,
                            "position_count": 6,
                            "position_group_keys": ["sector", "region"],
                            "benchmark_group_keys": ["sector", "region"],
                            "periods": ["ITD", "YTD", "QTD", "MTD", "WTD", "H1_2024", "1Y", "ROLLING_DAYS_30"],
                            "file_name": "acme_performance.json",
                            "landed_at": "2026-01-25T10:30:00Z",
                        }
                    ],
                    "meta": {"request_id": "req_1", "as_of": "2024-11-24", "config": {}},
                    "diagnostics": {"notes": [], "counts": {"portfolios": 1}, "residuals": {}},
                }
            ]
        }
    )

    data: list[PerformancePortfolioOut]
    meta: Meta
    diagnostics: Diagnostics


class PeriodReturnOut(BaseModel):
    """One period's TWR (convention 4), its annualization (6) and, for ITD NET, Modified Dietz."""

    period: str
    period_type: str
    start_date: dt.date
    end_date: dt.date
    requested_start_date: dt.date
    clipped_to_inception: bool
    daily_rows: int
    calendar_days: int
    twr: Value
    twr_bp: Value
    years: Value
    annualized_return: Value
    is_annualized: bool
    is_shorter_than_one_year: bool
    modified_dietz: Value
    benchmark_return: Value


class ReturnsData(BaseModel):
    portfolio_id: str
    metric_basis: ReturnBasis
    annualization_basis: AnnualizationBasis
    periods: list[PeriodReturnOut]


class ReturnsEnvelope(BaseModel):
    """GET /performance/{portfolio_id}/returns."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data": {
                        "portfolio_id": "ACME-GROWTH",
                        "metric_basis": "NET",
                        "annualization_basis": "ACT_365",
                        "periods": [
                            {
                                "period": "ITD",
                                "period_type": "ITD",
                                "start_date": "2023-10-02",
                                "end_date": "2024-11-24",
                                "requested_start_date": "2023-10-02",
                                "clipped_to_inception": False,
                                "daily_rows": 300,
                                "calendar_days": 420,
                                "twr": "0.0843",
                                "twr_bp": "843",
                                "years": "1.150684931506849315068493150684931506849",
                                "annualized_return": "0.0731",
                                "is_annualized": True,
                                "is_shorter_than_one_year": False,
                                "modified_dietz": "0.0839",
                                "benchmark_return": "0.0710",
                            }
                        ],
                    },
                    "meta": {"request_id": "req_1", "as_of": "2024-11-24", "config": {"metric_basis": "NET"}},
                    "diagnostics": {"notes": [], "counts": {"periods": 1}, "residuals": {}},
                }
            ]
        }
    )

    data: ReturnsData
    meta: Meta
    diagnostics: Diagnostics


class DailyReturnOut(BaseModel):
    """One portfolio day: inputs, NET and GROSS returns (convention 2), benchmark and cumulative returns."""

    date: dt.date
    begin_mv: Value
    bod_cf: Value
    fees: Value
    tx_costs: Value
    eod_cf: Value
    end_mv: Value
    return_net: Value
    return_gross: Value
    benchmark_return: Value
    cumulative_net: Value
    cumulative_gross: Value
    cumulative_benchmark: Value


class DailyData(BaseModel):
    portfolio_id: str
    rows: list[DailyReturnOut]


class DailyEnvelope(BaseModel):
    """GET /performance/{portfolio_id}/daily."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data": {
                        "portfolio_id": "ACME-GROWTH",
                        "rows": [
                            {
                                "date": "2024-02-29",
                                "begin_mv": "10250000.00",
                                "bod_cf": "0",
                                "fees": "0",
                                "tx_costs": "0",
                                "eod_cf": "0",
                                "end_mv": "10311250.00",
                                "return_net": "0.005975609756097560975609756097560975609756",
                                "return_gross": "0.005975609756097560975609756097560975609756",
                                "benchmark_return": "0.0049",
                                "cumulative_net": "0.031",
                                "cumulative_gross": "0.034",
                                "cumulative_benchmark": "0.029",
                            }
                        ],
                    },
                    "meta": {"request_id": "req_1", "as_of": "2024-11-24", "config": {}},
                    "diagnostics": {"notes": [], "counts": {"rows": 1}, "residuals": {}},
                }
            ]
        }
    )

    data: DailyData
    meta: Meta
    diagnostics: Diagnostics
