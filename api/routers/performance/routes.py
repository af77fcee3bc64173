"""`/api/v1/performance`: returns, daily series, contribution and attribution, selected from the marts.

Every response has seed 002's envelope `{data, meta: {request_id, as_of, config}, diagnostics: {notes,
counts, residuals}}`. Values are decimal strings for DECIMAL_STRICT files and JSON numbers for FLOAT64
files (convention 1); `config.rounding` rounds output only (half-even), and only when present.
"""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict

from api.deps import Caller, Db, requires
from api.errors import ApiError, error_responses, not_found, request_id_of
from api.performance_tables import (
    performance_attribution,
    performance_attribution_totals,
    performance_contribution_totals,
    performance_contributions,
    performance_daily_returns,
    performance_period_returns,
    performance_portfolios,
)

router = APIRouter(prefix="/performance", tags=["performance"], dependencies=[requires("read:performance")])

Value = str | float | None
"""A decimal string (DECIMAL_STRICT) or a JSON number (FLOAT64)."""

MetricBasis = Literal["NET", "GROSS"]
AnnualizationBasis = Literal["ACT_365", "BUS_252", "ACT_ACT"]
Weighting = Literal["BOD", "AVG_CAPITAL", "TWR_DENOM"]
Linking = Literal["NONE", "CARINO", "LOG"]
BrinsonModel = Literal["BRINSON_FACHLER", "BRINSON_HOOD_BEEBOWER"]
FEES_LINE = "__FEES__"
UNCLASSIFIED = "UNCLASSIFIED"
BP_CONTEXT = decimal.Context(prec=100)
LINKING_NOTES = {"NONE": "no_linking_applied", "CARINO": "carino_linking_applied", "LOG": "log_linking_applied"}


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
        if value is None:
            return None
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        if self.quantum is not None:
            number = number.quantize(self.quantum, rounding=ROUND_HALF_EVEN)
        return format(number, "f") if self.strict else float(number)

    def bp(self, value: Any) -> Value:
        """Convention 1: *_bp = fraction × 10,000 (exact: a shift of the decimal point, no rounding)."""
        return None if value is None else self(Decimal(value).scaleb(4, BP_CONTEXT))


# ---- response models -------------------------------------------------------------------------------


class PortfolioOut(BaseModel):
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

    data: list[PortfolioOut]
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
    metric_basis: MetricBasis
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


class ContributionLineOut(BaseModel):
    """A linked contribution line (convention 8): a position, a group (keys joined with `|`) or __FEES__."""

    line: str
    name: str | None = None
    group_keys: dict[str, str] | None = None
    contribution: Value
    contribution_bp: Value


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
                            {"line": "Technology", "contribution": "0.031", "contribution_bp": "310"},
                            {"line": "__FEES__", "contribution": "-0.0065", "contribution_bp": "-65"},
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


# ---- helpers ---------------------------------------------------------------------------------------

PortfolioId = Annotated[str, Path(max_length=256, description="The portfolio's id (portfolio.id in its file).")]
PeriodQuery = Annotated[
    str | None,
    Query(max_length=128, description="A standard period (ITD, YTD, QTD, MTD, WTD) or a configured period's name."),
]


def _portfolio(db: Db, tenant_id: str, portfolio_id: str) -> sa.RowMapping:
    row = (
        db.execute(
            sa.select(performance_portfolios).where(
                performance_portfolios.c.tenant_id == tenant_id, performance_portfolios.c.portfolio_id == portfolio_id
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise not_found("portfolio", portfolio_id)
    return row


def _formatter(portfolio: sa.RowMapping) -> Formatter:
    return Formatter(portfolio["precision_mode"], (portfolio["config"] or {}).get("rounding"))


def _default_period(portfolio: sa.RowMapping) -> str:
    """The first configured period, else ITD."""
    configured = (portfolio["config"] or {}).get("periods") or []
    return str(configured[0]["name"]) if configured else "ITD"


def _period(portfolio: sa.RowMapping, requested: str | None) -> str:
    name = requested or _default_period(portfolio)
    if name not in (portfolio["period_names"] or []):
        available = ", ".join(portfolio["period_names"] or [])
        raise ApiError(
            404, f"period {name!r} not found for portfolio {portfolio['portfolio_id']!r}; one of: {available}"
        )
    return name


def _meta(request: Request, portfolio: sa.RowMapping, selection: dict[str, Any]) -> Meta:
    config = dict(portfolio["config"] or {})
    config.update(selection)
    return Meta(request_id=request_id_of(request), as_of=portfolio["as_of"], config=config)


def _residuals(portfolio: sa.RowMapping, fmt: Formatter) -> dict[str, Value]:
    return {k: fmt(v) for k, v in (portfolio["residuals"] or {}).items()}


def _totals_row(db: Db, table: sa.Table, portfolio: sa.RowMapping, what: str, **selection: str) -> sa.RowMapping:
    """The one totals row of a portfolio's file for a selection; 404 when nothing is materialized for it."""
    conditions = [table.c.tenant_id == portfolio["tenant_id"], table.c.partition_key == portfolio["partition_key"]]
    conditions += [table.c[column] == value for column, value in selection.items()]
    total = db.execute(sa.select(table).where(*conditions)).mappings().first()
    if total is None:
        raise ApiError(404, f"no {what} results are materialized for portfolio {portfolio['portfolio_id']!r} yet")
    return total


def _linking_residuals(total: sa.RowMapping, linking: str, fmt: Formatter) -> dict[str, Value]:
    """Residuals of linked lines in bp; LOG also against ln(1 + R) (issue 6, conventions 8 and 11)."""
    residuals: dict[str, Value] = {"bp_difference": fmt(total["residual_bp"])}
    if linking == "LOG":
        residuals["vs_log_bp_difference"] = fmt(total["residual_vs_log_bp"])
    return residuals


def _period_row(db: Db, portfolio: sa.RowMapping, period: str) -> sa.RowMapping:
    t = performance_period_returns
    row = (
        db.execute(
            sa.select(t).where(
                t.c.tenant_id == portfolio["tenant_id"],
                t.c.partition_key == portfolio["partition_key"],
                t.c.period_name == period,
                t.c.metric_basis == "NET",
                t.c.annualization_basis == "ACT_365",
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise ApiError(404, f"period {period!r} has no materialized returns yet")
    return row


# ---- routes ----------------------------------------------------------------------------------------


@router.get("/portfolios", summary="List portfolios", responses=error_responses(401, 403, 422, 429, 503))
def list_portfolios(request: Request, db: Db, caller: Caller) -> PortfoliosEnvelope:
    """Every portfolio of the caller's tenant with materialized performance results."""
    t = performance_portfolios
    rows = db.execute(sa.select(t).where(t.c.tenant_id == caller.tenant_id).order_by(t.c.portfolio_id)).mappings().all()
    data = [
        PortfolioOut(
            portfolio_id=r["portfolio_id"],
            base_currency=r["base_currency"],
            precision_mode=r["precision_mode"],
            inception_date=r["inception_date"],
            as_of=r["as_of"],
            first_date=r["first_date"],
            last_date=r["last_date"],
            daily_rows=r["daily_rows"],
            position_count=r["position_count"],
            position_group_keys=r["position_group_keys"] or [],
            benchmark_group_keys=r["benchmark_group_keys"] or [],
            periods=r["period_names"] or [],
            file_name=r["file_name"],
            landed_at=r["landed_at"],
        )
        for r in rows
    ]
    as_of = max((r["as_of"] for r in rows), default=None)
    return PortfoliosEnvelope(
        data=data,
        meta=Meta(request_id=request_id_of(request), as_of=as_of, config={}),
        diagnostics=Diagnostics(notes=[], counts={"portfolios": len(data)}, residuals={}),
    )


@router.get(
    "/{portfolio_id}/returns", summary="Period returns", responses=error_responses(401, 403, 404, 422, 429, 503)
)
def get_returns(
    request: Request,
    db: Db,
    caller: Caller,
    portfolio_id: PortfolioId,
    period: PeriodQuery = None,
    basis: Annotated[MetricBasis | None, Query(description="NET or GROSS; default config.metric_basis.")] = None,
    annualization: Annotated[
        AnnualizationBasis | None, Query(description="Annualization basis; default config.annualization.basis.")
    ] = None,
) -> ReturnsEnvelope:
    """TWR per period (all periods when `period` is omitted), annualized per convention 6."""
    portfolio = _portfolio(db, caller.tenant_id, portfolio_id)
    config = portfolio["config"] or {}
    fmt = _formatter(portfolio)
    basis = basis or config.get("metric_basis", "NET")
    ann = annualization or (config.get("annualization") or {}).get("basis", "ACT_365")
    t = performance_period_returns
    filters = [
        t.c.tenant_id == caller.tenant_id,
        t.c.partition_key == portfolio["partition_key"],
        t.c.metric_basis == basis,
        t.c.annualization_basis == ann,
    ]
    if period is not None:
        filters.append(t.c.period_name == _period(portfolio, period))
    rows = db.execute(sa.select(t).where(*filters)).mappings().all()
    order = {name: i for i, name in enumerate(portfolio["period_names"] or [])}
    rows = sorted(rows, key=lambda r: order.get(r["period_name"], len(order)))
    notes = list(portfolio["notes"] or [])
    for r in rows:
        if r["is_annualized"] and r["is_shorter_than_one_year"]:
            notes.append(f"annualized_shorter_than_one_year: {r['period_name']}")
        elif r["is_shorter_than_one_year"] and not r["is_annualized"]:
            notes.append(f"not_annualized_shorter_than_one_year: {r['period_name']}")
    periods = [
        PeriodReturnOut(
            period=r["period_name"],
            period_type=r["period_type"],
            start_date=r["start_date"],
            end_date=r["end_date"],
            requested_start_date=r["requested_start_date"],
            clipped_to_inception=r["is_clipped_to_inception"],
            daily_rows=r["daily_rows"],
            calendar_days=r["calendar_days"],
            twr=fmt(r["twr"]),
            twr_bp=fmt.bp(r["twr"]),
            years=fmt(r["years"]),
            annualized_return=fmt(r["annualized_return"]),
            is_annualized=r["is_annualized"],
            is_shorter_than_one_year=r["is_shorter_than_one_year"],
            modified_dietz=fmt(r["modified_dietz"]),
            benchmark_return=fmt(r["benchmark_return"]),
        )
        for r in rows
    ]
    selection = {"metric_basis": basis, "annualization": {**(config.get("annualization") or {}), "basis": ann}}
    if period is not None:
        selection["period"] = period
    return ReturnsEnvelope(
        data=ReturnsData(portfolio_id=portfolio_id, metric_basis=basis, annualization_basis=ann, periods=periods),
        meta=_meta(request, portfolio, selection),
        diagnostics=Diagnostics(
            notes=notes,
            counts={"periods": len(periods), "rows": portfolio["daily_rows"], "positions": portfolio["position_count"]},
            residuals=_residuals(portfolio, fmt),
        ),
    )


@router.get("/{portfolio_id}/daily", summary="Daily returns", responses=error_responses(401, 403, 404, 422, 429, 503))
def get_daily(
    request: Request,
    db: Db,
    caller: Caller,
    portfolio_id: PortfolioId,
    start: Annotated[dt.date | None, Query(description="First day (inclusive).")] = None,
    end: Annotated[dt.date | None, Query(description="Last day (inclusive).")] = None,
) -> DailyEnvelope:
    """The daily series with NET and GROSS returns (convention 2), benchmark B_t and ITD cumulative returns."""
    portfolio = _portfolio(db, caller.tenant_id, portfolio_id)
    fmt = _formatter(portfolio)
    t = performance_daily_returns
    filters = [t.c.tenant_id == caller.tenant_id, t.c.partition_key == portfolio["partition_key"]]
    if start is not None:
        filters.append(t.c.date >= start)
    if end is not None:
        filters.append(t.c.date <= end)
    rows = db.execute(sa.select(t).where(*filters).order_by(t.c.date)).mappings().all()
    values = [name for name in DailyReturnOut.model_fields if name != "date"]
    data = [DailyReturnOut(date=r["date"], **{name: fmt(r[name]) for name in values}) for r in rows]
    return DailyEnvelope(
        data=DailyData(portfolio_id=portfolio_id, rows=data),
        meta=_meta(request, portfolio, {"start": start and start.isoformat(), "end": end and end.isoformat()}),
        diagnostics=Diagnostics(
            notes=list(portfolio["notes"] or []), counts={"rows": len(data)}, residuals=_residuals(portfolio, fmt)
        ),
    )


def _group_by(raw: str | None, allowed: list[str], what: str) -> list[str]:
    keys = [k.strip() for k in (raw or "").split(",") if k.strip()]
    unknown = [k for k in keys if k not in allowed]
    if unknown:
        raise ApiError(422, f"unknown {what} group key(s) {unknown}; available: {allowed}")
    if len(set(keys)) != len(keys):
        raise ApiError(422, "group_by repeats a key")
    return keys


@router.get(
    "/{portfolio_id}/contribution",
    summary="Contribution by position or group",
    responses=error_responses(401, 403, 404, 422, 429, 503),
)
def get_contribution(
    request: Request,
    db: Db,
    caller: Caller,
    portfolio_id: PortfolioId,
    period: PeriodQuery = None,
    basis: Annotated[MetricBasis | None, Query(description="NET (adds the __FEES__ line) or GROSS.")] = None,
    weighting: Annotated[Weighting | None, Query(description="Contribution weighting (convention 7).")] = None,
    linking: Annotated[Linking | None, Query(description="Linking over the period (convention 8).")] = None,
    group_by: Annotated[
        str | None, Query(max_length=512, description="Comma-separated position group keys; labels join values with |.")
    ] = None,
) -> ContributionEnvelope:
    """Linked contribution lines per position, or summed per group of the given keys (in the order given)."""
    portfolio = _portfolio(db, caller.tenant_id, portfolio_id)
    config = portfolio["config"] or {}
    fmt = _formatter(portfolio)
    name = _period(portfolio, period)
    basis = basis or config.get("metric_basis", "NET")
    weighting = weighting or config.get("weighting", "BOD")
    linking = linking or config.get("linking", "CARINO")
    keys = _group_by(group_by, portfolio["position_group_keys"] or [], "position")
    t = performance_contributions
    filters = [
        t.c.tenant_id == caller.tenant_id,
        t.c.partition_key == portfolio["partition_key"],
        t.c.period_name == name,
        t.c.metric_basis == basis,
        t.c.weighting == weighting,
        t.c.linking == linking,
    ]
    lines: list[ContributionLineOut] = []
    if keys:
        parts = [sa.func.coalesce(t.c.group_keys.op("->>")(key), UNCLASSIFIED) for key in keys]
        label = sa.case((t.c.position_id == FEES_LINE, FEES_LINE), else_=sa.func.concat_ws("|", *parts)).label("line")
        stmt = sa.select(label, sa.func.sum(t.c.contribution).label("contribution")).where(*filters).group_by(label)
        for r in db.execute(stmt.order_by(label)).mappings():
            lines.append(
                ContributionLineOut(
                    line=r["line"], contribution=fmt(r["contribution"]), contribution_bp=fmt.bp(r["contribution"])
                )
            )
    else:
        stmt = sa.select(t.c.position_id, t.c.position_name, t.c.group_keys, t.c.contribution).where(*filters)
        for r in db.execute(stmt.order_by(t.c.position_id)).mappings():
            lines.append(
                ContributionLineOut(
                    line=r["position_id"],
                    name=r["position_name"],
                    group_keys=r["group_keys"] or {},
                    contribution=fmt(r["contribution"]),
                    contribution_bp=fmt.bp(r["contribution"]),
                )
            )
    total = _totals_row(
        db,
        performance_contribution_totals,
        portfolio,
        "contribution",
        period_name=name,
        metric_basis=basis,
        weighting=weighting,
        linking=linking,
    )
    period_row = _period_row(db, portfolio, name)
    residuals = _linking_residuals(total, linking, fmt)
    selection = {"period": name, "metric_basis": basis, "weighting": weighting, "linking": linking, "group_by": keys}
    return ContributionEnvelope(
        data=ContributionData(
            portfolio_id=portfolio_id,
            period=name,
            start_date=period_row["start_date"],
            end_date=period_row["end_date"],
            metric_basis=basis,
            weighting=weighting,
            linking=linking,
            group_by=keys,
            portfolio_return=fmt(total["portfolio_return"]),
            portfolio_return_bp=fmt.bp(total["portfolio_return"]),
            lines_total=fmt(total["lines_total"]),
            lines_total_bp=fmt.bp(total["lines_total"]),
            lines=lines,
        ),
        meta=_meta(request, portfolio, selection),
        diagnostics=Diagnostics(
            notes=[LINKING_NOTES[linking], *(portfolio["notes"] or [])],
            counts={"rows": period_row["daily_rows"], "positions": portfolio["position_count"], "lines": len(lines)},
            residuals={**residuals, **_residuals(portfolio, fmt)},
        ),
    )


def _effects(fmt: Formatter, row: Any, total_column: str) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for name, column in (("allocation", "allocation"), ("selection", "selection"), ("interaction", "interaction")):
        out[name], out[f"{name}_bp"] = fmt(row[column]), fmt.bp(row[column])
    out["total"], out["total_bp"] = fmt(row[total_column]), fmt.bp(row[total_column])
    return out


@router.get(
    "/{portfolio_id}/attribution",
    summary="Brinson attribution",
    responses=error_responses(401, 403, 404, 422, 429, 503),
)
def get_attribution(
    request: Request,
    db: Db,
    caller: Caller,
    portfolio_id: PortfolioId,
    period: PeriodQuery = None,
    model: Annotated[BrinsonModel, Query(description="Brinson-Fachler or Brinson-Hood-Beebower.")] = "BRINSON_FACHLER",
    linking: Annotated[Linking | None, Query(description="Attribution linking (convention 11).")] = None,
    group_by: Annotated[
        str | None, Query(max_length=128, description="One benchmark group key; default the benchmark's first.")
    ] = None,
) -> AttributionEnvelope:
    """Allocation, selection and interaction per group for one group key, linked over the period (GROSS basis)."""
    portfolio = _portfolio(db, caller.tenant_id, portfolio_id)
    config = portfolio["config"] or {}
    fmt = _formatter(portfolio)
    name = _period(portfolio, period)
    linking = linking or config.get("linking", "CARINO")
    bench_keys: list[str] = portfolio["benchmark_group_keys"] or []
    if not bench_keys:
        raise ApiError(404, f"portfolio {portfolio_id!r} has no BY_GROUP benchmark, so no attribution")
    keys = _group_by(group_by, bench_keys, "benchmark") or bench_keys[:1]
    if len(keys) != 1:
        raise ApiError(422, "attribution groups by one benchmark group key at a time (convention 9)")
    key = keys[0]
    t, tt = performance_attribution, performance_attribution_totals
    common = [t.c.tenant_id == caller.tenant_id, t.c.partition_key == portfolio["partition_key"]]
    pick = [t.c.period_name == name, t.c.group_key == key, t.c.model == model, t.c.linking == linking]
    rows = db.execute(sa.select(t).where(*common, *pick).order_by(t.c.group_value)).mappings().all()
    total = _totals_row(db, tt, portfolio, "attribution", period_name=name, group_key=key, model=model, linking=linking)
    period_row = _period_row(db, portfolio, name)
    residuals = _linking_residuals(total, linking, fmt)
    notes = [LINKING_NOTES[linking], *(n for n in (portfolio["notes"] or []) if not n.startswith("positions_"))]
    selection = {"period": name, "model": model, "linking": linking, "group_by": key, "metric_basis": "GROSS"}
    return AttributionEnvelope(
        data=AttributionData(
            portfolio_id=portfolio_id,
            period=name,
            start_date=period_row["start_date"],
            end_date=period_row["end_date"],
            model=model,
            linking=linking,
            group_by=key,
            portfolio_return=fmt(total["portfolio_return"]),
            benchmark_return=fmt(total["benchmark_return"]),
            active_return=fmt(total["active_return"]),
            active_return_bp=fmt.bp(total["active_return"]),
            groups=[GroupEffectsOut(group=r["group_value"], **_effects(fmt, r, "total")) for r in rows],
            totals=EffectsOut(**_effects(fmt, total, "total_effects")),
        ),
        meta=_meta(request, portfolio, selection),
        diagnostics=Diagnostics(
            notes=notes,
            counts={"rows": period_row["daily_rows"], "groups": len(rows)},
            residuals=residuals,
        ),
    )
