"""Market value, exposure, cost basis and P&L per position, and the portfolio aggregates (seed 004 §1.4.1).

Conventions: market value = |quantity| × price × multiplier (always ≥ 0); exposure = quantity × price ×
multiplier (signed); cost basis = quantity × entry price × multiplier (signed); unrealized P&L = exposure −
cost basis. Daily P&L compares with the previous session's close; when that close is missing the last
known close, else the entry price, is used and the row is flagged (the seed's fallback). MTD/YTD P&L
compare with the close of the last session of the previous month/year, or the entry price for lots
entered after it; when that close is missing the entry price stands in and `mtd_pnl_fallback` /
`ytd_pnl_fallback` say so (P&L since entry). An expired option (`expired`, the option expiry section below) is
valued at its settlement: market value, exposure and unrealized P&L 0, realized P&L = quantity × multiplier ×
(settlement − entry).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from orchestration.equity import calendar
from orchestration.equity.occ import OPTION_TYPES, POSITION_TYPES

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
    expired = out["expired"].astype(bool) if "expired" in out else pd.Series(False, index=out.index)
    settled = expired & out.get("settlement_price", pd.Series(np.nan, index=out.index)).notna()
    source = np.where(price.notna(), "market", np.where(last.notna(), "last_close", "entry_price"))
    out["price_source"] = np.where(settled, "settlement", source)
    price = price.fillna(last).fillna(entry)
    out["price"] = price
    out["expired"] = expired
    live = (~expired).astype(float)
    out["market_value"] = q.abs() * price * m * live
    out["exposure"] = q * price * m * live
    out["cost_basis"] = q * entry * m
    out["unrealized_pnl"] = (q * price * m - out["cost_basis"]) * live
    out["realized_pnl"] = (q * price * m - out["cost_basis"]) * (1.0 - live)

    prev = out["previous_close"].astype(float)
    entered_today = out["entry_date"] >= day
    daily_base = np.where(entered_today, entry, prev.fillna(last).fillna(entry))
    out["daily_pnl_fallback"] = (~entered_today) & prev.isna()
    out["daily_pnl"] = q * m * (price - daily_base)

    month_base, month_fallback = _pnl_base(out, out["month_ref_date"], out["month_ref_close"].astype(float))
    year_base, year_fallback = _pnl_base(out, out["year_ref_date"], out["year_ref_close"].astype(float))
    out["mtd_pnl"] = q * m * (price - month_base)
    out["ytd_pnl"] = q * m * (price - year_base)
    out["mtd_pnl_fallback"] = month_fallback
    out["ytd_pnl_fallback"] = year_fallback
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


# ------------------------------------------------------------------------------------------- option expiry
# Option expiry (issue 14): on its expiry date an option settles at intrinsic value from its underlying's close.
#
# Intrinsic value per share: call max(S − K, 0), put max(K − S, 0), S the underlying's close on the expiry date
# (the session on or before it when the exchange is closed that day). From the expiry date on the option is
# `expired`: every close it is compared with on or after that date is the settlement, so its daily P&L after
# expiry is 0 and its realised P&L is quantity × multiplier × (settlement − entry); its Greeks, delta-adjusted
# exposure and factor exposure are 0 (greeks.py, pipeline.factor_betas). Still listed, with market value 0.


def is_expired(position_type: str, expiry: Any, day: dt.date) -> bool:
    """True for an option whose expiry date is on or before `day`."""
    date = _date(expiry)
    return position_type in OPTION_TYPES and date is not None and date <= day


def _date(value: Any) -> dt.date | None:
    """A date from a date, a timestamp or a missing value (None, NaT, NaN)."""
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)):
        return None
    return value.date() if isinstance(value, dt.datetime) else value


def settlement_day(expiry: dt.date) -> dt.date:
    """The session whose close settles an option expiring on `expiry` (that day, or the session before it)."""
    return calendar.session_on_or_before(expiry)


def intrinsic(option_type: str, strike: float, spot: float) -> float:
    """Intrinsic value per share: call max(S − K, 0), put max(K − S, 0); NaN when the spot is unknown."""
    if not math.isfinite(spot):
        return math.nan
    return max(spot - strike, 0.0) if option_type == "C" else max(strike - spot, 0.0)


def settlement_prices(held: pd.DataFrame, closes: pd.DataFrame, day: dt.date) -> pd.Series:
    """Per row: the settlement price per share of an option expired by `day`, else NaN (also when S is unknown)."""
    values = []
    for row in held.itertuples(index=False):
        expiry = _date(getattr(row, "expiry", None))
        if expiry is None or not is_expired(row.position_type, expiry, day):
            values.append(math.nan)
            continue
        settle_on = settlement_day(expiry)
        underlying = str(row.underlying)
        present = underlying in closes.columns and settle_on in closes.index
        spot = float(closes.at[settle_on, underlying]) if present else math.nan
        values.append(intrinsic(str(row.option_type), float(row.strike), spot))
    return pd.Series(values, index=held.index, dtype=float)


def settle(frame: pd.DataFrame, day: dt.date, references: Mapping[str, dt.date]) -> pd.DataFrame:
    """Mark expired options and put the settlement in place of every close dated on or after expiry.

    `frame` has price, `settlement_price` and the close columns named in `references` (column → the date it is
    the close of); today's price and each of those dated on or after expiry take the settlement.
    """
    out = frame.copy()
    expiries = [_date(e) for e in out.get("expiry", pd.Series(None, index=out.index))]
    types = out["position_type"].astype(str)
    out["expired"] = [is_expired(t, e, day) for t, e in zip(types, expiries, strict=True)]
    known = out["settlement_price"].notna().to_numpy()
    for column, ref_date in {"price": day, **references}.items():
        after = np.array(
            [e is not None and t in OPTION_TYPES and e <= ref_date for t, e in zip(types, expiries, strict=True)],
            dtype=bool,
        )
        out[column] = np.where(after & known, out["settlement_price"], out[column].astype(float))
    return out


def earliest_settlement(held: pd.DataFrame, day: dt.date, floor: dt.date) -> dt.date | None:
    """The earliest settlement session of the options in `held` expired by `day` (not before `floor`), if any."""
    if held.empty or "expiry" not in held:
        return None
    expiries = [
        e
        for t, e in zip(held["position_type"], (_date(x) for x in held["expiry"]), strict=True)
        if e is not None and t in OPTION_TYPES and e <= day
    ]
    return settlement_day(max(min(expiries), floor)) if expiries else None
