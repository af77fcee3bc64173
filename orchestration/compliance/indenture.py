"""The full indenture measures of issue 21 (C14-C23), vectorised over one pool's arrays.

`engine.compute` prepares the holdings once and calls these: the C14 holding terms (`prepare_terms`), the
discount obligations (C17), the carrying values and their published split (C18), fixed-rate interest, WAC and the
Excess WAC credit (C20, C21), WARR (C21) and every concentration numerator (C22, C23). Comments cite the issue's
convention numbers; L1-L9 are the clarifications stated in docs/compliance.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from orchestration.clo.mapping.terms import to_asset_type, to_seniority, to_watch
from orchestration.compliance.deal_terms import ASSET_TYPES, SENIORITIES, IndentureTerms
from orchestration.core.ratings import DERIVED_CAA, SP_CCC

FLAGS: tuple[str, ...] = ("is_cov_lite", "is_dip", "is_current_pay", "is_participation", "is_pik")
"""The C14 TRUE/FALSE holding columns (blank = FALSE)."""


def _vocabulary(
    df: pd.DataFrame, name: str, allowed: tuple[str, ...], normalise: Callable[[Any], str | None], default: str
) -> np.ndarray:
    """A C14 keyword column through the landing's normaliser; blank or unrecognised → default.

    Rows landed before the normaliser hold labels such as "Senior Secured Loan"; each distinct value is read once.
    """
    if name not in df.columns:
        return np.full(len(df), default, dtype=object)
    codes, uniques = pd.factorize(df[name], use_na_sentinel=True)
    mapped = [u if u in allowed else normalise(u) for u in uniques]
    out = np.array([m or default for m in mapped] + [default], dtype=object)
    return out[np.where(codes < 0, len(uniques), codes)]


def _flag(df: pd.DataFrame, name: str) -> np.ndarray:
    """A C14 flag: TRUE/Y/YES/1 (any case) → True; blank and everything else → False."""
    if name not in df.columns:
        return np.zeros(len(df), dtype=bool)
    col = df[name]
    if col.dtype == bool:
        return col.to_numpy()
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    truth = np.array(
        [u is True or (not isinstance(u, bool) and str(u).strip().lower() in ("true", "y", "yes", "1", "1.0"))
         for u in uniques] + [False],
        dtype=bool,
    )  # fmt: skip
    return truth[np.where(codes < 0, len(uniques), codes)]


def _numbers(df: pd.DataFrame, name: str) -> np.ndarray:
    """A numeric column as float64, NaN for blanks (a missing column is all blank)."""
    if name not in df.columns:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[name].astype(object).where(df[name].notna(), None), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )


@dataclass(frozen=True)
class HoldingTerms:
    """The C14 holding columns as arrays (defaults applied: senior_secured, loan, FALSE, unfunded 0)."""

    coupon: np.ndarray
    purchase_price: np.ndarray
    seniority: np.ndarray
    asset_type: np.ndarray
    unfunded: np.ndarray
    flags: Mapping[str, np.ndarray]
    watch: np.ndarray


def prepare_terms(df: pd.DataFrame) -> HoldingTerms:
    """Read the C14 columns; a missing column reads as blank (backward compatibility)."""
    unfunded = np.nan_to_num(_numbers(df, "unfunded_amount"), nan=0.0)
    watch = _vocabulary(df, "moodys_watch", ("negative", "positive"), to_watch, "")
    return HoldingTerms(
        coupon=_numbers(df, "coupon"),
        purchase_price=_numbers(df, "purchase_price"),
        seniority=_vocabulary(df, "seniority", SENIORITIES, to_seniority, "senior_secured"),
        asset_type=_vocabulary(df, "asset_type", ASSET_TYPES, to_asset_type, "loan"),
        unfunded=np.maximum(unfunded, 0.0),
        flags={name: _flag(df, name) for name in FLAGS},
        watch=watch,
    )


def discount_obligations(
    terms: IndentureTerms, holding: HoldingTerms, price_pct: np.ndarray, performing: np.ndarray
) -> np.ndarray:
    """C17 (and L2): performing, purchase price < threshold (bond or loan) and current price < cure price."""
    rule = terms.discount_obligation
    if rule is None:
        return np.zeros(len(price_pct), dtype=bool)
    is_bond = holding.asset_type == "bond"
    nan = np.nan
    threshold = np.where(
        is_bond,
        nan if rule.bond_threshold_pct is None else rule.bond_threshold_pct,
        nan if rule.loan_threshold_pct is None else rule.loan_threshold_pct,
    )
    with np.errstate(invalid="ignore"):
        bought_low = holding.purchase_price < threshold  # NaN on either side → False
        cure = rule.cure_price_pct
        uncured = np.ones(len(price_pct), dtype=bool) if cure is None else price_pct < cure
    return performing & bought_low & uncured


@dataclass(frozen=True)
class Carrying:
    """C18 per holding and summed: the carrying values and the published split."""

    values: np.ndarray
    metrics: dict[str, float]


def carrying_values(
    par: np.ndarray,
    mv: np.ndarray,
    performing: np.ndarray,
    excess_par: np.ndarray,
    discount: np.ndarray,
    purchase_price: np.ndarray,
    defaulted_carrying: np.ndarray,
) -> Carrying:
    """C18: carrying = b(P − x) + min(b, m')·x for performing holdings, m' = min(mv / par, 1) (L1).

    b = purchase price / 100 for a discount obligation, else 1; x = the holding's par inside the CCC excess.
    Defaulted holdings carry their C6 value. The split is an identity: performing par − CCC excess haircut −
    discount haircut + overlap credit = Σ performing carrying values.
    """
    safe_par = np.where(par > 0, par, 1.0)
    m = np.where(par > 0, np.minimum(mv / safe_par, 1.0), 1.0)
    b = np.where(discount, purchase_price / 100.0, 1.0)
    performing_value = b * (par - excess_par) + np.minimum(b, m) * excess_par
    values = np.where(performing, performing_value, defaulted_carrying)
    metrics = {
        "ccc_excess_haircut": float((excess_par * (1.0 - m))[performing].sum()),
        "discount_par": float(par[discount].sum()),
        "discount_haircut": float((par * (1.0 - b))[discount].sum()),
        "ccc_discount_overlap_credit": float((excess_par * (1.0 - np.maximum(m, b)))[discount].sum()),
        "performing_carrying_value": float(performing_value[performing].sum()),
    }
    return Carrying(values, metrics)


def fixed_rate_figures(
    par: np.ndarray,
    spread: np.ndarray,
    coupon: np.ndarray,
    performing: np.ndarray,
    terms: IndentureTerms,
    floating_par: float,
    accrual_days: int,
) -> dict[str, Any]:
    """C20 fixed-rate interest and C21 WAC / Excess WAC credit (L3: a blank coupon counts 0)."""
    fixed = performing & np.isnan(spread)
    fixed_par = float(par[fixed].sum())
    coupon_amount = float((par[fixed] * np.nan_to_num(coupon[fixed], nan=0.0)).sum())
    wac = coupon_amount / fixed_par if fixed_par > 0 else None
    reference = terms.excess_wac_reference_coupon_pct
    credit = 0.0
    if wac is not None and reference is not None and floating_par > 0:
        credit = max(0.0, wac - reference) * 100.0 * fixed_par / floating_par
    return {
        "fixed_par": fixed_par,
        "fixed_par_without_coupon": float(par[fixed & np.isnan(coupon)].sum()),
        "collateral_interest_fixed": coupon_amount / 100.0 * accrual_days / 360.0,
        "wac": wac,
        "excess_wac_reference_coupon_pct": reference,
        "excess_wac_credit_bps": credit,
    }


def warr(par: np.ndarray, seniority: np.ndarray, performing: np.ndarray, terms: IndentureTerms) -> float | None:
    """C21 WARR: Σ par × recovery rate of its seniority / Σ par, in percent (L4: None without the deal table)."""
    table = terms.recovery_rates_pct_by_seniority
    total = float(par[performing].sum())
    if table is None or total <= 0:
        return None
    rates = pd.Series(seniority[performing], dtype=object).map(dict(table)).fillna(0.0).to_numpy(dtype=np.float64)
    return float((par[performing] * rates).sum()) / total


RANK_DEFAULTS: dict[str, tuple[str, int]] = {
    "conc_obligor_2nd": ("rank", 2),
    "conc_obligor_6th": ("rank", 6),
    "conc_top5_obligors": ("top_n", 5),
    "conc_top10_obligors": ("top_n", 10),
    "conc_industry_2nd": ("rank", 2),
    "conc_industry_3rd": ("rank", 3),
    "conc_industry_4th": ("rank", 4),
}
"""L5: a ranked test's k from its id (a `rank` / `top_n` parameter overrides)."""
GROUP_DEFAULTS: dict[str, str] = {
    "conc_canada": "canada",
    "conc_country_group_i": "group_i",
    "conc_country_group_ii": "group_ii",
    "conc_country_group_iii": "group_iii",
    "conc_tax_jurisdiction": "tax_jurisdiction",
}
"""L5: a country-group test's group from its id (a `country_group` parameter overrides)."""


def ranking(labels: np.ndarray, amounts: np.ndarray) -> list[tuple[str, float]]:
    """(label, amount) largest first, equal amounts by label ascending (C22)."""
    return sorted(((str(lbl), float(a)) for lbl, a in zip(labels, amounts, strict=True)), key=lambda t: (-t[1], t[0]))


@dataclass(frozen=True)
class ConcentrationPool:
    """What every C23 concentration reads: performing holdings' attributes and the pool's rankings.

    Issue 18's contributions (contributions.py) read it too, with the spread (bps; NaN = fixed rate).
    """

    par: np.ndarray
    spread: np.ndarray
    performing: np.ndarray
    obligor: np.ndarray
    industry: np.ndarray
    country: np.ndarray
    terms: HoldingTerms
    fixed: np.ndarray
    discount: np.ndarray
    derived_rating: np.ndarray
    derived_source: np.ndarray
    sp_rating: np.ndarray
    c2_source: np.ndarray
    maturity: np.ndarray
    deal_terms: IndentureTerms
    domestic_country: str
    principal_cash: float
    obligor_ranking: list[tuple[str, float]]
    industry_ranking: list[tuple[str, float]]


def _kth(ranked: list[tuple[str, float]], k: int) -> tuple[float, list[str]]:
    """The k-th largest amount and every name with it (C22 ties), or 0 with fewer than k members."""
    if len(ranked) < k:
        return 0.0, []
    amount = ranked[k - 1][1]
    return amount, [name for name, a in ranked if a == amount]


def _largest_by(labels: np.ndarray, amounts: np.ndarray) -> tuple[float, list[str]]:
    """The largest group's amount and names (ties ascending); 0 for no groups."""
    if len(labels) == 0:
        return 0.0, []
    uniques, codes = np.unique(labels.astype(str), return_inverse=True)
    sums = np.bincount(codes, weights=amounts, minlength=len(uniques))
    best = float(sums.max())
    return best, sorted(str(u) for u, s in zip(uniques, sums, strict=True) if s == best)


@dataclass(frozen=True)
class Concentration:
    """A C23 concentration's numerator in USD, the names it picked and the holdings it sums (issue 18 explains it)."""

    numerator: float
    names: list[str]
    members: np.ndarray
    """The performing holdings the numerator sums; a k-th ranked test's are those of the k-th name of the ranking."""
    amounts: np.ndarray
    """Each holding's amount in the numerator: par (par + unfunded for conc_revolver_ddtl)."""
    cash: float = 0.0
    """Principal cash in the numerator (conc_senior_secured), which is no holding's."""


def _named(labels: np.ndarray, names: list[str]) -> np.ndarray:
    """Which holdings carry one of the names (an obligor, industry or country)."""
    return np.isin(labels.astype(str), names)


def _largest_of(mask: np.ndarray, labels: np.ndarray, par: np.ndarray) -> Concentration:
    """The largest group of the masked holdings by label; its holdings are the first name's (ties ascending)."""
    best, names = _largest_by(labels[mask], par[mask])
    return Concentration(best, names, mask & _named(labels, names[:1]), par)


def concentration(test_id: str, params: Mapping[str, Any], p: ConcentrationPool) -> Concentration:
    """C23: a concentration test's numerator, the names it picked (ranked and largest-of tests) and its holdings.

    Raises KeyError for an id that is not a C23 concentration (the engine checks first).
    """
    perf, par, t = p.performing, p.par, p.terms
    if test_id in RANK_DEFAULTS:
        key, k = RANK_DEFAULTS[test_id]
        k = int(params.get(key, k))
        ranked, labels = (p.obligor_ranking, p.obligor) if "obligor" in test_id else (p.industry_ranking, p.industry)
        if key == "top_n":
            names = [n for n, _ in ranked[:k]]
            return Concentration(float(sum(a for _, a in ranked[:k])), names, perf & _named(labels, names), par)
        amount, names = _kth(ranked, k)
        return Concentration(amount, names, perf & _named(labels, [ranked[k - 1][0]] if names else []), par)
    if test_id in GROUP_DEFAULTS:
        group = str(params.get("country_group", GROUP_DEFAULTS[test_id]))
        members = set(p.deal_terms.country_groups.get(group, ()))
        mask = perf & np.isin(p.country, list(members))
        return Concentration(float(par[mask].sum()), sorted(members), mask, par)
    if test_id == "conc_largest_non_ss_obligor":
        return _largest_of(perf & (t.seniority != "senior_secured"), p.obligor, par)
    if test_id == "conc_single_group_country":
        groups = p.deal_terms.country_groups
        members = set(groups.get("group_i", ())) | set(groups.get("group_ii", ())) | set(groups.get("group_iii", ()))
        return _largest_of(perf & np.isin(p.country, list(members)), p.country, par)
    if test_id == "conc_senior_secured":
        mask = perf & (t.seniority == "senior_secured") & (t.asset_type != "bond")
        return Concentration(float(par[mask].sum()) + p.principal_cash, [], mask, par, p.principal_cash)
    if test_id == "conc_revolver_ddtl":
        mask, amounts = perf & np.isin(t.asset_type, ["revolver", "delayed_draw"]), par + t.unfunded
        return Concentration(float(amounts[mask].sum()), [], mask, amounts)
    if test_id == "conc_long_dated":
        stated = p.deal_terms.stated_maturity_date
        with np.errstate(invalid="ignore"):  # NaT compares False
            mask = perf & (p.maturity > np.datetime64(stated, "D")) if stated is not None else np.zeros_like(perf)
        return Concentration(float(par[mask].sum()), [], mask, par)
    mask = perf & _SIMPLE[test_id](p)
    return Concentration(float(par[mask].sum()), [], mask, par)


def concentration_numerator(test_id: str, params: Mapping[str, Any], p: ConcentrationPool) -> tuple[float, list[str]]:
    """C23: a concentration test's numerator in USD and the names it picked (ranked and largest-of tests)."""
    found = concentration(test_id, params, p)
    return found.numerator, found.names


_SIMPLE = {
    "conc_moodys_caa": lambda p: np.isin(p.derived_rating, list(DERIVED_CAA)),
    "conc_sp_ccc": lambda p: np.isin(p.sp_rating, list(SP_CCC)),
    "conc_second_lien": lambda p: p.terms.seniority == "second_lien",
    "conc_unsecured_subordinated": lambda p: np.isin(p.terms.seniority, ["senior_unsecured", "subordinated"]),
    "conc_bonds": lambda p: p.terms.asset_type == "bond",
    "conc_cov_lite": lambda p: p.terms.flags["is_cov_lite"],
    "conc_dip": lambda p: p.terms.flags["is_dip"],
    "conc_current_pay": lambda p: p.terms.flags["is_current_pay"],
    "conc_participation": lambda p: p.terms.flags["is_participation"],
    "conc_pik": lambda p: p.terms.flags["is_pik"],
    "conc_fixed_rate": lambda p: p.fixed,
    "conc_discount": lambda p: p.discount,
    "conc_unrated": lambda p: p.c2_source == "default",
    "conc_moodys_rating_derived": lambda p: np.isin(p.derived_source, ["sp", "fitch"]),
}

CONCENTRATION_IDS: frozenset[str] = frozenset(
    {*RANK_DEFAULTS, *GROUP_DEFAULTS, *_SIMPLE}
    | {"conc_largest_non_ss_obligor", "conc_single_group_country", "conc_senior_secured", "conc_revolver_ddtl",
       "conc_long_dated"}
)  # fmt: skip
"""The C23 concentration tests computed here (the three of convention 11 stay in the engine)."""
