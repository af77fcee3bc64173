"""Explained compliance (issue 18): each holding's part of a test's numerator, largest first.

A test whose value is a ratio or a par-weighted average over holdings is explained by what its numerator sums
per holding: a concentration the par of the holdings in its bucket, the CCC bucket the CCC holdings' par, WARF
par × rating factor, WAS par × spread, OC each holding's carrying value, IC each holding's interest (the table is
in docs/compliance.md, "Explained compliance"). Amounts that are no holding's (principal cash, senior fees) are
terms of their own, so a test's parts add up to the numerator the engine used (to float rounding). No Dagster.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from orchestration.compliance import indenture
from orchestration.compliance.deal import DealInputs, TestDefinition
from orchestration.compliance.engine import ComplianceRun
from orchestration.compliance.evaluation import IC_DAY_BASIS
from orchestration.compliance.registry import STANDARD_TESTS
from orchestration.core.ratings import rating_factors

TOP = 20
"""Holdings listed per test, by |contribution| (ties: holding id); the rest are summed on one row."""

COLUMNS = ("test_id", "rank", "holding_id", "holdings", "contribution", "share", "measure")
"""The rows of `ranked_rows` (analytics.clo_compliance_contributions without the partition and workbook)."""

Part = tuple[str, np.ndarray, np.ndarray]
"""(measure, which holdings count, each holding's amount): one kind of amount a numerator sums."""


@dataclass(frozen=True)
class Explanation:
    """One test's numerator taken apart: its holdings' amounts, and the amounts that are no holding's."""

    test_id: str
    index: np.ndarray
    """Positions of the contributing holdings in the run's holdings."""
    amounts: np.ndarray
    """Each one's part of the numerator."""
    part: np.ndarray
    """Which of `measures` each amount is."""
    measures: tuple[str, ...]
    """What the amounts are (par, par x rating factor, ...): one per part of the numerator."""
    terms: tuple[tuple[str, float], ...] = ()
    """(what, amount) in the numerator that is no holding's: principal cash, senior fees (negative)."""

    @property
    def numerator(self) -> float:
        """Σ of every part: the numerator the engine used for the test's value."""
        return math.fsum([*self.amounts.tolist(), *(amount for _, amount in self.terms)])


@dataclass(frozen=True)
class _Context:
    """The run's per-holding arrays every explanation reads."""

    pool: indenture.ConcentrationPool
    metrics: Mapping[str, Any]
    deal: DealInputs
    par: np.ndarray
    perf: np.ndarray
    floating: np.ndarray
    coupon: np.ndarray
    holdings: pd.DataFrame

    def column(self, name: str) -> np.ndarray:
        """A per-holding field of the run (rating factor, years to maturity, CCC excess par, carrying value)."""
        return self.holdings[name].to_numpy(dtype=np.float64)


def _named(labels: np.ndarray, name: Any) -> np.ndarray:
    """Which holdings carry the named obligor, industry or country (none when the engine named none)."""
    return labels.astype(str) == str(name) if name is not None else np.zeros(len(labels), dtype=bool)


def _was(c: _Context) -> list[Part]:
    """WAS with the Excess WAC credit (C21): credit × floating par = Σ fixed par × (coupon − reference) × 100."""
    parts: list[Part] = [("par x spread (bps)", c.floating, c.par * c.pool.spread)]
    if (c.metrics.get("excess_wac_credit_bps") or 0.0) > 0:
        reference = float(c.deal.terms.excess_wac_reference_coupon_pct or 0.0)
        parts.append(
            ("par x (coupon - Excess WAC reference) x 100", c.pool.fixed, c.par * (c.coupon - reference) * 100)
        )
    return parts


def _warr(c: _Context) -> list[Part] | None:
    """WARR (C21): par × the recovery rate of its seniority (a seniority the table lacks counts 0)."""
    table = c.deal.terms.recovery_rates_pct_by_seniority
    if table is None:
        return None
    rates = pd.Series(c.pool.terms.seniority, dtype=object).map(dict(table)).fillna(0.0).to_numpy(dtype=np.float64)
    return [("par x recovery rate (%)", c.perf, c.par * rates)]


def _ccc(c: _Context) -> list[Part]:
    """CCC bucket (C5): par of the performing holdings rated Caa1 or lower (C2)."""
    return [("par", c.holdings["in_ccc_bucket"].to_numpy(dtype=bool), c.par)]


def _largest_obligor(c: _Context) -> list[Part]:
    """Largest obligor (C11): the holdings of the obligor the engine picked."""
    return [("par", c.perf & _named(c.pool.obligor, c.metrics["largest_obligor"]), c.par)]


def _largest_industry(c: _Context) -> list[Part]:
    """Largest industry (C11): the holdings of the industry the engine picked."""
    return [("par", c.perf & _named(c.pool.industry, c.metrics["largest_industry"]), c.par)]


def _non_domestic(c: _Context) -> list[Part]:
    """Non-domestic (C11): performing holdings outside the domestic country."""
    return [("par", c.perf & (c.pool.country != c.pool.domestic_country), c.par)]


def _wal(c: _Context) -> list[Part]:
    """WAL (C8): par × years to maturity of the performing holdings with a maturity."""
    years = c.column("years_to_maturity")
    return [("par x years to maturity", c.perf & ~np.isnan(years), c.par * years)]


METRICS: dict[str, Callable[[_Context], list[Part] | None]] = {
    "ccc_pct": _ccc,
    "ccc_par": _ccc,
    "ccc_excess": lambda c: [("par in CCC excess", c.column("par_in_ccc_excess") > 0, c.column("par_in_ccc_excess"))],
    "warf": lambda c: [("par x rating factor", c.perf, c.par * c.column("rating_factor"))],
    "warf_moodys_derived": lambda c: [
        ("par x rating factor (Moody's derived)", c.perf, c.par * rating_factors(c.pool.derived_rating))
    ],
    "was_bps": lambda c: _was(c)[:1],
    "was_with_excess_wac_bps": _was,
    "wac": lambda c: [("par x coupon (%)", c.pool.fixed, c.par * c.coupon)],
    "warr": _warr,
    "wal_years": _wal,
    "largest_obligor_pct": _largest_obligor,
    "largest_obligor_par": _largest_obligor,
    "largest_industry_pct": _largest_industry,
    "largest_industry_par": _largest_industry,
    "non_domestic_pct": _non_domestic,
    "non_domestic_par": _non_domestic,
}
"""The metrics explained per holding (a standard test's or a custom test's `metric`). The diversity score is not
a sum over holdings (table scores of industry units), so it has no entry."""


def _overcollateralization(c: _Context) -> tuple[list[Part], tuple[tuple[str, float], ...]]:
    """OC (C18, C19): the ACPA is Σ carrying values (defaulted holdings at their C6 value) + principal cash."""
    everything = np.ones(len(c.par), dtype=bool)
    return [("carrying value", everything, c.column("carrying_value"))], (("principal cash", c.deal.principal_cash),)


def _interest_coverage(c: _Context) -> tuple[list[Part], tuple[tuple[str, float], ...]]:
    """IC (C10, C20): each performing holding's interest for the period, less the senior fees."""
    days = c.deal.accrual_days / IC_DAY_BASIS
    rate = c.deal.reference_rate_pct / 100.0 + c.pool.spread / 10_000.0
    parts: list[Part] = [
        ("interest: par x (reference rate + spread) x days/360", c.floating, c.par * rate * days),
        ("interest: par x coupon x days/360", c.pool.fixed, c.par * c.coupon / 100.0 * days),
    ]
    return parts, (("senior fees and expenses", -c.deal.senior_fees_and_expenses),)


def _parts(test: TestDefinition, c: _Context) -> tuple[list[Part], tuple[tuple[str, float], ...]] | None:
    """What the test's numerator sums, dispatched as `evaluation.test_value` computes it; None: not explained."""
    if test.metric:
        explain = METRICS.get(test.metric)
    elif "classes" in c.metrics["test_inputs"].get(test.id, {}):  # an OC or IC test (C19, C20)
        return _interest_coverage(c) if test.id in c.metrics["ic_by_test"] else _overcollateralization(c)
    elif test.id in indenture.CONCENTRATION_IDS:
        found = indenture.concentration(test.id, test.params, c.pool)
        measure = "par + unfunded" if test.id == "conc_revolver_ddtl" else "par"
        return [(measure, found.members, found.amounts)], (("principal cash", found.cash),)
    elif test.id == "warf_test" and test.params.get("rating_basis") == "moodys_derived":
        explain = METRICS["warf_moodys_derived"]
    else:
        standard = STANDARD_TESTS.get(test.id)
        explain = METRICS.get(standard.metric) if standard else None
    parts = explain(c) if explain else None
    return None if parts is None else (parts, ())


def explain(run: ComplianceRun, deal: DealInputs) -> list[Explanation]:
    """Every test of the run with a value whose numerator is a sum over holdings, in the deal's test order."""
    if run.pool is None:
        raise ValueError("the run carries no holdings' arrays (engine.compute sets them)")
    pool = run.pool
    c = _Context(
        pool=pool,
        metrics=run.metrics,
        deal=deal,
        par=pool.par,
        perf=pool.performing,
        floating=pool.performing & ~np.isnan(pool.spread),  # convention 2: spread present = floating
        coupon=np.nan_to_num(pool.terms.coupon, nan=0.0),  # L3: a blank coupon counts 0
        holdings=run.holdings,
    )
    values = {t.id: t.current_value for t in run.tests}
    out = []
    for test in deal.tests:
        found = _parts(test, c) if values.get(test.id) is not None else None
        if found is None:
            continue
        parts, terms = found
        out.append(
            Explanation(
                test_id=test.id,
                index=np.concatenate([np.nonzero(mask)[0] for _, mask, _ in parts]),
                amounts=np.concatenate([amounts[mask] for _, mask, amounts in parts]).astype(np.float64),
                part=np.concatenate(
                    [np.full(int(mask.sum()), k, dtype=np.int64) for k, (_, mask, _) in enumerate(parts)]
                ),
                measures=tuple(measure for measure, _, _ in parts),
                terms=tuple((what, float(a)) for what, a in terms if a != 0),
            )
        )
    return out


def ranked_rows(explanations: Sequence[Explanation], holding_ids: Sequence[str], top: int = TOP) -> pd.DataFrame:
    """Per test: its `top` holdings by |contribution| (ties: holding id), one row summing the rest, then its terms.

    Unrounded. The rest row has no holding id and counts the holdings it stands for; a term row (principal cash,
    senior fees) has no holding id and stands for 0 holdings. A test's rows sum to its numerator; share is a
    row's contribution / the numerator (None when the numerator is 0).
    """
    ids = np.asarray(holding_ids, dtype=object).astype(str)
    by_id = np.empty(len(ids), dtype=np.int64)
    by_id[np.argsort(ids, kind="stable")] = np.arange(len(ids))  # each holding's place in holding id order
    rows: list[tuple[Any, ...]] = []
    for e in explanations:
        numerator, size = e.numerator, np.abs(e.amounts)
        # Only the holdings at least as large as the top-th largest can be listed: sort those alone.
        candidates = np.nonzero(size >= np.partition(size, -top)[-top])[0] if len(size) > top else np.arange(len(size))
        order = candidates[np.lexsort((by_id[e.index[candidates]], -size[candidates]))][:top]  # then by holding id
        listed = [(ids[e.index[i]], 1, float(e.amounts[i]), e.measures[e.part[i]]) for i in order]
        rest = np.ones(len(size), dtype=bool)
        rest[order] = False
        if rest.any():
            measure = "; ".join(e.measures[k] for k in np.unique(e.part[rest]))
            listed.append((None, int(rest.sum()), math.fsum(e.amounts[rest].tolist()), measure))
        listed.extend((None, 0, amount, what) for what, amount in e.terms)
        for rank, (holding_id, count, amount, measure) in enumerate(listed, start=1):
            share = amount / numerator if numerator != 0 else None
            rows.append((e.test_id, rank, holding_id, count, amount, share, measure))
    return pd.DataFrame(rows, columns=list(COLUMNS))
