"""The CLO compliance engine: all tests, per-class OC and every intermediate, vectorised with numpy.

Input: holdings in the canonical CLO columns (cusip, issuer_name, par_amount, market_value, price, spread,
rating_moodys/sp/fitch, maturity_date, industry, country, is_defaulted; holding_id optional) and the merged
DealInputs. Nothing is rounded here: values stay unrounded, status is decided on them (convention 1), and
`ComplianceRun.published_*` rounds once at the end. Comments cite issue 4's convention numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from orchestration.compliance import indenture
from orchestration.compliance.arrays import float_col, group_sum, jsonable, largest, str_col, weighted
from orchestration.compliance.deal import DealInputs
from orchestration.compliance.diversity import DiversityTable, default_diversity_table
from orchestration.compliance.evaluation import IC_DAY_BASIS, TestResult, evaluate, note_interest, ratio
from orchestration.compliance.status import ceil_whole, publish, summarise
from orchestration.core.ratings import (
    derived_moodys_ratings,
    effective_ratings,
    in_ccc_bucket,
    rating_factors,
    sp_basis_ratings,
)

DAYS_PER_YEAR = 365.25  # convention 9


@dataclass
class ComplianceRun:
    """Everything one compliance computation produces."""

    metrics: dict[str, Any]
    tests: list[TestResult]
    holdings: pd.DataFrame
    details: dict[str, pd.DataFrame] = field(default_factory=dict)
    pool: indenture.ConcentrationPool | None = None  # the holdings' arrays the tests read (contributions.py)

    def summary(self) -> dict[str, int]:
        """Seed summary counts."""
        return summarise([t.status for t in self.tests])

    def published_metrics(self) -> dict[str, Any]:
        """All intermediates plus their detail tables as JSON-able data, rounded once (convention 1)."""
        out = dict(self.metrics)
        for name, frame in self.details.items():
            out[name] = frame.to_dict(orient="records")
        return publish(jsonable(out))

    def test(self, test_id: str) -> TestResult:
        """One test's result by id."""
        return next(t for t in self.tests if t.id == test_id)


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
    price_pct: np.ndarray
    maturity: np.ndarray
    terms: indenture.HoldingTerms
    derived_rating: np.ndarray
    derived_source: np.ndarray
    sp_rating: np.ndarray


def _prepare(df: pd.DataFrame, deal: DealInputs) -> _Holdings:
    """Normalise the canonical columns (conventions 2 and 3)."""
    n = len(df)
    par = np.nan_to_num(float_col(df, "par_amount"), nan=0.0)
    mv = float_col(df, "market_value")
    price = float_col(df, "price")
    # Market value missing: price × par / 100 when a price is given, else carried at par.
    mv = np.where(np.isnan(mv), np.where(np.isnan(price), par, price * par / 100.0), mv)
    spread = float_col(df, "spread")  # convention 2: blank spread = fixed rate
    issuer = str_col(df, "issuer_name")  # convention 2: obligor = trimmed issuer_name
    codes, obligors = pd.factorize(pd.Series(issuer, dtype=object))
    cusip = str_col(df, "cusip")
    industry = str_col(df, "industry", "Unclassified")
    raw_country = str_col(df, "country")
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
        maturity = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        maturity_days = np.full(n, np.nan)
    agencies = ("rating_moodys", "rating_sp", "rating_fitch")
    moodys, sp, fitch = (df[c] if c in df.columns else [None] * n for c in agencies)
    rating, source = effective_ratings(moodys, sp, fitch)
    derived_rating, derived_source = derived_moodys_ratings(  # issue 21 C15
        moodys, sp, fitch, df["moodys_watch"] if "moodys_watch" in df.columns else [None] * n
    )
    # issue 21 L2: the current price is `price`, else market value / par
    price_pct = np.where(np.isnan(price), np.where(par > 0, mv / np.where(par > 0, par, 1.0) * 100.0, np.nan), price)
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
        price_pct=price_pct,
        maturity=maturity,
        terms=indenture.prepare_terms(df),
        derived_rating=derived_rating,
        derived_source=derived_source,
        sp_rating=sp_basis_ratings(sp, rating),  # issue 21 C16
    )


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
    haircut = allocated * (1.0 - np.minimum(mv_pct[idx], 100.0) / 100.0)  # issue 21 C18 / L1: m capped at 1
    excess_par = np.zeros(h.n)
    excess_par[idx] = allocated
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
            "haircut": haircut,
        },
    )
    metrics = {
        "ccc_par": ccc_par,
        "ccc_pct": ratio(ccc_par, p.cpa),
        "ccc_limit_pct": deal.ccc_limit_pct,
        "ccc_limit_amount": ccc_limit_amount,
        "ccc_excess": ccc_excess,
        "ccc_excess_market_value": float(allocated_mv.sum()),
        "ccc_haircut": float(haircut.sum()),
    }
    return _Part(metrics, {"ccc_excess_allocation": allocation}, {"ccc_mask": ccc_mask, "excess_par": excess_par})


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
    return _Part(metrics, {"defaulted_holdings": frame}, {"carrying": carrying})


def _carrying(p: _Pool, excess_par: np.ndarray, defaulted_carrying: np.ndarray) -> _Part:
    """Issue 21 C17 and C18: discount obligations, each holding's carrying value and the ACPA split."""
    h = p.h
    discount = indenture.discount_obligations(p.deal.terms, h.terms, h.price_pct, p.perf)
    result = indenture.carrying_values(
        h.par, h.mv, p.perf, excess_par, discount, h.terms.purchase_price, defaulted_carrying
    )
    metrics = dict(result.metrics)
    metrics["adjusted_collateral_principal_amount"] = (
        metrics["performing_carrying_value"] + float(defaulted_carrying.sum()) + p.deal.principal_cash
    )
    return _Part(metrics, arrays={"discount": discount, "carrying": result.values})


def _overcollateralization(p: _Pool, adjusted: float) -> _Part:
    """Convention 7 / C19: OC of each class cumulatively with every class senior to it, on the C18 ACPA."""
    rated = sorted((n for n in p.deal.notes if not n.subordinated), key=lambda n: (n.seniority, n.class_name))
    denominators = {n.class_name: sum(m.par for m in rated if m.seniority <= n.seniority) for n in rated}
    return _Part(
        {
            "oc_by_class": {c: ratio(adjusted, d) for c, d in denominators.items()},
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
    fixed = indenture.fixed_rate_figures(  # issue 21 C20, C21
        h.par, h.spread, h.terms.coupon, p.perf, deal.terms, floating_par, deal.accrual_days
    )
    total = interest + fixed["collateral_interest_fixed"]
    metrics = {
        "reference_rate_pct": deal.reference_rate_pct,
        "accrual_days": deal.accrual_days,
        "floating_par": floating_par,
        **fixed,
        "collateral_interest_floating": interest,
        "collateral_interest": total,
        "senior_fees_and_expenses": deal.senior_fees_and_expenses,
        "interest_coverage_amount": total - deal.senior_fees_and_expenses,
        "note_interest_by_class": {n.class_name: note_interest(deal, (n.class_name,)) for n in deal.notes},
    }
    return _Part(metrics, arrays={"floating": floating})


def _warf(p: _Pool) -> _Part:
    """Convention 4: WARF over performing par; the indenture figure rounds up to a whole number."""
    warf = weighted(p.h.factor[p.perf], p.h.par[p.perf])
    derived = weighted(rating_factors(p.h.derived_rating)[p.perf], p.h.par[p.perf])  # issue 21 C15, C21
    return _Part(
        {
            "warf": warf,
            "warf_rounded_up": ceil_whole(warf),
            "warf_effective_unnotched": warf,
            "warf_moodys_derived": derived,
            "warf_moodys_derived_rounded_up": ceil_whole(derived),
        }
    )


def _was(p: _Pool, floating: np.ndarray, excess_wac_credit_bps: float) -> _Part:
    """Convention 8: WAS over performing floating par, no floor; issue 21 C21 adds the Excess WAC credit."""
    was = weighted(p.h.spread[floating], p.h.par[floating])
    return _Part(
        {
            "was_bps": was,
            "was_with_excess_wac_bps": None if was is None else was + excess_wac_credit_bps,
            "warr": indenture.warr(p.h.par, p.h.terms.seniority, p.perf, p.deal.terms),
        }
    )


def _wal(p: _Pool) -> _Part:
    """Convention 9: WAL in years of 365.25 days, bullet, no per-asset rounding."""
    years = p.h.maturity_days / DAYS_PER_YEAR
    mask = p.perf & ~np.isnan(years)
    metrics = {
        "wal_years": weighted(years[mask], p.h.par[mask]),
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
    ind_labels, ind_units = group_sum(ob_industry[ob_present], eq_units[ob_present])
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
    largest_obligor, largest_obligor_par = largest(h.obligors[obligor_present], obligor_par[obligor_present])
    ind_labels, par_by_industry = group_sum(h.industry[perf], h.par[perf])
    largest_industry, largest_industry_par = largest(ind_labels, par_by_industry)
    cty_labels, par_by_country = group_sum(h.country[perf], h.par[perf])
    non_domestic_par = float(h.par[perf & (h.country != domestic)].sum())
    foreign = [(c, s) for c, s in zip(cty_labels, par_by_country, strict=True) if c != domestic]
    largest_foreign, largest_foreign_par = largest(
        np.array([c for c, _ in foreign], dtype=object), np.array([s for _, s in foreign])
    )
    return _Part(
        {
            "largest_obligor": largest_obligor,
            "largest_obligor_par": largest_obligor_par,
            "largest_obligor_pct": ratio(largest_obligor_par, p.cpa),
            "largest_industry": largest_industry,
            "largest_industry_par": largest_industry_par,
            "largest_industry_pct": ratio(largest_industry_par, p.cpa),
            "domestic_country": domestic,
            "non_domestic_par": non_domestic_par,
            "non_domestic_pct": ratio(non_domestic_par, p.cpa),
            "largest_foreign_country": largest_foreign,
            "largest_foreign_country_par": largest_foreign_par,
            "largest_foreign_country_pct": ratio(largest_foreign_par, p.cpa),
            "par_by_industry": dict(zip((str(x) for x in ind_labels), par_by_industry.tolist(), strict=True)),
            "par_by_country": dict(zip((str(x) for x in cty_labels), par_by_country.tolist(), strict=True)),
            "obligor_ranking": [  # issue 21 C22: largest first, equal par by name
                {"obligor": name, "par": amount}
                for name, amount in indenture.ranking(h.obligors[obligor_present], obligor_par[obligor_present])
            ],
            "industry_ranking": [
                {"industry": name, "par": amount} for name, amount in indenture.ranking(ind_labels, par_by_industry)
            ],
        }
    )


def compute(
    holdings: pd.DataFrame, deal: DealInputs, table: DiversityTable | None = None, *, with_details: bool = True
) -> ComplianceRun:
    """Run every configured test on one portfolio; all intermediates are kept unrounded.

    Each convention is its own function above (issue 21's in `indenture.py`); this one orders them and
    evaluates the tests. `with_details=False` drops the per-obligor / per-industry / allocation detail frames
    (scenarios and the benchmark's hot path need only the figures).
    """
    h = _prepare(holdings, deal)
    perf = ~h.defaulted  # convention 2
    performing_par = float(h.par[perf].sum())
    total_par = float(h.par.sum())
    pool = _Pool(h, deal, perf, performing_par, performing_par + deal.principal_cash, with_details)  # conv. 5: CPA
    ccc = _ccc_excess(pool)
    defaulted = _defaulted(pool, total_par)
    carrying = _carrying(pool, ccc.arrays["excess_par"], defaulted.arrays["carrying"])
    oc = _overcollateralization(pool, carrying.metrics["adjusted_collateral_principal_amount"])
    interest = _interest(pool)
    wal = _wal(pool)
    diversity = _diversity(pool, table or default_diversity_table())
    parts = [
        ccc,
        defaulted,
        carrying,
        oc,
        interest,
        _warf(pool),
        _was(pool, interest.arrays["floating"], interest.metrics["excess_wac_credit_bps"]),
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
        "derived_rating_sources": dict(zip(*np.unique(h.derived_source.astype(str), return_counts=True), strict=True)),
    }
    for part in parts:
        metrics.update(part.metrics)
    concentration_pool = _concentration_pool(pool, interest.arrays["floating"], carrying.arrays["discount"], metrics)
    tests, metrics["ic_by_test"], metrics["test_inputs"] = evaluate(deal, metrics, concentration_pool)
    metrics["test_values"] = {t.id: t.current_value for t in tests}
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
            "moodys_derived_rating": h.derived_rating,
            "moodys_derived_source": h.derived_source,
            "sp_basis_rating": h.sp_rating,
            "is_discount_obligation": carrying.arrays["discount"],
            "par_in_ccc_excess": ccc.arrays["excess_par"],
            "carrying_value": carrying.arrays["carrying"],
        }
    )
    details = {name: frame for part in parts for name, frame in part.details.items() if frame is not None}
    return ComplianceRun(metrics, tests, holding_fields, details, concentration_pool)


def _concentration_pool(
    p: _Pool, floating: np.ndarray, discount: np.ndarray, metrics: Mapping[str, Any]
) -> indenture.ConcentrationPool:
    """What the C23 concentrations read, with the obligor and industry rankings (also published)."""
    h = p.h
    return indenture.ConcentrationPool(
        par=h.par,
        spread=h.spread,
        performing=p.perf,
        obligor=h.issuer,
        industry=h.industry,
        country=h.country,
        terms=h.terms,
        fixed=p.perf & ~floating,
        discount=discount,
        derived_rating=h.derived_rating,
        derived_source=h.derived_source,
        sp_rating=h.sp_rating,
        c2_source=h.rating_source,
        maturity=h.maturity,
        deal_terms=p.deal.terms,
        domestic_country=p.deal.domestic_country,
        principal_cash=p.deal.principal_cash,
        obligor_ranking=[(r["obligor"], r["par"]) for r in metrics["obligor_ranking"]],
        industry_ranking=[(r["industry"], r["par"]) for r in metrics["industry_ranking"]],
    )
