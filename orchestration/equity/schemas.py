"""The equity domain's pandera schemas: what each table's rows must satisfy before they are written.

`writable` is the test a daily frame passes after its schema, before it is written: every value the warehouse
would refuse (an infinity, a NaN in a NOT NULL column, a non-finite number inside a JSON document) is found
first, so a portfolio whose figures fail it is left out of the day on its own instead of failing every
tenant's write.
"""

import numpy as np
import pandas as pd
import pandera.pandas as pa
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orchestration.core.copy_text import unfit
from orchestration.core.errors import InputError
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
        "status": pa.Column(str, pa.Check.isin(["ok", "insufficient_data", "unavailable", "expired"])),
        "method": pa.Column(str, pa.Check.isin(["regression", "underlying"])),
        "r_squared": pa.Column(float, pa.Check.in_range(0, 1 + 1e-9), nullable=True),
        "n_obs": pa.Column("int64", pa.Check.ge(0)),
    },
    checks=[pa.Check(lambda f: (f["beta"].notna() == (f["status"] == "ok")).all(), name="beta iff ok")],
    name="equity_factor_betas",
)


RISK_SCHEMA = pa.DataFrameSchema(
    {
        "max_drawdown": pa.Column(float, pa.Check.le(0), nullable=True),
        "gross_market_value": pa.Column(float),
        "status": pa.Column(str, pa.Check.isin(["ok", "insufficient_data"])),
    },
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


def _refused(frame: pd.DataFrame, column: sa.Column) -> tuple[int, str] | None:
    """The first row of `frame[column.name]` the warehouse would refuse, and why; None when it takes them all."""
    values = frame[column.name]
    if pd.api.types.is_float_dtype(values.dtype):
        numbers = values.to_numpy(dtype=float)
        bad = ~np.isfinite(numbers) if not column.nullable else np.isinf(numbers)
        if bad.any():
            position = int(np.flatnonzero(bad)[0])
            return position, f"{numbers[position]!r} is not a finite number"
        return None
    if not column.nullable and values.isna().any():
        return int(np.flatnonzero(values.isna().to_numpy())[0]), "a value is missing (the column is NOT NULL)"
    if values.dtype == object and (isinstance(column.type, JSONB | sa.Numeric | sa.Float)):
        for position, value in enumerate(values.tolist()):
            why = unfit(value)
            if why is not None:
                return position, why
    return None


def writable(frame: pd.DataFrame, table: sa.Table, where: str) -> pd.DataFrame:
    """`frame` when every value is one `table` takes; else a typed VALIDATION_ERROR naming column and row."""
    if frame.empty:
        return frame
    for column in table.columns:
        if column.name not in frame.columns:
            continue
        refused = _refused(frame, column)
        if refused is not None:
            position, why = refused
            row = frame.iloc[position]
            label = row.get("position_id", row.get("portfolio_id", position))
            raise InputError(
                "VALIDATION_ERROR",
                f"{table.name}.{column.name}: {why}",
                f"{where}: {table.name}.{column.name} ({label})",
                {"table": table.fullname, "column": column.name, "row": str(label)},
            )
    return frame
