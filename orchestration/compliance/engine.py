"""The CLO compliance engine: all tests, per-class OC and every intermediate, vectorised with numpy.

Input: holdings in the canonical CLO columns (cusip, issuer_name, par_amount, market_value, price, spread,
rating_moodys/sp/fitch, maturity_date, industry, country, is_defaulted; holding_id optional) and the merged
DealInputs. Nothing is rounded here: values stay unrounded, status is decided on them (convention 1), and
`ComplianceRun.published_*` rounds once at the end. Comments cite issue 4's convention numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from orchestration.compliance.deal import DealInputs, Note, TestDefinition
from orchestration.compliance.diversity import DiversityTable, default_diversity_table
from orchestration.compliance.registry import STANDARD_TESTS
from orchestration.compliance.status import ceil_whole, cushion_of, publish, status_of, summarise
from orchestration.core.errors import InputError
from orchestration.core.ratings import effective_ratings, in_ccc_bucket, rating_factors

DAYS_PER_YEAR = 365.25  # convention 9
IC_DAY_BASIS = 360.0  # convention 11 (ACT/360)


@dataclass(frozen=True)
class TestResult:
    """One test's outcome on unrounded figures (convention 13)."""

    id: str
    name: str
    category: str
    direction: str
    unit: str
    status: str
    current_value: float | None
    trigger_level: float
    target_level: float
    cushion: float | None
    cushion_pct: float | None

    def published(self) -> dict[str, Any]:
        """The seed's test shape, every number rounded once to 4 decimals half-up (convention 1)."""
        return publish(
            {
                "id": self.id,
                "name": self.name,
                "category": self.category,
                "direction": self.direction,
                "unit": self.unit,
                "status": self.status,
                "current_value": self.current_value,
                "trigger_level": float(self.trigger_level),
                "target_level": float(self.target_level),
                "cushion": self.cushion,
                "cushion_pct": self.cushion_pct,
            }
        )


@dataclass
class ComplianceRun:
    """Everything one compliance computation produces."""

    metrics: dict[str, Any]
    tests: list[TestResult]
    holdings: pd.DataFrame
    details: dict[str, pd.DataFrame] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        """Seed summary counts."""
        return summarise([t.status for t in self.tests])

    def published_metrics(self) -> dict[str, Any]:
        """All intermediates plus their detail tables as JSON-able data, rounded once (convention 1)."""
        out = dict(self.metrics)
        for name, frame in self.details.items():
            out[name] = frame.to_dict(orient="records")
        return publish(_jsonable(out))

    def test(self, test_id: str) -> TestResult:
        """One test's result by id."""
        return next(t for t in self.tests if t.id == test_id)


def _jsonable(value: Any) -> Any:
    """Numpy scalars → Python scalars, NaN → None (recursively)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
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


def _float_col(df: pd.DataFrame, name: str) -> np.ndarray:
    """A numeric column as float64 with NaN for missing (Decimal / str / None tolerated)."""
    if name not in df.columns:
        return np.full(len(df), np.nan)
    col = df[name]
    if col.dtype.kind in "fiu":
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    return pd.to_numeric(col.astype(object).where(col.notna(), None), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )


def _str_col(df: pd.DataFrame, name: str, default: str = "") -> np.ndarray:
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


def _ratio(num: float, den: float) -> float | None:
    """Num / den × 100, or None when the denominator is not positive."""
    return num / den * 100.0 if den > 0 else None


def _weighted(values: np.ndarray, weights: np.ndarray) -> float | None:
    """Σ(weight × value) / Σ weight, or None when there is no weight."""
    total = float(weights.sum())
    return float((weights * values).sum()) / total if total > 0 else None


@dataclass(frozen=True)
class _Holdings:
    """The canonical columns as numpy arrays, normalised once."""

    n: int
    cusip: np.ndarray
    issuer: np.ndarray
    obligor_code: np.ndarray
    obligors: np.ndarray
    par: np.ndarray
    mv: np.ndarray
    spread: np.ndarray
    maturity_days: np.ndarray
    industry: np.ndarray
    country: np.ndarray
    defaulted: np.ndarray
    rating: np.ndarray
    rating_source: np.ndarray
    factor: np.ndarray
    ccc: np.ndarray


def _prepare(df: pd.DataFrame, deal: DealInputs) -> _Holdings:
    """Normalise the canonical columns (conventions 2 and 3)."""
    n = len(df)
    par = np.nan_to_num(_float_col(df, "par_amount"), nan=0.0)
    mv = _float_col(df, "market_value")
    price = _float_col(df, "price")
    # Market value missing: price × par / 100 when a price is given, else carried at par.
    mv = np.where(np.isnan(mv), np.where(np.isnan(price), par, price * par / 100.0), mv)
    spread = _float_col(df, "spread")  # convention 2: blank spread = fixed rate
    issuer = _str_col(df, "issuer_name")  # convention 2: obligor = trimmed issuer_name
    codes, obligors = pd.factorize(pd.Series(issuer, dtype=object))
    cusip = _str_col(df, "cusip")
    industry = _str_col(df, "industry", "Unclassified")
    raw_country = _str_col(df, "country")
    cc, cu = pd.factorize(pd.Series(raw_country, dtype=object))
    country = np.array([str(u).upper() for u in cu], dtype=object)[cc] if len(cu) else raw_country
    # Convention 2: all holdings of an obligor share its industry and country — the obligor's values are
    # those of its largest holding (ties: cusip, industry, country ascending), so input order never matters.
    order = np.lexsort((country.astype(str), industry.astype(str), cusip.astype(str), -par, codes))
    first = np.ones(n, dtype=bool)
    first[1:] = codes[order][1:] != codes[order][:-1]
    lead = order[first]
    obligor_industry = np.empty(len(obligors), dtype=object)
    obligor_country = np.empty(len(obligors), dtype=object)
    obligor_industry[codes[lead]] = industry[lead]
    obligor_country[codes[lead]] = country[lead]
    if "is_defaulted" in df.columns:
        defaulted = df["is_defaulted"].astype(object).where(df["is_defaulted"].notna(), False).astype(bool)
        defaulted = defaulted.to_numpy()  # convention 2: the flag alone
    else:
        defaulted = np.zeros(n, dtype=bool)
    if "maturity_date" in df.columns:
        maturity = pd.to_datetime(df["maturity_date"], errors="coerce", cache=False).to_numpy(dtype="datetime64[D]")
        as_of = np.datetime64(deal.as_of_date, "D")
        maturity_days = (maturity - as_of).astype("timedelta64[D]").astype(np.float64)
        maturity_days[np.isnat(maturity)] = np.nan
    else:
        maturity_days = np.full(n, np.nan)
    rating, source = effective_ratings(
        df["rating_moodys"] if "rating_moodys" in df.columns else [None] * n,
        df["rating_sp"] if "rating_sp" in df.columns else [None] * n,
        df["rating_fitch"] if "rating_fitch" in df.columns else [None] * n,
    )
    return _Holdings(
        n=n,
        cusip=cusip,
        issuer=issuer,
        obligor_code=codes,
        obligors=np.asarray(obligors, dtype=object),
        par=par,
        mv=mv,
        spread=spread,
        maturity_days=maturity_days,
        industry=obligor_industry[codes] if n else industry,
        country=obligor_country[codes] if n else country,
        defaulted=defaulted,
        rating=rating,
        rating_source=source,
        factor=rating_factors(rating),
        ccc=in_ccc_bucket(rating),
    )


def _group_sum(labels: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct labels, Σ weights per label) via factorize + bincount."""
    codes, uniques = pd.factorize(pd.Series(labels, dtype=object))
    sums = np.bincount(codes, weights=weights, minlength=len(uniques)) if len(uniques) else np.zeros(0)
    return np.asarray(uniques, dtype=object), sums


def _largest(labels: np.ndarray, sums: np.ndarray) -> tuple[str | None, float]:
    """Largest group (ties: the label first in ascending order) and its amount."""
    if len(sums) == 0:
        return None, 0.0
    best = sums.max()
    candidates = sorted(str(lbl) for lbl, s in zip(labels, sums, strict=True) if s == best)
    return candidates[0], float(best)


def _class_par(notes: tuple[Note, ...], classes: tuple[str, ...]) -> float:
    """Σ par of the named note classes."""
    wanted = set(classes)
    return sum(n.par for n in notes if n.class_name in wanted)


def _senior_classes(notes: tuple[Note, ...]) -> tuple[str, ...]:
    """The most senior non-subordinated class(es): the default denominator when a test names none."""
    rated = [n for n in notes if not n.subordinated]
    if not rated:
        return ()
    top = min(n.seniority for n in rated)
    return tuple(n.class_name for n in rated if n.seniority == top)


def _note_interest(deal: DealInputs, classes: tuple[str, ...]) -> float:
    """Convention 11: Σ class par × (reference rate + class spread/10,000) × accrual_days / 360.

    A class without a spread (fixed or unspecified) accrues at the reference rate alone.
    """
    wanted = set(classes)
    ref = deal.reference_rate_pct / 100.0
    return sum(
        n.par * (ref + (n.spread_bps or 0.0) / 10_000.0) * deal.accrual_days / IC_DAY_BASIS
        for n in deal.notes
        if n.class_name in wanted
    )


def _lookup(metrics: Mapping[str, Any], path: str) -> Any:
    """A dotted path into the metrics (custom tests), or raise TEST_METRIC_UNKNOWN."""
    value: Any = metrics
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise InputError("TEST_METRIC_UNKNOWN", f"no metric {path!r}", "deal.tests", {"metric": path})
        value = value[part]
    return value


@dataclass(frozen=True)
class _Pool:
    """What every convention reads: the holdings, the deal, the performing mask and the CPA (conventions 2, 5)."""

    h: _Holdings
    deal: DealInputs
    perf: np.ndarray
    performing_par: float
    cpa: float
    details: bool = True
    """Whether to build the detail frames (scenarios and the benchmark's hot path skip them)."""


@dataclass(frozen=True)
class _Part:
    """One convention's figures (into the metrics), its detail frames and the arrays later conventions reuse."""

    metrics: dict[str, Any]
    details: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


def _frame(p: _Pool, columns: dict[str, Any], sort_by: str | None = None) -> pd.DataFrame | None:
    """A detail frame, or None when the run skips details."""
    if not p.details:
        return None
    frame = pd.DataFrame(columns)
    return frame.sort_values(sort_by, kind="stable", ignore_index=True) if sort_by else frame


def _ccc_excess(p: _Pool) -> _Part:
    """Conventions 6 and 7: the CCC bucket over performing par (denominator CPA) and its excess haircut.

    The excess over the limit is allocated to the lowest market value percentage first (ties: cusip
    ascending); the haircut is the allocated par minus its market value.
    """
    h, deal = p.h, p.deal
    ccc_mask = h.ccc & p.perf
    ccc_par = float(h.par[ccc_mask].sum())
    ccc_limit_amount = deal.ccc_limit_pct / 100.0 * p.cpa
    ccc_excess = max(0.0, ccc_par - ccc_limit_amount)
    mv_pct = np.where(h.par > 0, h.mv / np.where(h.par > 0, h.par, 1.0) * 100.0, 100.0)  # convention 2
    idx = np.nonzero(ccc_mask)[0]
    idx = idx[np.lexsort((h.cusip[idx].astype(str), mv_pct[idx]))]
    cum_before = np.cumsum(h.par[idx]) - h.par[idx]
    allocated = np.clip(ccc_excess - cum_before, 0.0, h.par[idx])
    allocated_mv = allocated * mv_pct[idx] / 100.0
    allocation = _frame(
        p,
        {
            "cusip": h.cusip[idx],
            "issuer_name": h.issuer[idx],
            "effective_rating": h.rating[idx],
            "par_amount": h.par[idx],
            "market_value_pct": mv_pct[idx],
            "excess_par": allocated,
            "excess_market_value": allocated_mv,
            "haircut": allocated - allocated_mv,
        },
    )
    metrics = {
        "ccc_par": ccc_par,
        "ccc_pct": _ratio(ccc_par, p.cpa),
        "ccc_limit_pct": deal.ccc_limit_pct,
        "ccc_limit_amount": ccc_limit_amount,
        "ccc_excess": ccc_excess,
        "ccc_excess_market_value": float(allocated_mv.sum()),
        "ccc_haircut": float((allocated - allocated_mv).sum()),
    }
    return _Part(metrics, {"ccc_excess_allocation": allocation}, {"ccc_mask": ccc_mask})


def _defaulted(p: _Pool, total_par: float) -> _Part:
    """Convention 7: defaulted holdings carried at min(recovery × par, market value)."""
    h = p.h
    recovery = p.deal.defaulted_recovery_rate_pct / 100.0
    carrying = np.where(h.defaulted, np.minimum(recovery * h.par, h.mv), 0.0)
    defaulted_par = total_par - p.performing_par
    defaulted_carrying = float(carrying.sum())
    frame = _frame(
        p,
        {
            "cusip": h.cusip[h.defaulted],
            "issuer_name": h.issuer[h.defaulted],
            "par_amount": h.par[h.defaulted],
            "market_value": h.mv[h.defaulted],
            "carrying_value": carrying[h.defaulted],
        },
    )
    metrics = {
        "defaulted_par": defaulted_par,
        "defaulted_recovery_rate_pct": p.deal.defaulted_recovery_rate_pct,
        "defaulted_carrying_value": defaulted_carrying,
        "defaulted_haircut": defaulted_par - defaulted_carrying,
    }
    return _Part(metrics, {"defaulted_holdings": frame})


def _overcollateralization(p: _Pool, ccc_haircut: float, defaulted_carrying: float) -> _Part:
    """Convention 7: the adjusted CPA, and OC of each class cumulatively with every class senior to it."""
    adjusted = p.performing_par - ccc_haircut + defaulted_carrying + p.deal.principal_cash
    rated = sorted((n for n in p.deal.notes if not n.subordinated), key=lambda n: (n.seniority, n.class_name))
    denominators = {n.class_name: sum(m.par for m in rated if m.seniority <= n.seniority) for n in rated}
    return _Part(
        {
            "adjusted_collateral_principal_amount": adjusted,
            "oc_by_class": {c: _ratio(adjusted, d) for c, d in denominators.items()},
            "oc_denominator_by_class": denominators,
        }
    )


def _interest(p: _Pool) -> _Part:
    """Convention 11: collateral interest on performing floating holdings (spread present), ACT/360."""
    h, deal = p.h, p.deal
    floating = p.perf & ~np.isnan(h.spread)  # convention 2: spread present = floating
    ref = deal.reference_rate_pct / 100.0
    floating_par = float(h.par[floating].sum())
    interest = float((h.par[floating] * (ref + h.spread[floating] / 10_000.0)).sum() * deal.accrual_days / IC_DAY_BASIS)
    metrics = {
        "reference_rate_pct": deal.reference_rate_pct,
        "accrual_days": deal.accrual_days,
        "floating_par": floating_par,
        "fixed_par": p.performing_par - floating_par,
        "collateral_interest": interest,
        "senior_fees_and_expenses": deal.senior_fees_and_expenses,
        "interest_coverage_amount": interest - deal.senior_fees_and_expenses,
        "note_interest_by_class": {n.class_name: _note_interest(deal, (n.class_name,)) for n in deal.notes},
    }
    return _Part(metrics, arrays={"floating": floating})


def _warf(p: _Pool) -> _Part:
    """Convention 4: WARF over performing par; the indenture figure rounds up to a whole number."""
    warf = _weighted(p.h.factor[p.perf], p.h.par[p.perf])
    return _Part({"warf": warf, "warf_rounded_up": ceil_whole(warf)})


def _was(p: _Pool, floating: np.ndarray) -> _Part:
    """Convention 8: WAS over performing floating par, no floor or excess-coupon credit."""
    return _Part({"was_bps": _weighted(p.h.spread[floating], p.h.par[floating])})


def _wal(p: _Pool) -> _Part:
    """Convention 9: WAL in years of 365.25 days, bullet, no per-asset rounding."""
    years = p.h.maturity_days / DAYS_PER_YEAR
    mask = p.perf & ~np.isnan(years)
    metrics = {
        "wal_years": _weighted(years[mask], p.h.par[mask]),
        "wal_par_without_maturity": float(p.h.par[p.perf & np.isnan(years)].sum()),
    }
    return _Part(metrics, arrays={"years": years})


def _diversity(p: _Pool, table: DiversityTable) -> _Part:
    """Convention 10: diversity over performing holdings, equivalent units per obligor summed by industry."""
    h, perf = p.h, p.perf
    ob_par = np.bincount(h.obligor_code[perf], weights=h.par[perf], minlength=len(h.obligors)) if h.n else np.zeros(0)
    ob_present = np.zeros(len(h.obligors), dtype=bool)
    ob_present[h.obligor_code[perf]] = True
    n_obligors = int(ob_present.sum())
    average_par = float(ob_par[ob_present].sum()) / n_obligors if n_obligors else 0.0
    eq_units = np.where(ob_present, np.minimum(1.0, ob_par / average_par if average_par > 0 else 0.0), 0.0)
    ob_industry = np.empty(len(h.obligors), dtype=object)
    ob_industry[h.obligor_code] = h.industry
    ob_country = np.empty(len(h.obligors), dtype=object)
    ob_country[h.obligor_code] = h.country
    ind_labels, ind_units = _group_sum(ob_industry[ob_present], eq_units[ob_present])
    ind_scores = table.lookup(ind_units)
    obligors = _frame(
        p,
        {
            "obligor": h.obligors[ob_present],
            "industry": ob_industry[ob_present],
            "country": ob_country[ob_present],
            "par": ob_par[ob_present],
            "equivalent_unit": eq_units[ob_present],
        },
        sort_by="obligor",
    )
    industries = _frame(
        p,
        {"industry": ind_labels, "aggregate_equivalent_units": ind_units, "diversity_score": ind_scores},
        sort_by="industry",
    )
    metrics = {
        "obligor_count": n_obligors,
        "average_obligor_par": average_par,
        "diversity_score": float(ind_scores.sum()),
    }
    return _Part(
        metrics,
        {"diversity_obligors": obligors, "diversity_industries": industries},
        {"obligor_par": ob_par, "obligor_present": ob_present},
    )


def _concentrations(p: _Pool, obligor_par: np.ndarray, obligor_present: np.ndarray) -> _Part:
    """Convention 12: the largest obligor, industry and non-domestic shares in percent of CPA, performing par."""
    h, perf, domestic = p.h, p.perf, p.deal.domestic_country
    largest_obligor, largest_obligor_par = _largest(h.obligors[obligor_present], obligor_par[obligor_present])
    ind_labels, par_by_industry = _group_sum(h.industry[perf], h.par[perf])
    largest_industry, largest_industry_par = _largest(ind_labels, par_by_industry)
    cty_labels, par_by_country = _group_sum(h.country[perf], h.par[perf])
    non_domestic_par = float(h.par[perf & (h.country != domestic)].sum())
    foreign = [(c, s) for c, s in zip(cty_labels, par_by_country, strict=True) if c != domestic]
    largest_foreign, largest_foreign_par = _largest(
        np.array([c for c, _ in foreign], dtype=object), np.array([s for _, s in foreign])
    )
    return _Part(
        {
            "largest_obligor": largest_obligor,
            "largest_obligor_par": largest_obligor_par,
            "largest_obligor_pct": _ratio(largest_obligor_par, p.cpa),
            "largest_industry": largest_industry,
            "largest_industry_par": largest_industry_par,
            "largest_industry_pct": _ratio(largest_industry_par, p.cpa),
            "domestic_country": domestic,
            "non_domestic_par": non_domestic_par,
            "non_domestic_pct": _ratio(non_domestic_par, p.cpa),
            "largest_foreign_country": largest_foreign,
            "largest_foreign_country_par": largest_foreign_par,
            "largest_foreign_country_pct": _ratio(largest_foreign_par, p.cpa),
            "par_by_industry": dict(zip((str(x) for x in ind_labels), par_by_industry.tolist(), strict=True)),
            "par_by_country": dict(zip((str(x) for x in cty_labels), par_by_country.tolist(), strict=True)),
        }
    )


def compute(
    holdings: pd.DataFrame, deal: DealInputs, table: DiversityTable | None = None, *, with_details: bool = True
) -> ComplianceRun:
    """Run every configured test on one portfolio; all intermediates are kept unrounded.

    Each convention is its own function above; this one orders them and evaluates the tests.
    `with_details=False` drops the per-obligor / per-industry / allocation detail frames (scenarios and the
    benchmark's hot path need only the figures).
    """
    h = _prepare(holdings, deal)
    perf = ~h.defaulted  # convention 2
    performing_par = float(h.par[perf].sum())
    total_par = float(h.par.sum())
    pool = _Pool(h, deal, perf, performing_par, performing_par + deal.principal_cash, with_details)  # conv. 5: CPA
    ccc = _ccc_excess(pool)
    defaulted = _defaulted(pool, total_par)
    oc = _overcollateralization(pool, ccc.metrics["ccc_haircut"], defaulted.metrics["defaulted_carrying_value"])
    interest = _interest(pool)
    wal = _wal(pool)
    diversity = _diversity(pool, table or default_diversity_table())
    parts = [
        ccc,
        defaulted,
        oc,
        interest,
        _warf(pool),
        _was(pool, interest.arrays["floating"]),
        wal,
        diversity,
        _concentrations(pool, diversity.arrays["obligor_par"], diversity.arrays["obligor_present"]),
    ]
    metrics: dict[str, Any] = {
        "as_of_date": deal.as_of_date.isoformat(),
        "currency": deal.currency,
        "holding_count": h.n,
        "performing_count": int(perf.sum()),
        "defaulted_count": int(h.defaulted.sum()),
        "total_par": total_par,
        "performing_par": performing_par,
        "principal_cash": deal.principal_cash,
        "collateral_principal_amount": pool.cpa,
        "rating_sources": dict(zip(*np.unique(h.rating_source.astype(str), return_counts=True), strict=True)),
    }
    for part in parts:
        metrics.update(part.metrics)
    tests, metrics["ic_by_test"] = _evaluate(deal, metrics)
    metrics["oc_senior"] = next((t.current_value for t in tests if t.id == "oc_senior"), None)
    metrics["ic_senior"] = next((t.current_value for t in tests if t.id == "ic_senior"), None)
    holding_fields = pd.DataFrame(
        {
            "holding_id": holdings["holding_id"].to_numpy() if "holding_id" in holdings.columns else np.arange(h.n),
            "cusip": h.cusip,
            "effective_rating": h.rating,
            "rating_source": h.rating_source,
            "rating_factor": h.factor,
            "in_ccc_bucket": ccc.arrays["ccc_mask"],
            "years_to_maturity": wal.arrays["years"],
        }
    )
    details = {name: frame for part in parts for name, frame in part.details.items() if frame is not None}
    return ComplianceRun(metrics=metrics, tests=tests, holdings=holding_fields, details=details)


def _evaluate(deal: DealInputs, metrics: Mapping[str, Any]) -> tuple[list[TestResult], dict[str, Any]]:
    """Each configured test's unrounded value, status and cushion (convention 13), and the IC build-up per test."""
    tests: list[TestResult] = []
    ic_by_test: dict[str, Any] = {}
    for test in deal.tests:
        value = _test_value(test, deal, metrics, ic_by_test)
        cushion, cushion_pct = cushion_of(value, test.direction, test.trigger_level)
        tests.append(
            TestResult(
                id=test.id,
                name=test.name,
                category=test.category,
                direction=test.direction,
                unit=test.unit,
                status=status_of(value, test.direction, test.trigger_level, test.target_level),
                current_value=value,
                trigger_level=test.trigger_level,
                target_level=test.target_level,
                cushion=cushion,
                cushion_pct=cushion_pct,
            )
        )
    return tests, ic_by_test


def _test_value(
    test: TestDefinition, deal: DealInputs, metrics: Mapping[str, Any], ic_by_test: dict[str, Any]
) -> float | None:
    """The unrounded value a test checks (OC / IC on its denominator classes, else the registered metric)."""
    if test.metric:
        value = _lookup(metrics, test.metric)
        return None if value is None else float(value)
    if test.category == "overcollateralization" or test.id == "oc_senior":
        classes = test.denominator_classes or _senior_classes(deal.notes)
        return _ratio(metrics["adjusted_collateral_principal_amount"], _class_par(deal.notes, classes))  # conv. 7
    if test.category == "interest_coverage" or test.id == "ic_senior":
        classes = test.denominator_classes or _senior_classes(deal.notes)
        note_interest = _note_interest(deal, classes)  # convention 11
        ic_by_test[test.id] = {"classes": list(classes), "note_interest": note_interest}
        return _ratio(metrics["interest_coverage_amount"], note_interest)
    if test.id in STANDARD_TESTS:
        value = metrics[STANDARD_TESTS[test.id].metric]
        return None if value is None else float(value)
    raise InputError("TEST_METRIC_UNKNOWN", f"test {test.id!r} names no metric", "deal.tests", {"test_id": test.id})
