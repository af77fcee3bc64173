"""Covenant evaluation: one result per covenant × period with measurements (issue 7, Evaluation).

Statuses (issue 7): for `<=`, BREACH when value > threshold, NEAR_BREACH when not breached and
threshold − value ≤ tolerance, else OK; `>=` is the mirror image. Equality with the threshold is
compliant (never BREACH). A metric the formula needs but the period lacks gives MISSING_DATA naming
it; a zero divisor gives ERROR with the reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from orchestration.covenants.formula import Formula, evaluate, parse_formula, scaled_values

Status = Literal["OK", "NEAR_BREACH", "BREACH", "MISSING_DATA", "ERROR"]
STATUSES: tuple[str, ...] = ("OK", "NEAR_BREACH", "BREACH", "MISSING_DATA", "ERROR")
INT64_MAX = 2**63 - 1

EVALUATION_COLUMNS = [
    "covenant_id",
    "deal_id",
    "period_start",
    "period_end",
    "calculated_value_scaled",
    "threshold_value_scaled",
    "threshold_direction",
    "tolerance_scaled",
    "status",
    "reason",
    "formula",
]


EVALUATION_DTYPES = {"calculated_value_scaled": "Int64", "threshold_value_scaled": "int64", "tolerance_scaled": "int64"}


def empty_evaluations() -> pd.DataFrame:
    """An evaluation frame with no rows but the right dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=EVALUATION_DTYPES.get(c, object)) for c in EVALUATION_COLUMNS})


def covenant_status(value: int, threshold: int, direction: str, tolerance: int) -> str:
    """The status of one calculated value against its threshold (issue 7's boundary rules)."""
    if direction == "<=":
        if value > threshold:
            return "BREACH"
        return "NEAR_BREACH" if threshold - value <= tolerance else "OK"
    if direction == ">=":
        if value < threshold:
            return "BREACH"
        return "NEAR_BREACH" if value - threshold <= tolerance else "OK"
    raise ValueError(f"threshold_direction must be '<=' or '>=', not {direction!r}")


def statuses(values: np.ndarray, thresholds: np.ndarray, directions: np.ndarray, tolerance: int) -> np.ndarray:
    """`covenant_status` over arrays (values as integers; rows without a value are not passed here)."""
    le = directions == "<="
    headroom = np.where(le, thresholds - values, values - thresholds)
    return np.where(headroom < 0, "BREACH", np.where(headroom <= tolerance, "NEAR_BREACH", "OK"))


def is_period_due(frequency: str, period_start: dt.date, period_end: dt.date) -> bool:
    """QUARTERLY covenants are tested every period; ANNUAL ones on year-end or year-long periods only."""
    if frequency == "QUARTERLY":
        return True
    return (period_end.month, period_end.day) == (12, 31) or (period_end - period_start).days >= 360


def _wide_metrics(measurements: pd.DataFrame) -> pd.DataFrame:
    """One row per (deal, period), one column per metric (nullable Int64, exact)."""
    keys = ["deal_id", "period_start", "period_end"]
    if measurements.empty:
        return pd.DataFrame(columns=keys).set_index(keys)
    series = measurements.set_index([*keys, "metric_name"])["metric_value_scaled"].astype("Int64")
    return series.unstack("metric_name")


def evaluate_covenants(
    covenants: pd.DataFrame, measurements: pd.DataFrame, tolerance: int, pairs: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Evaluate each covenant for every period its deal has measurements in (or only `pairs`).

    `covenants`: covenant_id, deal_id, formula, threshold_value_scaled, threshold_direction, frequency.
    `measurements`: deal_id, period_start, period_end, metric_name, metric_value_scaled.
    `pairs` (optional): covenant_id, period_start, period_end to restrict the evaluation to.
    """
    wide = _wide_metrics(measurements)
    if covenants.empty or wide.empty:
        return empty_evaluations()
    periods = wide.index.to_frame(index=False)
    rows = covenants.merge(periods, on="deal_id", how="inner")
    if pairs is not None:
        rows = rows.merge(pairs, on=["covenant_id", "period_start", "period_end"], how="inner")
    annual = rows["frequency"] == "ANNUAL"
    if annual.any():
        due = [
            is_period_due("ANNUAL", s, e)
            for s, e in zip(rows.loc[annual, "period_start"], rows.loc[annual, "period_end"], strict=True)
        ]
        rows = rows.drop(index=rows.index[annual][~np.array(due, dtype=bool)])
    if rows.empty:
        return empty_evaluations()
    parts = [
        _evaluate_group(group, parse_formula(str(text)), wide, tolerance)
        for text, group in rows.groupby("formula", sort=True)
    ]
    return pd.concat(parts, ignore_index=True).astype(EVALUATION_DTYPES)[EVALUATION_COLUMNS]


def _exact_ints(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A nullable Int64 column as Python ints (object array, exact) and its present-mask."""
    mask = column.notna().to_numpy()
    ints = column.to_numpy(dtype=np.int64, na_value=0).astype(object)
    return ints, mask


def _evaluate_group(rows: pd.DataFrame, formula: Formula, wide: pd.DataFrame, tolerance: int) -> pd.DataFrame:
    """Evaluate rows sharing one formula in one vectorized pass."""
    n = len(rows)
    index = pd.MultiIndex.from_frame(rows[["deal_id", "period_start", "period_end"]])
    positions = wide.index.get_indexer(index)
    values: dict[str, np.ndarray] = {}
    present: dict[str, np.ndarray] = {}
    for name in formula.metrics:
        if name in wide.columns:
            ints, mask = _exact_ints(wide[name].iloc[positions])
            values[name], present[name] = ints, mask
    result = evaluate(formula, values, present, n)
    scaled = scaled_values(result.numerator, result.denominator)
    missing = result.any_missing
    errored = ~missing & pd.notna(result.errors)
    overflow = ~missing & ~errored & (np.abs(scaled) > INT64_MAX)
    valid = ~(missing | errored | overflow)
    thresholds = rows["threshold_value_scaled"].to_numpy(dtype=np.int64).astype(object)
    directions = rows["threshold_direction"].to_numpy()
    status = statuses(np.where(valid, scaled, 0), thresholds, directions, tolerance).astype(object)
    status[missing] = "MISSING_DATA"
    status[errored | overflow] = "ERROR"
    reason = np.full(n, None, dtype=object)
    reason[errored] = result.errors[errored]
    reason[overflow] = "calculated value does not fit a 64-bit scaled integer"
    where_missing = np.flatnonzero(missing)
    if len(where_missing):
        reason[where_missing] = result.missing_reasons(where_missing)
    value = pd.array(np.where(valid, scaled, 0).astype(np.int64), dtype="Int64")
    value[~valid] = pd.NA
    return pd.DataFrame(
        {
            "covenant_id": rows["covenant_id"].to_numpy(),
            "deal_id": rows["deal_id"].to_numpy(),
            "period_start": rows["period_start"].to_numpy(),
            "period_end": rows["period_end"].to_numpy(),
            "calculated_value_scaled": value,
            "threshold_value_scaled": rows["threshold_value_scaled"].to_numpy(dtype=np.int64),
            "threshold_direction": directions,
            "tolerance_scaled": tolerance,
            "status": status,
            "reason": reason,
            "formula": rows["formula"].to_numpy(),
        }
    )


def restatus(
    values: Sequence[int | None],
    thresholds: Sequence[int],
    directions: Sequence[str],
    stored: Sequence[str],
    tolerance: int,
) -> list[str]:
    """Recompute statuses from stored values with another tolerance (MISSING_DATA and ERROR stay)."""
    return [
        s if v is None or s in ("MISSING_DATA", "ERROR") else covenant_status(int(v), int(t), d, tolerance)
        for v, t, d, s in zip(values, thresholds, directions, stored, strict=True)
    ]
