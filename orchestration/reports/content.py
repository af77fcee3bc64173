"""What a workbook report shows, independent of format: the data, the summary figures and the trend chart.

The compliance section lists the tests grouped by category (`compliance_groups`: the fixed `CATEGORY_ORDER`, then
any other category, the deal's order inside a group), and its trend chart plots at most `MAX_TREND_LINES` tests
(`trend_selection`), so a full indenture report of 52 tests keeps a readable legend.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from orchestration.clo.insights import portfolio_metrics
from orchestration.core.exports import NOT_AVAILABLE, fmt

HOLDING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("cusip", "CUSIP"),
    ("isin", "ISIN"),
    ("issuer_name", "Issuer"),
    ("par_amount", "Par"),
    ("price", "Price"),
    ("market_value", "Market value"),
    ("spread", "Spread (bps)"),
    ("rating_moodys", "Moody's"),
    ("rating_sp", "S&P"),
    ("maturity_date", "Maturity"),
    ("industry", "Industry"),
)
COMPLIANCE_COLUMNS: tuple[tuple[str, str], ...] = (  # no category column: each category has its own heading
    ("test_id", "Test"),
    ("name", "Name"),
    ("current_value", "Current"),
    ("trigger_level", "Trigger"),
    ("cushion_pct", "Cushion %"),
    ("status", "Status"),
    ("trend", "Trend"),
)
TRANSACTION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("cusip", "CUSIP"),
    ("isin", "ISIN"),
    ("par_amount", "Par (signed)"),
    ("trade_date", "Trade date"),
    ("settle_date", "Settle date"),
    ("sheet", "Sheet"),
)
CATEGORY_ORDER: tuple[str, ...] = (
    "overcollateralization",
    "interest_coverage",
    "collateral_quality",
    "credit_quality",
    "concentration",
)
"""The order of the compliance section's groups; any other category (e.g. `custom`) follows, first seen first."""
CATEGORY_TITLES: dict[str, str] = {
    "overcollateralization": "Overcollateralization tests",
    "interest_coverage": "Interest coverage tests",
    "collateral_quality": "Collateral quality tests",
    "credit_quality": "Credit quality tests",
    "concentration": "Concentration limitations",
}
OTHER_CATEGORY = "other"
"""The group of a test without a category."""
COVERAGE_CATEGORIES = ("overcollateralization", "interest_coverage")
MAX_TREND_LINES = 12
"""The trend chart plots every test up to this many, else a selection of this many at most (`trend_selection`)."""
VARIANCE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("cusip", "CUSIP"),
    ("issuer_name", "Issuer"),
    ("category", "Category"),
    ("field", "Field"),
    ("internal_value", "Internal"),
    ("external_value", "External"),
    ("difference", "Difference"),
    ("difference_pct", "Diff %"),
    ("within_tolerance", "In tol."),
    ("status", "Status"),
    ("auto_rule_id", "Rule"),
)


@dataclass
class ReportData:
    """Everything a workbook report needs; empty frames mean "not available" for that section."""

    workbook: dict[str, Any]
    holdings: pd.DataFrame
    compliance: pd.DataFrame = field(default_factory=pd.DataFrame)
    compliance_history: pd.DataFrame = field(default_factory=pd.DataFrame)
    transactions: pd.DataFrame = field(default_factory=pd.DataFrame)
    reconciliation: dict[str, Any] | None = None
    variances: pd.DataFrame = field(default_factory=pd.DataFrame)
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def _num(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


def _weighted(values: pd.Series, weights: pd.Series) -> float | None:
    mask = values.notna() & weights.notna() & (weights > 0)
    if not mask.any():
        return None
    return float(np.average(values[mask], weights=weights[mask]))


def portfolio_summary(holdings: pd.DataFrame, metrics: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Headline figures: counts, total par and market value, par-weighted price/spread/coupon, defaulted par.

    Price, spread and the CCC share are the workbook's stored `processing_stats.metrics` (computed once by
    `clo.insights.portfolio_metrics`, the figures `/metrics` serves); without them they are computed here.
    """
    par = _num(holdings, "par_amount")
    defaulted = holdings["is_defaulted"].fillna(False).astype(bool) if "is_defaulted" in holdings else None
    if metrics is None:
        metrics = portfolio_metrics(holdings) if not holdings.empty else {}
    return {
        "holdings": len(holdings),
        "issuers": int(holdings["issuer_name"].nunique()) if "issuer_name" in holdings else 0,
        "total_par": float(par.sum()),
        "total_market_value": float(_num(holdings, "market_value").sum()),
        "wa_price": metrics.get("wa_price"),
        "wa_spread": metrics.get("wa_spread"),
        "ccc_par_pct": metrics.get("ccc_par_pct"),
        "wa_coupon_pct": _weighted(_num(holdings, "coupon"), par),
        "defaulted_par": float(par[defaulted].sum()) if defaulted is not None else 0.0,
    }


def compliance_counts(compliance: pd.DataFrame) -> dict[str, int] | None:
    """Tests by status, or None when no compliance results exist for the workbook."""
    if compliance.empty:
        return None
    counts = compliance["status"].value_counts()
    return {s: int(counts.get(s, 0)) for s in ("passed", "warning", "failed")}


def _category(value: Any) -> str:
    """A test's category id (trimmed, lower case); blank → `other`."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or not str(value).strip():
        return OTHER_CATEGORY
    return str(value).strip().lower()


def category_title(category: str) -> str:
    """A group's heading: the known titles, else the category in words (`custom` → "Custom tests")."""
    return CATEGORY_TITLES.get(category) or f"{category.replace('_', ' ').capitalize()} tests"


@dataclass(frozen=True)
class CategoryGroup:
    """One category's tests, in the deal's order."""

    category: str
    tests: pd.DataFrame

    def heading(self) -> str:
        """'Overcollateralization tests (6): 5 passed, 1 warning, 0 failed'."""
        counts = compliance_counts(self.tests) or {"passed": 0, "warning": 0, "failed": 0}
        return (
            f"{category_title(self.category)} ({len(self.tests)}): {counts['passed']} passed, "
            f"{counts['warning']} warning, {counts['failed']} failed"
        )


def in_deal_order(compliance: pd.DataFrame) -> pd.DataFrame:
    """The results in the deal's test order: by `sort_order` when the frame has it, else as given."""
    if "sort_order" not in compliance.columns:
        return compliance
    return compliance.sort_values("sort_order", kind="stable")


def compliance_groups(compliance: pd.DataFrame) -> list[CategoryGroup]:
    """The tests grouped by category: `CATEGORY_ORDER`, then other categories as first met; deal order inside."""
    if compliance.empty:
        return []
    frame = in_deal_order(compliance)
    raw = frame["category"] if "category" in frame.columns else pd.Series(None, index=frame.index, dtype=object)
    categories = raw.map(_category)
    present = list(dict.fromkeys(categories))
    order = [c for c in CATEGORY_ORDER if c in present] + [c for c in present if c not in CATEGORY_ORDER]
    return [CategoryGroup(c, frame[categories == c]) for c in order]


def _tests(n: int, kind: str = "") -> str:
    """'3 tests not passed', '1 test', '11 OC and IC tests'."""
    noun = "test" if n == 1 else "tests"
    return f"{n} OC and IC {noun}" if kind == "coverage" else f"{n} {noun}{' not passed' if kind == 'failing' else ''}"


def trend_selection(current: pd.DataFrame, history: pd.DataFrame) -> tuple[list[str], str]:
    """Which tests the trend chart plots, in the report's grouped order, and the words its title says.

    Up to `MAX_TREND_LINES` tests: all of them. More (a full indenture report): the tests not passed in this
    report; when every test passed, the OC and IC tests, else all. When that still leaves more than
    `MAX_TREND_LINES`, the ones with the lowest cushion % in this report (an undefined cushion counts lowest).
    """
    source = current if not current.empty and "test_id" in current.columns else history
    if "report_date" in source.columns:  # this report's rows: the latest date when a frame holds several
        dates = pd.to_datetime(source["report_date"])
        source = source[dates == dates.max()]
    frame = pd.concat([g.tests for g in compliance_groups(source)]).drop_duplicates("test_id", keep="first")
    ids = [str(t) for t in frame["test_id"]]
    n = len(ids)
    if n <= MAX_TREND_LINES:
        return ids, f"all {_tests(n)}"
    status = frame["status"].astype(str).to_numpy() if "status" in frame.columns else np.full(n, "passed")
    categories = frame["category"].map(_category).to_numpy() if "category" in frame.columns else np.full(n, "")
    cushion = _num(frame, "cushion_pct").to_numpy()
    coverage = np.isin(categories, COVERAGE_CATEGORIES)
    if (status != "passed").any():
        mask, kind, scope = status != "passed", "failing", f"of {n}"
    elif coverage.any():
        mask, kind, scope = coverage, "coverage", f"all {n} passed"
    else:
        mask, kind, scope = np.ones(n, dtype=bool), "", f"all {n} passed"
    chosen = [int(i) for i in np.nonzero(mask)[0]]
    phrase = f"{_tests(len(chosen), kind)} ({scope})"
    if len(chosen) <= MAX_TREND_LINES:
        return [ids[i] for i in chosen], f"the {phrase}"
    lowest = sorted(chosen, key=lambda i: (not np.isnan(cushion[i]), cushion[i], i))[:MAX_TREND_LINES]
    return [ids[i] for i in sorted(lowest)], f"the {MAX_TREND_LINES} lowest cushions of the {phrase}"


def summary_rows(data: ReportData) -> list[tuple[str, str]]:
    """The summary section as label/value pairs (shared by PDF and XLSX)."""
    wb = data.workbook
    s = portfolio_summary(data.holdings, data.workbook.get("metrics"))
    rows = [
        ("Deal", str(wb.get("deal") or wb.get("name") or "")),
        ("Workbook", str(wb.get("name") or "")),
        ("Workbook id", str(wb.get("workbook_id") or "")),
        ("Report date", fmt(wb.get("report_date"))),
        ("Generated at", fmt(data.generated_at)),
        ("Holdings", fmt(s["holdings"])),
        ("Issuers", fmt(s["issuers"])),
        ("Total par", fmt(s["total_par"])),
        ("Total market value", fmt(s["total_market_value"])),
        ("Par-weighted price", fmt(s["wa_price"], 4)),
        ("Par-weighted spread (bps)", fmt(s["wa_spread"], 4)),
        ("CCC par (% of par)", fmt(s["ccc_par_pct"], 4)),
        ("Par-weighted coupon (%)", fmt(s["wa_coupon_pct"], 3)),
        ("Defaulted par", fmt(s["defaulted_par"])),
    ]
    counts = compliance_counts(data.compliance)
    rows.append(
        (
            "Compliance tests",
            NOT_AVAILABLE
            if counts is None
            else f"{counts['passed']} passed, {counts['warning']} warning, {counts['failed']} failed",
        )
    )
    recon = data.reconciliation
    if recon is None:
        rows.append(("Reconciliation", NOT_AVAILABLE))
    else:
        summary = recon.get("summary") or {}
        rows.append(
            (
                "Reconciliation",
                f"{recon.get('source_type')} on {fmt(recon.get('executed_at'))}: {summary.get('matched', 0)} matched, "
                f"{summary.get('unmatched_internal', 0)} / {summary.get('unmatched_external', 0)} unmatched "
                f"(internal / external), {summary.get('requires_review', 0)} require review, "
                f"{summary.get('reviewed', 0)} reviewed",
            )
        )
    return rows


def compliance_trend_png(history: pd.DataFrame, current: pd.DataFrame) -> bytes | None:
    """The compliance trend chart: cushion % per test across report dates (bars for a single date)."""
    fig = compliance_trend_figure(history, current)
    if fig is None:
        return None
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    _pyplot().close(fig)
    return buffer.getvalue()


def compliance_trend_figure(history: pd.DataFrame, current: pd.DataFrame) -> Any:
    """The chart of `compliance_trend_png` as a Matplotlib figure, the legend right of the plot, off the lines.

    It plots the tests of `trend_selection` in the report's order and names them in the title.
    """
    frame = history if not history.empty else current
    if frame.empty or "cushion_pct" not in frame.columns:
        return None
    selected, words = trend_selection(current, history)
    rank = {test_id: i for i, test_id in enumerate(selected)}
    frame = frame.assign(
        cushion_pct=_num(frame, "cushion_pct"),
        report_date=pd.to_datetime(frame["report_date"]),
        test_id=frame["test_id"].astype(str),
    )
    frame = frame[frame["cushion_pct"].notna() & frame["test_id"].isin(rank)]
    if frame.empty:
        return None
    frame = frame.assign(_rank=frame["test_id"].map(rank)).sort_values(["_rank", "report_date"], kind="stable")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 3.6), dpi=90)
    if len(selected) > 10:  # the default cycle has ten colours: twenty distinct ones beyond that
        ax.set_prop_cycle(color=plt.get_cmap("tab20").colors)
    dates = frame["report_date"].drop_duplicates().sort_values()
    if len(dates) > 1:
        for position, rows in frame.groupby("_rank", sort=True):
            ax.plot(rows["report_date"], rows["cushion_pct"], marker="o", linewidth=1.2, label=selected[int(position)])
        fig.autofmt_xdate()
        ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, frameon=False)
    else:
        colours = ["#2e7d32" if v >= 0 else "#c62828" for v in frame["cushion_pct"]]
        ax.bar(frame["test_id"], frame["cushion_pct"], color=colours)
        ax.tick_params(axis="x", labelrotation=60, labelsize=6)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("cushion, %")
    ax.set_title(f"Compliance cushion trend: {words}", fontsize=10)
    ax.grid(alpha=0.3)
    return fig


def table_rows(frame: pd.DataFrame, columns: tuple[tuple[str, str], ...]) -> list[list[Any]]:
    """Raw cell values for the named columns (missing columns blank), in frame order."""
    present = [c for c, _ in columns]
    out = frame.reindex(columns=present)
    return out.astype(object).where(out.notna(), None).to_numpy().tolist()


def _pyplot() -> Any:
    """Matplotlib's pyplot on the non-interactive Agg backend, imported on first use (it costs a second)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
