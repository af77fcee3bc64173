"""Breach-model features per deal and period, and the label: a breach in the following period (issue 7).

Every feature uses only the deal's data up to and including the period (no look-ahead):

- `cov_<formula>_value`: the covenant's calculated value in ratio units (calculated_value_scaled / 100).
- `cov_<formula>_headroom`: distance to the threshold relative to it, (T − V)/abs(T) for `<=` and
  (V − T)/abs(T) for `>=`; below 0 is a breach.
- `cov_<formula>_value_qoq`, `cov_<formula>_headroom_qoq`: change of those two since the deal's previous period.
- `n_covenants`, `n_breach`, `n_near_breach`, `n_missing`: the period's evaluations by status
  (`n_missing` counts MISSING_DATA and ERROR).
- `min_headroom`, `mean_headroom`, `min_headroom_qoq`: across the deal's covenants; change of the minimum.
- `metric_<name>_qoq`: relative change of a reported metric since the previous period, (v − v₋₁)/abs(v₋₁).
- `sector_<s>`, `region_<r>`: one-hot sector and region (the categories seen in training).
- `log_commitment`: log10 of the commitment in currency units (cents / 100).
- `years_to_maturity`: (maturity date − period end) in years of 365.25 days.

Covenants are keyed by their canonical formula (`total_debt / ebitda` → `cov_total_debt_div_ebitda_…`),
so the same kind of covenant lines up across deals; the most common kinds and metrics are kept.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from orchestration.covenants.formula import parse_formula

MAX_COVENANT_KINDS = 12
MAX_METRICS = 16
KEY = ["deal_id", "period_start", "period_end"]


def slug(text: str) -> str:
    """A readable column-name fragment: operators spelled out, everything else `_`."""
    spelled = text.replace("/", " div ").replace("*", " mul ").replace("+", " plus ").replace("-", " minus ")
    return re.sub(r"[^a-z0-9]+", "_", spelled.lower()).strip("_")


@dataclass
class FeatureSpec:
    """Which covenant kinds, metrics and categories become columns; stored with each model."""

    covenant_kinds: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "covenant_kinds": self.covenant_kinds,
            "metrics": self.metrics,
            "sectors": self.sectors,
            "regions": self.regions,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeatureSpec:
        return cls(**{k: list(data.get(k, [])) for k in ("covenant_kinds", "metrics", "sectors", "regions")})

    @property
    def columns(self) -> list[str]:
        cols = [
            f"cov_{slug(kind)}_{part}"
            for kind in self.covenant_kinds
            for part in ("value", "headroom", "value_qoq", "headroom_qoq")
        ]
        cols += ["n_covenants", "n_breach", "n_near_breach", "n_missing", "min_headroom", "mean_headroom"]
        cols += ["min_headroom_qoq"]
        cols += [f"metric_{slug(m)}_qoq" for m in self.metrics]
        cols += [f"sector_{slug(s)}" for s in self.sectors] + [f"region_{slug(r)}" for r in self.regions]
        return [*cols, "log_commitment", "years_to_maturity"]


def derive_spec(deals: pd.DataFrame, covenants: pd.DataFrame, measurements: pd.DataFrame) -> FeatureSpec:
    """The most frequent covenant kinds and metrics, and every sector and region, of the training data."""
    kinds = covenants["formula"].map(lambda f: parse_formula(f).canonical).value_counts()
    metrics = measurements["metric_name"].value_counts()
    return FeatureSpec(
        covenant_kinds=sorted(kinds.index[:MAX_COVENANT_KINDS]),
        metrics=sorted(metrics.index[:MAX_METRICS]),
        sectors=sorted(deals["sector"].unique()),
        regions=sorted(deals["region"].unique()),
    )


def _headroom(value: pd.Series, threshold: pd.Series, direction: pd.Series) -> pd.Series:
    scale = threshold.abs().where(threshold != 0, 1.0)
    raw = np.where(direction == "<=", threshold - value, value - threshold)
    return pd.Series(raw, index=value.index) / scale


def build_features(
    deals: pd.DataFrame,
    covenants: pd.DataFrame,
    evaluations: pd.DataFrame,
    measurements: pd.DataFrame,
    spec: FeatureSpec,
) -> pd.DataFrame:
    """One row per deal and period (index deal_id, period_start, period_end), `spec.columns`, plus `label`.

    `label` is 1 when any covenant of the deal is in BREACH in its next period, 0 when none is, NaN for
    a deal's last period (nothing to learn from yet; these rows are what `breach_predictions` scores).
    """
    periods = pd.concat([evaluations[KEY], measurements[KEY]]).drop_duplicates()
    periods = periods.sort_values(KEY, ignore_index=True)
    frame = periods.set_index(KEY)
    columns: dict[str, pd.Series] = {}

    ev = evaluations.merge(covenants[["covenant_id", "formula"]], on="covenant_id", how="left", suffixes=("", "_cov"))
    formula_col = "formula_cov" if "formula_cov" in ev.columns else "formula"
    ev["kind"] = ev[formula_col].map(lambda f: parse_formula(f).canonical if isinstance(f, str) else None)
    ev["value"] = ev["calculated_value_scaled"].astype("Float64").astype(float) / 100.0
    ev["headroom"] = _headroom(
        ev["value"], ev["threshold_value_scaled"].astype(float) / 100.0, ev["threshold_direction"]
    )
    for kind in spec.covenant_kinds:
        sub = ev[ev["kind"] == kind].groupby(KEY).agg(value=("value", "max"), headroom=("headroom", "min"))
        name = f"cov_{slug(kind)}"
        columns[f"{name}_value"] = sub["value"]
        columns[f"{name}_headroom"] = sub["headroom"]
    status = ev.groupby(KEY)["status"]
    columns["n_covenants"] = status.size()
    columns["n_breach"] = status.apply(lambda s: int((s == "BREACH").sum()))
    columns["n_near_breach"] = status.apply(lambda s: int((s == "NEAR_BREACH").sum()))
    columns["n_missing"] = status.apply(lambda s: int(s.isin(["MISSING_DATA", "ERROR"]).sum()))
    columns["min_headroom"] = ev.groupby(KEY)["headroom"].min()
    columns["mean_headroom"] = ev.groupby(KEY)["headroom"].mean()
    for name, series in columns.items():
        frame[name] = series.reindex(frame.index)
    for column in ("n_covenants", "n_breach", "n_near_breach", "n_missing"):
        frame[column] = pd.to_numeric(frame[column]).fillna(0)

    by_deal = frame.groupby(level="deal_id", sort=False)
    for kind in spec.covenant_kinds:
        name = f"cov_{slug(kind)}"
        frame[f"{name}_value_qoq"] = by_deal[f"{name}_value"].diff()
        frame[f"{name}_headroom_qoq"] = by_deal[f"{name}_headroom"].diff()
    frame["min_headroom_qoq"] = by_deal["min_headroom"].diff()

    if spec.metrics:
        wide = (
            measurements[measurements["metric_name"].isin(spec.metrics)]
            .pivot_table(index=KEY, columns="metric_name", values="metric_value_scaled", aggfunc="last")
            .reindex(frame.index)
            .astype(float)
        )
        previous = wide.groupby(level="deal_id", sort=False).shift(1)
        for metric in spec.metrics:
            if metric in wide.columns:
                change = (wide[metric] - previous[metric]) / previous[metric].abs().where(previous[metric] != 0)
                frame[f"metric_{slug(metric)}_qoq"] = change
            else:
                frame[f"metric_{slug(metric)}_qoq"] = np.nan

    info = deals.set_index("deal_id")
    deal_ids = frame.index.get_level_values("deal_id")
    sector = info["sector"].reindex(deal_ids).to_numpy()
    region = info["region"].reindex(deal_ids).to_numpy()
    for value in spec.sectors:
        frame[f"sector_{slug(value)}"] = (sector == value).astype(float)
    for value in spec.regions:
        frame[f"region_{slug(value)}"] = (region == value).astype(float)
    commitment = info["commitment_amount_cents"].reindex(deal_ids).astype(float).to_numpy()
    frame["log_commitment"] = [math.log10(c / 100.0) if c and c > 0 else np.nan for c in commitment]
    maturity = pd.to_datetime(info["maturity_date"].reindex(deal_ids)).to_numpy()
    period_end = pd.to_datetime(frame.index.get_level_values("period_end")).to_numpy()
    frame["years_to_maturity"] = (maturity - period_end) / np.timedelta64(1, "D") / 365.25

    breach_now = (frame["n_breach"] > 0).astype(float)
    has_next = by_deal["n_covenants"].shift(-1).notna()
    frame["label"] = breach_now.groupby(level="deal_id", sort=False).shift(-1).where(has_next)
    for column in spec.columns:
        if column not in frame.columns:
            frame[column] = np.nan
    return frame[[*spec.columns, "label"]].astype(float)


def latest_rows(features: pd.DataFrame) -> pd.DataFrame:
    """Each deal's most recent period: what a prediction scores."""
    ordered = features.sort_index(level=["deal_id", "period_end"])
    return ordered.groupby(level="deal_id", sort=False).tail(1)
