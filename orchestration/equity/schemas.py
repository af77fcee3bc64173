"""The equity domain's pandera schemas: what each table's rows must satisfy before they are written."""

import pandera.pandas as pa

from orchestration.equity.occ import POSITION_TYPES

_TYPES = pa.Check.isin(list(POSITION_TYPES))


POSITIONS_SCHEMA = pa.DataFrameSchema(
    {
        "portfolio_id": pa.Column(str),
        "position_id": pa.Column(str, unique=True),
        "ticker": pa.Column(str, pa.Check.str_length(min_value=1)),
        "position_type": pa.Column(str, _TYPES),
        "multiplier": pa.Column("int64", pa.Check.isin([1, 100])),
        "entry_date": pa.Column(object),
    },
    name="equity_positions",
)


PORTFOLIOS_SCHEMA = pa.DataFrameSchema(
    {
        "portfolio_id": pa.Column(str, pa.Check.str_length(min_value=1)),
        "base_currency": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{3}$")),
        "position_count": pa.Column("int64", pa.Check.ge(1)),
    },
    name="equity_portfolios",
)


PRICES_SCHEMA = pa.DataFrameSchema(
    {"ticker": pa.Column(str), "close": pa.Column(float, pa.Check.gt(0))},
    unique=["ticker", "price_date"],
    name="equity_market_prices",
)


VALUATIONS_SCHEMA = pa.DataFrameSchema(
    {
        "position_type": pa.Column(str, _TYPES),
        "market_value": pa.Column(float, pa.Check.ge(0)),
        "exposure": pa.Column(float),
        "daily_pnl": pa.Column(float),
    },
    checks=[pa.Check(lambda f: ((f["market_value"] - f["exposure"].abs()).abs() < 1e-6).all(), name="|exposure|=MV")],
    name="equity_position_valuations",
)


GREEKS_SCHEMA = pa.DataFrameSchema(
    {
        "source": pa.Column(str, pa.Check.isin(["stock", "black_scholes", "expired", "mock"])),
        "delta": pa.Column(float, pa.Check.in_range(-1, 1)),
        "gamma": pa.Column(float),
    },
    name="equity_position_greeks",
)


BETAS_SCHEMA = pa.DataFrameSchema(
    {
        "status": pa.Column(str, pa.Check.isin(["ok", "insufficient_data", "unavailable"])),
        "method": pa.Column(str, pa.Check.isin(["regression", "underlying"])),
        "r_squared": pa.Column(float, pa.Check.in_range(0, 1 + 1e-9), nullable=True),
        "n_obs": pa.Column("int64", pa.Check.ge(0)),
    },
    checks=[pa.Check(lambda f: (f["beta"].notna() == (f["status"] == "ok")).all(), name="beta iff ok")],
    name="equity_factor_betas",
)


RISK_SCHEMA = pa.DataFrameSchema(
    {"max_drawdown": pa.Column(float, pa.Check.le(0), nullable=True), "gross_market_value": pa.Column(float)},
    name="equity_risk_metrics",
)


SNAPSHOTS_SCHEMA = pa.DataFrameSchema(
    {"portfolio_id": pa.Column(str), "gross_exposure": pa.Column(float, pa.Check.ge(0))},
    checks=[
        pa.Check(
            lambda f: (
                (f["long_exposure"] - f["short_exposure"] - f["gross_exposure"]).abs().max() < 1e-6 if len(f) else True
            ),
            name="gross = long − short",
        )
    ],
    name="equity_portfolio_snapshots",
)
