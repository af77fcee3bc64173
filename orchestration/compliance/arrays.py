"""Array helpers of the compliance engine: typed columns from a holdings frame, weighted means, group sums.

Plain numpy / pandas, no conventions: the engine and `evaluation.py` read holdings through these.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd


def jsonable(value: Any) -> Any:
    """Numpy scalars → Python scalars, NaN → None (recursively)."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        f = float(value)
        return None if math.isnan(f) else f
    if value is pd.NaT:
        return None
    return value


def float_col(df: pd.DataFrame, name: str) -> np.ndarray:
    """A numeric column as float64 with NaN for missing (Decimal / str / None tolerated)."""
    if name not in df.columns:
        return np.full(len(df), np.nan)
    col = df[name]
    if col.dtype.kind in "fiu":
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    return pd.to_numeric(col.astype(object).where(col.notna(), None), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )


def str_col(df: pd.DataFrame, name: str, default: str = "") -> np.ndarray:
    """A text column, stripped, with `default` for missing values."""
    if name not in df.columns:
        return np.full(len(df), default, dtype=object)
    col = df[name]
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    cleaned = np.array([str(u).strip() for u in uniques] + [default], dtype=object)
    out = cleaned[np.where(codes < 0, len(uniques), codes)]
    if default != "":
        out = np.where(out == "", default, out)
    return out


def weighted(values: np.ndarray, weights: np.ndarray) -> float | None:
    """Σ(weight × value) / Σ weight, or None when there is no weight."""
    total = float(weights.sum())
    return float((weights * values).sum()) / total if total > 0 else None


def group_sum(labels: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct labels, Σ weights per label) via factorize + bincount."""
    codes, uniques = pd.factorize(pd.Series(labels, dtype=object))
    sums = np.bincount(codes, weights=weights, minlength=len(uniques)) if len(uniques) else np.zeros(0)
    return np.asarray(uniques, dtype=object), sums


def largest(labels: np.ndarray, sums: np.ndarray) -> tuple[str | None, float]:
    """Largest group (ties: the label first in ascending order) and its amount."""
    if len(sums) == 0:
        return None, 0.0
    best = sums.max()
    candidates = sorted(str(lbl) for lbl, s in zip(labels, sums, strict=True) if s == best)
    return candidates[0], float(best)
