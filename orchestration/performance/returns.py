"""Portfolio returns: daily NET/GROSS/PURE_GROSS (convention 2), period TWR and Modified Dietz (4), annualization (6).

Fees and tx_costs follow seed 002: negative for charges.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np

from orchestration.performance.backend import Backend, Number
from orchestration.performance.inputs import AnnualizationBasis, PortfolioDay, ReturnBasis
from orchestration.performance.periods import days_by_year_length


def daily_returns(b: Backend, series: Sequence[PortfolioDay], basis: ReturnBasis) -> np.ndarray:
    """Convention 2: NET r = (end_mv − eod_cf)/begin_mv − 1; GROSS = (end_mv − eod_cf − fees)/begin_mv − 1.

    Seed 002 signs: fees and tx_costs are negative for charges (a positive value is a rebate), so GROSS
    adds a charge back; PURE_GROSS also adds back tx_costs. The denominator is begin_mv after the BOD flow.
    """
    begin = b.array(d.begin_mv for d in series)
    end = b.array(d.end_mv for d in series)
    eod = b.array(d.eod_cf for d in series)
    numerator = end - eod
    if basis in ("GROSS", "PURE_GROSS"):
        numerator = numerator - b.array(d.fees for d in series)
    if basis == "PURE_GROSS":
        numerator = numerator - b.array(d.tx_costs for d in series)
    return numerator / begin - b.one


def twr(b: Backend, daily: np.ndarray) -> Number:
    """Convention 4: Π(1 + r_t) − 1 over the period's rows (0 for no rows)."""
    return b.prod(daily + b.one) - b.one


def modified_dietz(b: Backend, series: Sequence[PortfolioDay], start: dt.date, end: dt.date) -> Number | None:
    """Convention 4: (V1 − V0 − ΣCF)/(V0 + Σ W_i·CF_i) with W = (CD − D_i)/CD.

    CD is the inclusive calendar days of [start, end]; a BOD flow on day d sits at D = (d − start)
    days, an EOD flow at D + 1. V0 is the value before the first row's BOD flow, V1 the last end_mv.
    Fees are not flows. None when the period has no rows or the denominator is zero.
    """
    rows = [d for d in series if start <= d.date <= end]
    if not rows:
        return None
    cd = b.scalar((end - start).days + 1)
    v0 = b.scalar(rows[0].begin_mv) - b.scalar(rows[0].bod_cf)
    v1 = b.scalar(rows[-1].end_mv)
    flows = b.zero
    weighted = b.zero
    for d in rows:
        offset = b.scalar((d.date - start).days)
        bod, eod = b.scalar(d.bod_cf), b.scalar(d.eod_cf)
        flows += bod + eod
        weighted += (cd - offset) / cd * bod + (cd - offset - 1) / cd * eod
    denominator = v0 + weighted
    if denominator == 0:
        return None
    return (v1 - v0 - flows) / denominator


def years(b: Backend, basis: AnnualizationBasis, start: dt.date, end: dt.date, rows: int) -> Number:
    """Convention 6: ACT_365 = inclusive days/365; BUS_252 = daily rows/252; ACT_ACT = Σ 1/366 or 1/365 per day."""
    if basis == "ACT_365":
        return b.scalar((end - start).days + 1) / b.scalar(365)
    if basis == "BUS_252":
        return b.scalar(rows) / b.scalar(252)
    common, leap = days_by_year_length(start, end)
    return b.scalar(common) / b.scalar(365) + b.scalar(leap) / b.scalar(366)


def annualize(b: Backend, total: Number, period_years: Number) -> Number:
    """Convention 6: (1 + R)^(1/years) − 1 (callers decide whether a short period may be annualized)."""
    exponent = b.one / period_years
    return b.power(total + b.one, exponent) - b.one


def should_annualize(period_years: Any, *, enabled: bool, allow_short: bool) -> tuple[bool, bool]:
    """(annualize?, shorter than a year?): short periods only when the config allows it (GIPS default)."""
    short = period_years < 1
    if not enabled or period_years <= 0:
        return False, bool(short)
    return (not short) or allow_short, bool(short)


def as_decimal_text(value: Number | None) -> str | None:
    """A decimal string without exponent (for notes and previews)."""
    if value is None:
        return None
    return format(value if isinstance(value, Decimal) else Decimal(repr(value)), "f")
