"""Response models of the equity portfolio, position, tag and snapshot routes, with their OpenAPI examples."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.routers.provenance.links import ProvenanceLinks

PORTFOLIO = "acme-long-short"
AS_OF = "2026-11-20"


def example(**values: Any) -> ConfigDict:
    """A model config whose JSON schema carries the one example given."""
    return ConfigDict(json_schema_extra={"examples": [values]})


class EquityPortfolioOut(BaseModel):
    """A portfolio: its current positions file and latest computed trading day."""

    model_config = example(
        portfolio_id=PORTFOLIO,
        name="Acme Long/Short Equity",
        base_currency="USD",
        position_count=50,
        effective_from="2026-11-22",
        as_of_date=AS_OF,
    )

    portfolio_id: str
    name: str
    base_currency: str
    position_count: int
    effective_from: dt.date
    as_of_date: dt.date | None


class PortfolioList(BaseModel):
    """The tenant's portfolios."""

    data: list[EquityPortfolioOut]


class OverviewOut(BaseModel):
    """Seed 004's portfolio overview: totals, exposures, P&L and counts by type on one trading day."""

    model_config = example(
        portfolio_id=PORTFOLIO,
        as_of_date=AS_OF,
        total_value=3_050_000.0,
        long_exposure=1_950_000.0,
        short_exposure=-1_100_000.0,
        gross_exposure=3_050_000.0,
        net_exposure=850_000.0,
        pnl={"daily": 1200.5, "mtd": 15000.0, "ytd": 90000.0},
        unrealized_pnl=42000.0,
        position_count=50,
        counts_by_type={"LONG": 20, "SHORT": 15, "LC": 5, "LP": 4, "SC": 3, "SP": 3},
    )

    portfolio_id: str
    as_of_date: dt.date
    total_value: float
    long_exposure: float
    short_exposure: float
    gross_exposure: float
    net_exposure: float
    pnl: dict[str, float]
    unrealized_pnl: float
    position_count: int
    counts_by_type: dict[str, int]


class PositionGreeksOut(BaseModel):
    """Position Greeks (per-contract Greeks × quantity × multiplier) and their source."""

    source: str
    delta: float
    gamma: float
    theta: float
    vega: float
    rho: float
    delta_adjusted_exposure: float | None


class PositionOut(BaseModel):
    """A position on one trading day: values, P&L, Greeks and tags."""

    model_config = example(
        position_id="3f1c…",
        portfolio_id=PORTFOLIO,
        as_of_date=AS_OF,
        ticker="AAPL",
        underlying="AAPL",
        position_type="LONG",
        quantity=195.0,
        multiplier=1,
        entry_price=462.43,
        entry_date="2025-11-03",
        price=470.1,
        price_source="market",
        market_value=91669.5,
        exposure=91669.5,
        cost_basis=90173.85,
        unrealized_pnl=1495.65,
        daily_pnl=120.0,
        daily_pnl_fallback=False,
        mtd_pnl=800.0,
        ytd_pnl=1495.65,
        mtd_pnl_fallback=False,
        ytd_pnl_fallback=False,
        expired=False,
        realized_pnl=0.0,
        exposure_pct_gross=3.0,
        tags=["momentum", "technology"],
        greeks=None,
        links={"provenance": f"/api/v1/provenance/position_valuation/3f1c…:{AS_OF}"},
    )

    position_id: str
    portfolio_id: str
    as_of_date: dt.date
    ticker: str
    underlying: str
    position_type: str
    quantity: float
    multiplier: int
    entry_price: float
    entry_date: dt.date
    price: float
    price_source: str
    market_value: float
    exposure: float
    cost_basis: float
    unrealized_pnl: float
    daily_pnl: float
    daily_pnl_fallback: bool = Field(
        description="No close on the previous session: daily P&L is against the last known close, else the entry price."
    )
    mtd_pnl: float
    ytd_pnl: float
    mtd_pnl_fallback: bool = Field(
        description="No close on the last session of the previous month: MTD P&L is P&L since entry."
    )
    ytd_pnl_fallback: bool = Field(
        description="No close on the last session of the previous year (an option often has none): YTD P&L is "
        "P&L since entry."
    )
    expired: bool = Field(
        description="An option on or after its expiry date: settled at intrinsic value from the underlying's close "
        "(`price`, `price_source` settlement), market value, exposure and Greeks 0, its P&L in `realized_pnl`."
    )
    realized_pnl: float = Field(
        description="quantity × multiplier × (settlement − entry price) for an expired option; 0 otherwise."
    )
    exposure_pct_gross: float
    tags: list[str]
    greeks: PositionGreeksOut | None
    links: ProvenanceLinks = Field(description="The valuation's provenance: `<position_id>:<as_of_date>`.")


class PositionGroupOut(BaseModel):
    """Positions sharing a type or a tag, with their totals."""

    key: str
    count: int
    market_value: float
    exposure: float
    daily_pnl: float
    position_ids: list[str]


class PositionsOut(BaseModel):
    """A portfolio's positions on one trading day, filtered, optionally grouped."""

    model_config = example(portfolio_id=PORTFOLIO, as_of_date=AS_OF, count=1, data=[], groups=None)

    portfolio_id: str
    as_of_date: dt.date
    count: int
    data: list[PositionOut]
    groups: list[PositionGroupOut] | None = None


class TagOut(BaseModel):
    """A tag with its colour (tags.yaml) and how many current positions carry it."""

    model_config = example(name="momentum", color="#FF5733", position_count=4)

    name: str
    color: str
    position_count: int


class TagList(BaseModel):
    """Tags, by name."""

    data: list[TagOut]


class SnapshotOut(BaseModel):
    """One portfolio's snapshot on one trading day."""

    model_config = example(
        as_of_date=AS_OF,
        total_market_value=3_050_000.0,
        long_exposure=1_950_000.0,
        short_exposure=-1_100_000.0,
        gross_exposure=3_050_000.0,
        net_exposure=850_000.0,
        daily_pnl=1200.0,
        mtd_pnl=15000.0,
        ytd_pnl=90000.0,
        position_count=50,
        greeks={},
        factor_betas={},
        risk_metrics={},
    )

    as_of_date: dt.date
    total_market_value: float
    long_exposure: float
    short_exposure: float
    gross_exposure: float
    net_exposure: float
    daily_pnl: float
    mtd_pnl: float
    ytd_pnl: float
    position_count: int
    greeks: dict[str, Any]
    factor_betas: dict[str, float | None]
    risk_metrics: dict[str, float | None]


class SnapshotList(BaseModel):
    """Snapshots in [start, end], oldest first."""

    portfolio_id: str
    data: list[SnapshotOut]
