"""Market value, exposure, cost basis and P&L per position, and the portfolio aggregates (seed 004 §1.4.1).

Conventions: market value = |quantity| × price × multiplier (always ≥ 0); exposure = quantity × price ×
multiplier (signed); cost basis = quantity × entry price × multiplier (signed); unrealized P&L = exposure −
cost basis. Daily P&L compares with the previous session's close; when that close is missing the last
known close, else the entry price, is used and the row is flagged (the seed's fallback). MTD/YTD P&L
compare with the close of the last session of the previous month/year, or the entry price for lots
entered after it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from orchestration.equity.occ import POSITION_TYPES

INPUT_COLUMNS = (
    "quantity",
    "multiplier",
    "entry_price",
    "entry_date",
    "price",
    "previous_close",
    "last_close",
    "month_ref_date",
    "month_ref_close",
    "year_ref_date",
    "year_ref_close",
)


def _pnl_base(frame: pd.DataFrame, ref_date: pd.Series, ref_close: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Reference price for a period P&L, and whether the fallback (entry price) stood in for a missing close."""
    entered_after = frame["entry_date"] > ref_date
    have = ref_close.notna()
    base = np.where(entered_after, frame["entry_price"], np.where(have, ref_close, frame["entry_price"]))
    fallback = (~entered_after) & (~have)
    return pd.Series(base, index=frame.index, dtype=float), fallback


def value_positions(frame: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Add valuation columns to positions that carry INPUT_COLUMNS (prices as floats, NaN when missing)."""
    out = frame.copy()
    q = out["quantity"].astype(float)
    m = out["multiplier"].astype(float)
    entry = out["entry_price"].astype(float)
    out["entry_price"] = entry
    price = out["price"].astype(float)
    last = out["last_close"].astype(float)
    out["price_source"] = np.where(price.notna(), "market", np.where(last.notna(), "last_close", "entry_price"))
    price = price.fillna(last).fillna(entry)
    out["price"] = price
    out["market_value"] = q.abs() * price * m
    out["exposure"] = q * price * m
    out["cost_basis"] = q * entry * m
    out["unrealized_pnl"] = out["exposure"] - out["cost_basis"]

    prev = out["previous_close"].astype(float)
    entered_today = out["entry_date"] >= day
    daily_base = np.where(entered_today, entry, prev.fillna(last).fillna(entry))
    out["daily_pnl_fallback"] = (~entered_today) & prev.isna()
    out["daily_pnl"] = q * m * (price - daily_base)

    month_base, month_fallback = _pnl_base(out, out["month_ref_date"], out["month_ref_close"].astype(float))
    year_base, year_fallback = _pnl_base(out, out["year_ref_date"], out["year_ref_close"].astype(float))
    out["mtd_pnl"] = q * m * (price - month_base)
    out["ytd_pnl"] = q * m * (price - year_base)
    out["period_pnl_fallback"] = month_fallback | year_fallback
    gross = (
        out.groupby(["tenant_id", "portfolio_id"])["market_value"].transform("sum")
        if "portfolio_id" in out
        else (out["market_value"].sum())
    )
    out["exposure_pct_gross"] = np.where(gross > 0, out["exposure"] / gross * 100.0, 0.0)
    return out


def summarize(valuations: pd.DataFrame) -> dict[str, Any]:
    """One portfolio's totals: long/short/gross/net exposure, total value, P&L and counts by type."""
    exposure = valuations["exposure"].astype(float)
    long_exposure = float(exposure[exposure > 0].sum())
    short_exposure = float(exposure[exposure < 0].sum())
    counts = valuations["position_type"].value_counts().to_dict()
    return {
        "total_market_value": float(valuations["market_value"].sum()),
        "long_exposure": long_exposure,
        "short_exposure": short_exposure,
        "gross_exposure": long_exposure - short_exposure,
        "net_exposure": long_exposure + short_exposure,
        "cost_basis": float(valuations["cost_basis"].sum()),
        "unrealized_pnl": float(valuations["unrealized_pnl"].sum()),
        "daily_pnl": float(valuations["daily_pnl"].sum()),
        "mtd_pnl": float(valuations["mtd_pnl"].sum()),
        "ytd_pnl": float(valuations["ytd_pnl"].sum()),
        "position_count": len(valuations),
        "long_count": int((exposure > 0).sum()),
        "short_count": int((exposure < 0).sum()),
        "counts_by_type": {t: int(counts.get(t, 0)) for t in POSITION_TYPES},
    }
