"""Anomalies and insights for a workbook's holdings: z-scores, patterns, cross-date trends and correlations.

Z-score: for each numeric field with at least `MIN_SAMPLE` values, z = (x - mean) / std with the population
standard deviation (ddof = 0); |z| > threshold (default 3.0) is an anomaly, reported with the expected range
[mean - threshold × std, mean + threshold × std]. Severity: critical when |z| > 2 × threshold, else warning.
"""

import datetime as dt
import itertools
import math
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from orchestration.core import ratings

ANOMALY_FIELDS: tuple[str, ...] = ("par_amount", "market_value", "price", "spread", "coupon")
DEFAULT_THRESHOLD = 3.0
MIN_SAMPLE = 5
CCC_LIMIT_PCT = 7.5
INDUSTRY_LIMIT_PCT = 15.0
OBLIGOR_LIMIT_PCT = 2.5
CORRELATION_FIELDS: tuple[str, ...] = ("spread", "price", "coupon", "par_amount")
CORRELATION_MIN = 0.5
CHECK_DIGIT_LABELS: dict[str, str] = {
    "cusip_check_digit": "CUSIP",
    "isin_check_digit": "ISIN",
    "figi_check_digit": "FIGI",
}
"""Validation rules that become an "Invalid … check digit" pattern insight, and the identifier each names."""
_NS = uuid.UUID("8d3f7f7e-41b4-4c7e-9d6c-1c0c1a0c1a11")


def _id(*parts: object) -> str:
    return str(uuid.uuid5(_NS, "|".join(str(p) for p in parts)))


def _position(row: Any) -> str:
    for key in ("cusip", "isin", "figi", "loanx_id", "asset_id", "holding_id"):
        value = row.get(key) if isinstance(row, dict) else getattr(row, key, None)
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            return str(value)
    return ""


def zscore_anomalies(
    holdings: pd.DataFrame, threshold: float = DEFAULT_THRESHOLD, fields: Sequence[str] = ANOMALY_FIELDS
) -> pd.DataFrame:
    """One row per (holding, field) with |z| > threshold: value, mean, std, z_score and expected range."""
    rows: list[dict[str, Any]] = []
    for field_name in fields:
        values = pd.to_numeric(holdings[field_name], errors="coerce")
        clean = values.dropna()
        if len(clean) < MIN_SAMPLE:
            continue
        mean = float(clean.mean())
        std = float(clean.std(ddof=0))
        if std == 0 or not math.isfinite(std):
            continue
        z = (values - mean) / std
        for index in z[z.abs() > threshold].index:
            record = holdings.loc[index]
            zval = float(z.loc[index])
            rows.append(
                {
                    "anomaly_id": _id(record["holding_id"], field_name),
                    "holding_id": record["holding_id"],
                    "field": field_name,
                    "cusip": record.get("cusip"),
                    "issuer_name": record.get("issuer_name"),
                    "value": float(values.loc[index]),
                    "mean": mean,
                    "std": std,
                    "z_score": round(zval, 4),
                    "expected_low": mean - threshold * std,
                    "expected_high": mean + threshold * std,
                    "threshold": threshold,
                    "detection_method": "z_score",
                    "severity": "critical" if abs(zval) > 2 * threshold else "warning",
                }
            )
    columns = [
        "anomaly_id", "holding_id", "field", "cusip", "issuer_name", "value", "mean", "std", "z_score",
        "expected_low", "expected_high", "threshold", "detection_method", "severity",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def in_ccc(holdings: pd.DataFrame) -> pd.Series:
    """The one CCC rule (`core.ratings.ccc_holdings`): effective rating Caa1/CCC+ or below, not defaulted."""
    return pd.Series(ratings.ccc_holdings(holdings), index=holdings.index)


def ccc_par_pct(holdings: pd.DataFrame) -> float:
    """CCC par as a percent of total par (4 dp): the workbook's `ccc_par_pct` wherever it is served.

    Not the CCC bucket test's value (`ccc_pct` in compliance), which divides by the collateral principal
    amount (performing par plus principal cash) of the deal.
    """
    par = pd.to_numeric(holdings["par_amount"], errors="coerce").fillna(0.0)
    total = float(par.sum())
    return round(100.0 * float(par[in_ccc(holdings)].sum()) / total, 4) if total else 0.0


def portfolio_metrics(holdings: pd.DataFrame) -> dict[str, float | int | None]:
    """Totals and par-weighted averages used by trends: par, MV, CCC %, defaulted %, WA spread and price.

    A figure that is not finite (only possible from rows written before numbers were bounded) is None.
    """
    par = pd.to_numeric(holdings["par_amount"], errors="coerce").fillna(0.0)
    total = float(par.sum())

    def weighted(field_name: str) -> float | None:
        values = pd.to_numeric(holdings[field_name], errors="coerce")
        mask = values.notna() & (par > 0)
        weight = float(par[mask].sum())
        return round(float((values[mask] * par[mask]).sum()) / weight, 4) if weight else None

    metrics = {
        "holding_count": len(holdings),
        "total_par": total,
        "total_mv": float(pd.to_numeric(holdings["market_value"], errors="coerce").fillna(0.0).sum()),
        "ccc_par_pct": ccc_par_pct(holdings),
        "defaulted_pct": round(100.0 * float(par[holdings["is_defaulted"].astype(bool)].sum()) / total, 4)
        if total
        else 0.0,
        "wa_spread": weighted("spread"),
        "wa_price": weighted("price"),
    }
    return {k: v if v is None or math.isfinite(v) else None for k, v in metrics.items()}


def _insight(
    workbook_id: str,
    kind: str,
    key: str,
    severity: str,
    title: str,
    description: str,
    affected: list[str],
    data: dict[str, Any],
    recommendation: str | None,
    created_at: dt.datetime,
) -> dict[str, Any]:
    return {
        "workbook_id": workbook_id,
        "insight_id": _id(workbook_id, kind, key),
        "type": kind,
        "severity": severity,
        "title": title,
        "description": description,
        "affected_positions": affected,
        "data": data,
        "recommendation": recommendation,
        "status": "active",
        "created_at": created_at,
    }


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"


def anomaly_insights(
    workbook_id: str, anomalies: pd.DataFrame, created_at: dt.datetime, per_field: int = 20
) -> list[dict[str, Any]]:
    """One insight per anomaly (the largest |z| first, at most `per_field` per field)."""
    out: list[dict[str, Any]] = []
    if anomalies.empty:
        return out
    ordered = anomalies.assign(abs_z=anomalies["z_score"].abs()).sort_values("abs_z", ascending=False)
    for field_name, group in ordered.groupby("field", sort=False):
        for row in group.head(per_field).itertuples(index=False):
            who = row.issuer_name or row.cusip or row.holding_id
            direction = "above" if row.z_score > 0 else "below"
            unit = "bps" if field_name == "spread" else ""
            out.append(
                _insight(
                    workbook_id,
                    "anomaly",
                    row.anomaly_id,
                    row.severity,
                    f"Unusual {str(field_name).replace('_', ' ')} detected",
                    f"Position {who} has {field_name} {_fmt(row.value)}{unit}, which is {abs(row.z_score):.1f} "
                    f"standard deviations {direction} the portfolio average ({_fmt(row.mean)}{unit})",
                    [row.cusip or row.holding_id],
                    {
                        "field": field_name,
                        "value": row.value,
                        "z_score": row.z_score,
                        "expected_range": [row.expected_low, row.expected_high],
                    },
                    f"Verify {str(field_name).replace('_', ' ')} is correctly captured from source",
                    created_at,
                )
            )
    return out


def pattern_insights(
    workbook_id: str, holdings: pd.DataFrame, diagnostics: dict[str, Any], created_at: dt.datetime
) -> list[dict[str, Any]]:
    """Concentrations, CCC bucket, defaults, duplicates and identifier problems in this workbook."""
    out: list[dict[str, Any]] = []
    if holdings.empty:
        return out
    par = pd.to_numeric(holdings["par_amount"], errors="coerce").fillna(0.0)
    total = float(par.sum()) or 1.0
    positions = holdings.apply(lambda r: _position(r.to_dict()), axis=1) if len(holdings) else pd.Series([])

    ccc_mask = in_ccc(holdings)
    ccc_pct = ccc_par_pct(holdings)
    if ccc_mask.any():
        out.append(
            _insight(
                workbook_id,
                "pattern",
                "ccc_bucket",
                "warning" if ccc_pct > CCC_LIMIT_PCT else "info",
                "CCC bucket exposure",
                f"{int(ccc_mask.sum())} performing holdings rated Caa1/CCC+ or below make up {ccc_pct:.2f}% of par "
                f"(typical limit {CCC_LIMIT_PCT}%)",
                sorted(positions[ccc_mask].tolist()),
                {"ccc_par_pct": ccc_pct, "limit_pct": CCC_LIMIT_PCT},
                "Monitor CCC exposure against the deal's CCC limit",
                created_at,
            )
        )
    defaulted = holdings["is_defaulted"].astype(bool)
    if defaulted.any():
        out.append(
            _insight(
                workbook_id,
                "pattern",
                "defaulted",
                "critical",
                "Defaulted holdings",
                f"{int(defaulted.sum())} holding(s) flagged as defaulted, "
                f"{100.0 * float(par[defaulted].sum()) / total:.2f}% of par",
                sorted(positions[defaulted].tolist()),
                {"defaulted_par": float(par[defaulted].sum())},
                "Confirm default status and recovery assumptions",
                created_at,
            )
        )
    industries = holdings.assign(par=par).groupby(holdings["industry"].fillna("Unknown"))["par"].sum()
    if len(industries):
        top_industry = str(industries.idxmax())
        share = 100.0 * float(industries.max()) / total
        if share > INDUSTRY_LIMIT_PCT:
            out.append(
                _insight(
                    workbook_id,
                    "pattern",
                    f"industry:{top_industry}",
                    "warning",
                    "Industry concentration",
                    f"{top_industry} is {share:.2f}% of par (above {INDUSTRY_LIMIT_PCT}%)",
                    [],
                    {"industry": top_industry, "share_pct": round(share, 4)},
                    "Review industry diversity limits",
                    created_at,
                )
            )
    obligors = holdings.assign(par=par).groupby(holdings["issuer_name"].fillna("Unknown"))["par"].sum()
    big = obligors[100.0 * obligors / total > OBLIGOR_LIMIT_PCT]
    if len(big):
        out.append(
            _insight(
                workbook_id,
                "pattern",
                "obligor_concentration",
                "info",
                "Obligor concentration",
                f"{len(big)} obligor(s) above {OBLIGOR_LIMIT_PCT}% of par; largest {big.idxmax()} "
                f"at {100.0 * float(big.max()) / total:.2f}%",
                [],
                {"obligors": {str(k): round(100.0 * float(v) / total, 4) for k, v in big.items()}},
                "Check single-obligor limits",
                created_at,
            )
        )
    from orchestration.clo.quality import holding_keys

    keys = holding_keys(holdings)
    duplicated = keys.duplicated(keep=False)
    if duplicated.any():
        out.append(
            _insight(
                workbook_id,
                "pattern",
                "duplicates",
                "warning",
                "Duplicate positions",
                f"{int(keys.duplicated().sum())} row(s) repeat an identifier already listed",
                sorted(set(keys[duplicated].astype(str))),
                {"rows": holdings.loc[duplicated, "row_index"].astype(int).tolist()[:50]},
                "Merge or remove duplicated rows at the source",
                created_at,
            )
        )
    for failure in diagnostics.get("validation_failures", []):
        if failure["rule"] in CHECK_DIGIT_LABELS:
            label = CHECK_DIGIT_LABELS[failure["rule"]]
            out.append(
                _insight(
                    workbook_id,
                    "pattern",
                    failure["rule"],
                    "warning",
                    f"Invalid {label} check digit",
                    f"{failure['failed_count']} {label}(s) fail their check digit; the holdings are kept and flagged",
                    [str(v) for v in failure["sample_values"]],
                    {"rows": failure["rows"]},
                    f"Correct the {label}s at the source",
                    created_at,
                )
            )
    unrated = ~(holdings["rating_moodys"].notna() | holdings["rating_sp"].notna() | holdings["rating_fitch"].notna())
    if unrated.any():
        out.append(
            _insight(
                workbook_id,
                "pattern",
                "missing_rating",
                "info",
                "Holdings without a rating",
                f"{int(unrated.sum())} holding(s) have no rating from any agency",
                sorted(positions[unrated].tolist()),
                {"count": int(unrated.sum())},
                "Obtain ratings or apply the deal's unrated treatment",
                created_at,
            )
        )
    return out


def trend_insights(
    workbook_id: str, history: list[dict[str, Any]], created_at: dt.datetime, min_points: int = 2
) -> list[dict[str, Any]]:
    """Across a tenant's report dates (oldest first, this workbook last): CCC share, WA spread, defaults, par."""
    out: list[dict[str, Any]] = []
    if len(history) < min_points:
        return out
    specs = (
        ("ccc_par_pct", "CCC exposure", "%", "Monitor closely as approaching the CCC limit", True),
        ("defaulted_pct", "defaulted share", "%", "Review workout positions", True),
        ("wa_spread", "weighted average spread", "bps", None, False),
        ("total_par", "total par", "", None, False),
    )
    for metric, label, unit, advice, rising_is_bad in specs:
        points = [(h["report_date"], h[metric]) for h in history if h.get(metric) is not None]
        if len(points) < min_points:
            continue
        values = [float(v) for _, v in points]
        rising = all(b > a for a, b in itertools.pairwise(values))
        falling = all(b < a for a, b in itertools.pairwise(values))
        direction = "increasing" if rising else "decreasing" if falling else "mixed"
        severity = "warning" if rising and rising_is_bad else "info"
        out.append(
            _insight(
                workbook_id,
                "trend",
                metric,
                severity,
                f"{direction.capitalize()} {label} trend" if direction != "mixed" else f"{label.capitalize()} trend",
                f"{label.capitalize()} moved from {_fmt(values[0])}{unit} to {_fmt(values[-1])}{unit} over the "
                f"last {len(values)} report dates",
                [],
                {
                    "metric": metric,
                    "direction": direction,
                    "trend_data": [{"date": str(d), "value": float(v)} for d, v in points],
                },
                advice if rising and rising_is_bad else None,
                created_at,
            )
        )
    return out


def correlation_insights(workbook_id: str, holdings: pd.DataFrame, created_at: dt.datetime) -> list[dict[str, Any]]:
    """Pearson correlations between numeric fields; one insight per pair with |r| ≥ 0.5 (n ≥ 10)."""
    out: list[dict[str, Any]] = []
    frame = holdings[list(CORRELATION_FIELDS)].apply(pd.to_numeric, errors="coerce")
    for i, a in enumerate(CORRELATION_FIELDS):
        for b in CORRELATION_FIELDS[i + 1 :]:
            pair = frame[[a, b]].dropna()
            if len(pair) < 10 or pair[a].std() == 0 or pair[b].std() == 0:
                continue
            r = float(np.corrcoef(pair[a], pair[b])[0, 1])
            if abs(r) < CORRELATION_MIN:
                continue
            out.append(
                _insight(
                    workbook_id,
                    "correlation",
                    f"{a}:{b}",
                    "info",
                    f"{'Negative' if r < 0 else 'Positive'} correlation between {a} and {b}",
                    f"Pearson r = {r:.2f} across {len(pair)} holdings",
                    [],
                    {"field_a": a, "field_b": b, "pearson_r": round(r, 4), "n": len(pair)},
                    None,
                    created_at,
                )
            )
    return out
