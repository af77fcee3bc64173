"""The engine agrees with the row-by-row reference (reference_indenture.py) to 1e-9 on every issue-21 figure.

Compared: all 52 test values and statuses, the interface's intermediates (ACPA and its split, interest, WARF on both
bases, WAS, WAC, Excess WAC, WARR, WAL, diversity, obligor and industry rankings, test_inputs) and the per-holding
derived fields, on the hand-worked pool and on 30 random pools (numpy seeds) whose every C14 column and deal key is
randomised, blanks included.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest

from orchestration.compliance.deal import parse_deal
from orchestration.compliance.engine import compute
from tests.compliance import indenture_pool
from tests.compliance.reference_indenture import HOLDING_FIELDS, TEST_IDS, evaluate
from tests.compliance.reference_ratings import MOODYS, SP_FITCH

INTERMEDIATES = (
    "performing_par", "principal_cash", "collateral_principal_amount", "ccc_par", "ccc_excess", "ccc_excess_haircut",
    "discount_par", "discount_haircut", "ccc_discount_overlap_credit", "performing_carrying_value",
    "defaulted_carrying_value", "adjusted_collateral_principal_amount", "collateral_interest_floating",
    "collateral_interest_fixed", "collateral_interest", "interest_coverage_amount", "warf", "warf_effective_unnotched",
    "warf_moodys_derived", "wac", "excess_wac_credit_bps", "fixed_par", "floating_par", "was_bps", "warr", "wal_years",
    "diversity_score",
)  # fmt: skip
INDUSTRIES = ["Retail", "Automotive", "High Tech Industries", "Telecommunications", "Wholesale", "Services: Business",
              "Healthcare & Pharmaceuticals", "Capital Equipment"]  # fmt: skip
COUNTRIES = ["US", "US", "US", "US", "CA", "ca", "GB", "NL", "DE", "FR", "ES", "AU", "JP", "KY", "BM", "MX", None]
SENIORITIES = ["senior_secured", "second_lien", "senior_unsecured", "subordinated"]
ASSET_TYPES = ["loan", "revolver", "delayed_draw", "bond"]
FLAGS = ["is_cov_lite", "is_dip", "is_current_pay", "is_participation", "is_pik"]
AS_OF = dt.date(2026, 1, 1)


def _pick(rng: np.random.Generator, options: list[Any]) -> Any:
    return options[int(rng.integers(len(options)))]


def _ratings(rng: np.random.Generator) -> dict[str, Any]:
    """Moody's / S&P / Fitch tokens in every combination, with the no-rating tokens and S&P / Fitch defaults."""
    blanks = [None, "", "NR", "WR"]
    moodys = _pick(rng, list(MOODYS)) if rng.random() < 0.55 else _pick(rng, blanks)
    sp = _pick(rng, [*SP_FITCH, "SD", "D"]) if rng.random() < 0.45 else _pick(rng, blanks)
    fitch = _pick(rng, [*SP_FITCH, "RD", "D"]) if rng.random() < 0.35 else _pick(rng, blanks)
    return {"rating_moodys": moodys, "rating_sp": sp, "rating_fitch": fitch,
            "moodys_watch": _pick(rng, [None, None, None, "negative", "negative", "positive"])}  # fmt: skip


def random_pool(seed: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A random pool (5-200 holdings, every C14 column, blanks included) and a random deal listing all 52 tests."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 201))
    obligors = max(1, n // int(rng.integers(1, 4)))
    attributes = [(_pick(rng, INDUSTRIES), _pick(rng, COUNTRIES)) for _ in range(obligors)]
    rows = []
    for i in range(n):
        k = int(rng.integers(obligors))
        par = float(rng.integers(1, 60)) * 100_000
        price = None if rng.random() < 0.15 else round(float(rng.uniform(15, 106)), 2)
        mv = None
        if rng.random() < 0.75:
            mv = round(par * (price if price is not None else float(rng.uniform(20, 105))) / 100, 2)
            mv = mv if rng.random() < 0.8 else round(mv * float(rng.uniform(0.9, 1.1)), 2)  # price and mv disagree
        spread = None if rng.random() < 0.2 else float(rng.integers(100, 900))
        asset_type = _pick(rng, [None, None, *ASSET_TYPES])
        purchase = None if rng.random() < 0.4 else _pick(rng, [75.0, 80.0, round(float(rng.uniform(55, 101)), 1)])
        row = {
            "holding_id": f"h{i:04d}",
            "cusip": f"{_pick(rng, list('KQZAB'))}{i:05d}",
            "issuer_name": _pick(rng, [f"Obligor {k:03d}", f" Obligor {k:03d} "]),
            "par_amount": par,
            "market_value": mv,
            "price": price,
            "spread": spread,
            "coupon": None if rng.random() < 0.3 else round(float(rng.uniform(3, 11)), 3),
            **_ratings(rng),
            "maturity_date": None if rng.random() < 0.05 else AS_OF + dt.timedelta(days=int(rng.integers(100, 4500))),
            "industry": attributes[k][0],
            "country": attributes[k][1],
            "is_defaulted": bool(rng.random() < 0.08),
            "seniority": _pick(rng, [None, None, *SENIORITIES]),
            "asset_type": asset_type,
            "purchase_price": purchase,
            "unfunded_amount": _pick(rng, [None, 0.0, float(rng.integers(1, 30)) * 100_000]),
            **{f: _pick(rng, [None, False, False, True]) for f in FLAGS},
        }
        rows.append(row)
    deal = _random_deal(rng, sum(r["par_amount"] for r in rows))
    values = evaluate(rows, deal)["tests"]
    for test in deal["tests"]:  # levels around the value, so that every status occurs
        value = values[test["id"]] or 1.0
        trigger, band = value * float(rng.uniform(0.9, 1.1)), abs(value) * float(rng.uniform(0, 0.1))
        test["trigger_level"] = round(trigger, 6)
        test["target_level"] = round(trigger + band if test["direction"] == "min" else max(0.0, trigger - band), 6)
    return rows, deal


def _random_deal(rng: np.random.Generator, total_par: float) -> dict[str, Any]:
    """The pool's deal: notes A-E + Subordinated, each C14 key present or missing, random levels and parameters."""
    shares = [0.6, 0.1, 0.07, 0.05, 0.04, 0.1]
    spreads = [130, 180, 250, 380, 650, None]
    notes = [{"class": c, "par": round(total_par * s * float(rng.uniform(0.8, 1.2))), "spread_bps": sp, "seniority": i}
             for i, (c, s, sp) in enumerate(zip("ABCDE", shares, spreads, strict=False), start=1)]  # fmt: skip
    notes.append({"class": "Subordinated", "par": round(total_par * shares[-1]), "spread_bps": None, "seniority": 6})
    deal: dict[str, Any] = {
        "as_of_date": AS_OF.isoformat(),
        "accounts": {"principal_cash": float(rng.integers(0, 50)) * 100_000},
        "rates": {"reference_rate_pct": round(float(rng.uniform(2, 6)), 3), "accrual_days": int(rng.integers(85, 95))},
        "senior_fees_and_expenses": float(rng.integers(0, 300_000)),
        "defaulted_recovery_rate_pct": float(rng.integers(20, 60)),
        "ccc_limit_pct": float(rng.integers(3, 12)),
        "domestic_country": "US",
        "notes": notes,
    }
    if rng.random() < 0.8:
        deal["stated_maturity_date"] = (AS_OF + dt.timedelta(days=int(rng.integers(2000, 4000)))).isoformat()
    if rng.random() < 0.75:
        rule = {"loan_threshold_pct": 80.0, "bond_threshold_pct": 75.0, "cure_price_pct": float(rng.integers(85, 96))}
        deal["discount_obligation"] = {k: v for k, v in rule.items() if rng.random() < 0.85} or rule
    if rng.random() < 0.7:
        deal["excess_wac_reference_coupon_pct"] = round(float(rng.uniform(3, 8)), 2)
    if rng.random() < 0.8:
        rates = {"senior_secured": 45.0, "second_lien": 25.0, "senior_unsecured": 20.0, "subordinated": 10.0}
        deal["recovery_rates_pct_by_seniority"] = {k: v for k, v in rates.items() if rng.random() < 0.85} or rates
    if rng.random() < 0.8:
        pool = ["CA", "GB", "NL", "DE", "FR", "ES", "AU", "JP", "KY", "BM", "IE", "mx"]
        deal["country_groups"] = {g: sorted({_pick(rng, pool) for _ in range(int(rng.integers(1, 4)))})
                                  for g in ("canada", "group_i", "group_ii", "group_iii", "tax_jurisdiction")
                                  if rng.random() < 0.9}  # fmt: skip
    deal["tests"] = [_random_test(rng, tid) for tid in TEST_IDS]
    return deal


def _random_test(rng: np.random.Generator, test_id: str) -> dict[str, Any]:
    direction = "min" if test_id.startswith(("oc_", "ic_", "reinv", "was", "wac", "warr", "div")) else "max"
    direction = "min" if test_id == "conc_senior_secured" else direction
    test: dict[str, Any] = {"id": test_id, "direction": direction, "trigger_level": 1.0, "target_level": 1.0}
    classes = {"a": ["A"], "b": ["A", "B"], "c": ["A", "B", "C"], "d": ["A", "B", "C", "D"], "e": list("ABCDE")}
    if test_id[:3] in ("oc_", "ic_") and rng.random() < 0.5:
        test["denominator_classes"] = classes[test_id[-1]]
    if test_id == "warf_test":
        test |= _pick(rng, [{}, {"rating_basis": "moodys_derived"}, {"rating_basis": "c2"}])
    if test_id in ("conc_obligor_6th", "conc_industry_3rd") and rng.random() < 0.3:
        test["rank"] = int(rng.integers(1, 9))
    if test_id == "conc_top5_obligors" and rng.random() < 0.3:
        test["top_n"] = int(rng.integers(1, 15))
    if test_id == "conc_country_group_iii" and rng.random() < 0.3:
        test["country_group"] = "group_i"
    return test


def _differs(got: Any, expected: Any, scale: float = 1.0) -> bool:
    """Not equal to 1e-9 relative (1e-9 × scale absolute near zero); None only matches None (NaN reads as None)."""
    got = None if got is None or (isinstance(got, float) and math.isnan(got)) else got
    if expected is None or got is None:
        return (got is None) != (expected is None)
    return not math.isclose(float(got), float(expected), rel_tol=1e-9, abs_tol=1e-9 * scale)


def _disagreements(rows: list[dict[str, Any]], deal: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Every figure where the engine and the reference differ: (what, engine, reference)."""
    expected = evaluate(rows, deal)
    run = compute(indenture_pool.frame(rows), parse_deal(deal))
    usd = max(1.0, sum(r["par_amount"] for r in rows))
    out: list[tuple[Any, ...]] = []

    def check(what: Any, got: Any, want: Any, scale: float = 1.0) -> None:
        if _differs(got, want, scale):
            out.append((what, got, want))

    if [t.id for t in run.tests] != list(TEST_IDS):
        out.append(("test order", [t.id for t in run.tests], list(TEST_IDS)))
    for test_id in TEST_IDS:
        check(test_id, run.test(test_id).current_value, expected["tests"][test_id])
        if run.test(test_id).status != expected["statuses"][test_id]:
            out.append(((test_id, "status", run.test(test_id).current_value), run.test(test_id).status,
                        expected["statuses"][test_id]))  # fmt: skip
    m = run.metrics
    for key in INTERMEDIATES:
        ratio = key in ("warf", "warf_effective_unnotched", "warf_moodys_derived", "wac", "was_bps")
        check(key, m.get(key), expected["metrics"][key], 1.0 if ratio else usd)
    for test_id, io in expected["metrics"]["test_inputs"].items():
        got = m["test_inputs"].get(test_id) or {}
        check((test_id, "numerator"), got.get("numerator"), io["numerator"], usd)
        check((test_id, "denominator"), got.get("denominator"), io["denominator"], usd)
    for key, name in (("obligor_ranking", "obligor"), ("industry_ranking", "industry")):
        got_rank = [(r[name], r["par"]) for r in m[key]]
        want_rank = [(r[name], r["par"]) for r in expected["metrics"][key]]
        if [g[0] for g in got_rank] != [w[0] for w in want_rank]:
            out.append((key, got_rank, want_rank))
        for g, w in zip(got_rank, want_rank, strict=False):
            check((key, w[0]), g[1], w[1], usd)
    holdings = run.holdings.to_dict(orient="records")
    if [h["cusip"] for h in holdings] != [h["cusip"] for h in expected["holdings"]]:
        out.append(("holding rows", len(holdings), len(expected["holdings"])))
    for got, want in zip(holdings, expected["holdings"], strict=False):
        for field in HOLDING_FIELDS:
            what = (want["cusip"], field)
            if field in ("par_in_ccc_excess", "carrying_value"):
                check(what, got[field], want[field], usd)
            elif (bool(got[field]) if field == "is_discount_obligation" else got[field]) != want[field]:
                out.append((what, got[field], want[field]))
    return out


def test_engine_agrees_with_the_reference_on_the_hand_worked_pool() -> None:
    assert _disagreements(indenture_pool.records(), indenture_pool.deal_dict()) == []


@pytest.mark.parametrize("seed", range(30))
def test_engine_agrees_with_the_reference_on_random_pools(seed: int) -> None:
    assert _disagreements(*random_pool(seed)) == []
