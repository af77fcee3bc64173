"""`/api/v1/performance`: returns, daily series, contribution and attribution, selected from the marts.

Every response has seed 002's envelope `{data, meta: {request_id, as_of, config}, diagnostics: {notes,
counts, residuals}}`. Values are decimal strings for DECIMAL_STRICT files and JSON numbers for FLOAT64
files (convention 1); `config.rounding` rounds output only (half-even), and only when present.
Models in `schemas.py` and `schemas_linked.py`, queries in `queries.py` of this package.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request

from api.deps import Caller, Db, requires
from api.errors import ApiError, error_responses, request_id_of
from api.routers.performance.groups import group_keys, in_asked_order
from api.routers.performance.queries import (
    attribution_rows,
    daily_rows,
    grouped_contributions,
    load_portfolio,
    period_return_rows,
    period_row,
    portfolio_rows,
    position_contributions,
    totals_row,
)
from api.routers.performance.schemas import (
    AnnualizationBasis,
    BrinsonModel,
    DailyEnvelope,
    DailyReturnOut,
    Formatter,
    Linking,
    MetricBasis,
    PortfoliosEnvelope,
    ReturnBasis,
    ReturnsEnvelope,
    Value,
    Weighting,
)
from api.routers.performance.schemas_linked import AttributionEnvelope, ContributionEnvelope
from api.routers.provenance.links import provenance_link

router = APIRouter(prefix="/performance", tags=["performance"], dependencies=[requires("read:performance")])
ERRORS = error_responses(401, 403, 404, 422, 429, 503)
LIST_ERRORS = error_responses(401, 403, 422, 429, 503)
LINKING_NOTES = {"NONE": "no_linking_applied", "CARINO": "carino_linking_applied", "LOG": "log_linking_applied"}

PortfolioId = Annotated[str, Path(max_length=256, description="The portfolio's id (portfolio.id in its file).")]
PeriodQuery = Annotated[
    str | None,
    Query(max_length=128, description="A standard period (ITD, YTD, QTD, MTD, WTD) or a configured period's name."),
]


# ---- helpers ---------------------------------------------------------------------------------------


def _formatter(portfolio: sa.RowMapping) -> Formatter:
    """The portfolio's output formatter (its precision mode and configured rounding)."""
    return Formatter(portfolio["precision_mode"], (portfolio["config"] or {}).get("rounding"))


def _default_period(portfolio: sa.RowMapping) -> str:
    """The first configured period, else ITD."""
    configured = (portfolio["config"] or {}).get("periods") or []
    return str(configured[0]["name"]) if configured else "ITD"


def _period(portfolio: sa.RowMapping, requested: str | None) -> str:
    """The requested (or default) period's name; 404 when the portfolio has no such period."""
    name = requested or _default_period(portfolio)
    if name not in (portfolio["period_names"] or []):
        available = ", ".join(portfolio["period_names"] or [])
        raise ApiError(
            404, f"period {name!r} not found for portfolio {portfolio['portfolio_id']!r}; one of: {available}"
        )
    return name


def _meta(request: Request, portfolio: sa.RowMapping, selection: dict[str, Any]) -> dict[str, Any]:
    """The portfolio's config with the effective selection over it."""
    config = dict(portfolio["config"] or {})
    config.update(selection)
    return {"request_id": request_id_of(request), "as_of": portfolio["as_of"], "config": config}


def _residuals(portfolio: sa.RowMapping, fmt: Formatter) -> dict[str, Value]:
    """The portfolio file's own residuals, formatted."""
    return {k: fmt(v) for k, v in (portfolio["residuals"] or {}).items()}


def _linking_residuals(total: sa.RowMapping, linking: str, fmt: Formatter) -> dict[str, Value]:
    """Residuals of linked lines in bp; LOG also against ln(1 + R) (issue 6, conventions 8 and 11)."""
    residuals: dict[str, Value] = {"bp_difference": fmt(total["residual_bp"])}
    if linking == "LOG":
        residuals["vs_log_bp_difference"] = fmt(total["residual_vs_log_bp"])
    return residuals


def _effects(fmt: Formatter, row: Any, total_column: str) -> dict[str, Value]:
    """The Brinson effects of a row (and their bp), its total from `total_column`."""
    out: dict[str, Value] = {}
    for name, column in (("allocation", "allocation"), ("selection", "selection"), ("interaction", "interaction")):
        out[name], out[f"{name}_bp"] = fmt(row[column]), fmt.bp(row[column])
    out["total"], out["total_bp"] = fmt(row[total_column]), fmt.bp(row[total_column])
    return out


# ---- routes ----------------------------------------------------------------------------------------

PORTFOLIO_FIELDS = (
    "portfolio_id",
    "base_currency",
    "precision_mode",
    "inception_date",
    "as_of",
    "first_date",
    "last_date",
    "daily_rows",
    "position_count",
    "file_name",
    "landed_at",
)
DAILY_VALUES = [name for name in DailyReturnOut.model_fields if name != "date"]
PERIOD_VALUES = ("years", "annualized_return", "modified_dietz", "benchmark_return")
PERIOD_FIELDS = ("period_type", "start_date", "end_date", "requested_start_date", "daily_rows", "calendar_days")
PERIOD_FLAGS = ("is_annualized", "is_shorter_than_one_year")


@router.get("/portfolios", summary="List portfolios", responses=LIST_ERRORS)
async def list_portfolios(request: Request, db: Db, caller: Caller) -> PortfoliosEnvelope:
    """Every portfolio of the caller's tenant with materialized performance results."""
    rows = await portfolio_rows(db, caller.tenant_id)
    data = [
        {
            **{name: r[name] for name in PORTFOLIO_FIELDS},
            "position_group_keys": r["position_group_keys"] or [],
            "benchmark_group_keys": r["benchmark_group_keys"] or [],
            "periods": r["period_names"] or [],
        }
        for r in rows
    ]
    return PortfoliosEnvelope.model_validate(
        {
            "data": data,
            "meta": {
                "request_id": request_id_of(request),
                "as_of": rows[0]["tenant_as_of"] if rows else None,
                "config": {},
            },
            "diagnostics": {"notes": [], "counts": {"portfolios": len(data)}, "residuals": {}},
        }
    )


@router.get("/{portfolio_id}/returns", summary="Period returns", responses=ERRORS)
async def get_returns(
    request: Request,
    db: Db,
    caller: Caller,
    portfolio_id: PortfolioId,
    period: PeriodQuery = None,
    basis: Annotated[
        ReturnBasis | None,
        Query(description="NET, GROSS (fees added back) or PURE_GROSS (fees and tx costs); default config basis."),
    ] = None,
    annualization: Annotated[
        AnnualizationBasis | None, Query(description="Annualization basis; default config.annualization.basis.")
    ] = None,
) -> ReturnsEnvelope:
    """TWR per period (all periods when `period` is omitted), annualized per convention 6."""
    portfolio = await load_portfolio(db, caller.tenant_id, portfolio_id)
    config = portfolio["config"] or {}
    fmt = _formatter(portfolio)
    basis = basis or config.get("metric_basis", "NET")
    ann = annualization or (config.get("annualization") or {}).get("basis", "ACT_365")
    period_name = _period(portfolio, period) if period is not None else None
    rows = await period_return_rows(db, portfolio, basis, ann, period_name)
    notes = [*(portfolio["notes"] or []), *(r["annualization_note"] for r in rows if r["annualization_note"])]
    periods = [
        {
            "period": r["period_name"],
            **{name: r[name] for name in PERIOD_FIELDS + PERIOD_FLAGS},
            "clipped_to_inception": r["is_clipped_to_inception"],
            "twr": fmt(r["twr"]),
            "twr_bp": fmt.bp(r["twr"]),
            **{name: fmt(r[name]) for name in PERIOD_VALUES},
        }
        for r in rows
    ]
    selection = {"metric_basis": basis, "annualization": {**(config.get("annualization") or {}), "basis": ann}}
    if period is not None:
        selection["period"] = period
    return ReturnsEnvelope.model_validate(
        {
            "data": {
                "portfolio_id": portfolio_id,
                "metric_basis": basis,
                "annualization_basis": ann,
                "periods": periods,
            },
            "meta": _meta(request, portfolio, selection),
            "diagnostics": {
                "notes": notes,
                "counts": {
                    "periods": len(periods),
                    "rows": portfolio["daily_rows"],
                    "positions": portfolio["position_count"],
                },
                "residuals": _residuals(portfolio, fmt),
            },
        }
    )


@router.get("/{portfolio_id}/daily", summary="Daily returns", responses=ERRORS)
async def get_daily(
    request: Request,
    db: Db,
    caller: Caller,
    portfolio_id: PortfolioId,
    start: Annotated[dt.date | None, Query(description="First day (inclusive).")] = None,
    end: Annotated[dt.date | None, Query(description="Last day (inclusive).")] = None,
) -> DailyEnvelope:
    """The daily series with NET and GROSS returns (convention 2), benchmark B_t and ITD cumulative returns."""
    portfolio = await load_portfolio(db, caller.tenant_id, portfolio_id)
    fmt = _formatter(portfolio)
    rows = await daily_rows(db, portfolio, start, end)
    data = [{"date": r["date"], **{name: fmt(r[name]) for name in DAILY_VALUES}} for r in rows]
    return DailyEnvelope.model_validate(
        {
            "data": {"portfolio_id": portfolio_id, "rows": data},
            "meta": _meta(request, portfolio, {"start": start and start.isoformat(), "end": end and end.isoformat()}),
            "diagnostics": {
                "notes": list(portfolio["notes"] or []),
                "counts": {"rows": len(data)},
                "residuals": _residuals(portfolio, fmt),
            },
        }
    )


@router.get("/{portfolio_id}/contribution", summary="Contribution by position or group", responses=ERRORS)
async def get_contribution(
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
    portfolio = await load_portfolio(db, caller.tenant_id, portfolio_id)
    config = portfolio["config"] or {}
    fmt = _formatter(portfolio)
    name = _period(portfolio, period)
    basis = basis or config.get("metric_basis", "NET")
    weighting = weighting or config.get("weighting", "BOD")
    linking = linking or config.get("linking", "CARINO")
    keys = group_keys(group_by, portfolio["position_group_keys"] or [], "position")
    pick = {"period_name": name, "metric_basis": basis, "weighting": weighting, "linking": linking}
    if keys:
        lines = [
            {
                "line": r["line"],
                "contribution": fmt(r["contribution"]),
                "contribution_bp": fmt.bp(r["contribution"]),
                "links": provenance_link("attribution", r["contribution_group_id"]),
            }
            for r in await grouped_contributions(db, portfolio, keys, **pick)
        ]
    else:
        lines = [
            {
                "line": r["position_id"],
                "name": r["position_name"],
                "group_keys": r["group_keys"] or {},
                "contribution": fmt(r["contribution"]),
                "contribution_bp": fmt.bp(r["contribution"]),
                "links": provenance_link("attribution", r["contribution_id"]),
            }
            for r in await position_contributions(db, portfolio, **pick)
        ]
    total = await totals_row(db, "contribution", portfolio, **pick)
    period_info = await period_row(db, portfolio, name)
    residuals = _linking_residuals(total, linking, fmt)
    selection = {"period": name, "metric_basis": basis, "weighting": weighting, "linking": linking, "group_by": keys}
    return ContributionEnvelope.model_validate(
        {
            "data": {
                "portfolio_id": portfolio_id,
                "period": name,
                "start_date": period_info["start_date"],
                "end_date": period_info["end_date"],
                "metric_basis": basis,
                "weighting": weighting,
                "linking": linking,
                "group_by": keys,
                "portfolio_return": fmt(total["portfolio_return"]),
                "portfolio_return_bp": fmt.bp(total["portfolio_return"]),
                "lines_total": fmt(total["lines_total"]),
                "lines_total_bp": fmt.bp(total["lines_total"]),
                "lines": lines,
            },
            "meta": _meta(request, portfolio, selection),
            "diagnostics": {
                "notes": [LINKING_NOTES[linking], *(portfolio["notes"] or [])],
                "counts": {
                    "rows": period_info["daily_rows"],
                    "positions": portfolio["position_count"],
                    "lines": len(lines),
                },
                "residuals": {**residuals, **_residuals(portfolio, fmt)},
            },
        }
    )


@router.get("/{portfolio_id}/attribution", summary="Brinson attribution", responses=ERRORS)
async def get_attribution(
    request: Request,
    db: Db,
    caller: Caller,
    portfolio_id: PortfolioId,
    period: PeriodQuery = None,
    model: Annotated[BrinsonModel, Query(description="Brinson-Fachler or Brinson-Hood-Beebower.")] = "BRINSON_FACHLER",
    linking: Annotated[Linking | None, Query(description="Attribution linking (convention 11).")] = None,
    group_by: Annotated[
        str | None,
        Query(
            max_length=512,
            description="Comma-separated benchmark group keys (labels join values with |, in the order given); "
            "default the benchmark's first key.",
        ),
    ] = None,
) -> AttributionEnvelope:
    """Allocation, selection and interaction per group of one or several keys, linked over the period (GROSS)."""
    portfolio = await load_portfolio(db, caller.tenant_id, portfolio_id)
    config = portfolio["config"] or {}
    fmt = _formatter(portfolio)
    name = _period(portfolio, period)
    linking = linking or config.get("linking", "CARINO")
    bench_keys: list[str] = portfolio["benchmark_group_keys"] or []
    if not bench_keys:
        raise ApiError(404, f"portfolio {portfolio_id!r} has no BY_GROUP or BY_INSTRUMENT benchmark, so no attribution")
    keys = group_keys(group_by, bench_keys, "benchmark") or bench_keys[:1]
    stored = [k for k in bench_keys if k in keys]  # the engine stores a key set in the benchmark's order
    key = "|".join(stored)
    rows = in_asked_order(await attribution_rows(db, portfolio, name, key, model, linking), stored, keys)
    pick = {"period_name": name, "group_key": key, "model": model, "linking": linking}
    total = await totals_row(db, "attribution", portfolio, **pick)
    period_info = await period_row(db, portfolio, name)
    notes = [LINKING_NOTES[linking], *(n for n in (portfolio["notes"] or []) if not n.startswith("positions_"))]
    group_by = ",".join(keys)
    selection = {"period": name, "model": model, "linking": linking, "group_by": group_by, "metric_basis": "GROSS"}
    return AttributionEnvelope.model_validate(
        {
            "data": {
                "portfolio_id": portfolio_id,
                "period": name,
                "start_date": period_info["start_date"],
                "end_date": period_info["end_date"],
                "model": model,
                "linking": linking,
                "group_by": group_by,
                "portfolio_return": fmt(total["portfolio_return"]),
                "benchmark_return": fmt(total["benchmark_return"]),
                "active_return": fmt(total["active_return"]),
                "active_return_bp": fmt.bp(total["active_return"]),
                "groups": [
                    {
                        "group": r["group_value"],
                        **_effects(fmt, r, "total"),
                        "links": provenance_link("attribution", r["attribution_id"]),
                    }
                    for r in rows
                ],
                "totals": _effects(fmt, total, "total_effects"),
            },
            "meta": _meta(request, portfolio, selection),
            "diagnostics": {
                "notes": notes,
                "counts": {"rows": period_info["daily_rows"], "groups": len(rows)},
                "residuals": _linking_residuals(total, linking, fmt),
            },
        }
    )
