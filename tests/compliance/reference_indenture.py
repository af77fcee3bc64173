"""A second, row-by-row implementation of the indenture compliance report (issue 21, C1-C24), for tests only.

Written from the issue text, the lead's interface notes and docs/compliance.md alone: plain loops over a list of
dict holdings and a raw deal dict (the shape `parse_deal` accepts), with its own rating scales
(tests/compliance/reference_ratings.py). It shares no table or helper with `orchestration.compliance` or
`orchestration.core.ratings`: the point is a second method. `evaluate` returns every test value and status, the
interface's intermediates and the per-holding derived fields.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.compliance.reference_ratings import (
    CAA1,
    FACTORS,
    MOODYS,
    SP_CCC,
    blank,
    c2_rating,
    day,
    derived_rating,
    flag,
    number,
    sp_basis_rating,
    status,
)

DAYS_PER_YEAR = 365.25  # C8
DIVERSITY_YAML = Path(__file__).resolve().parents[2] / "assets_config" / "compliance" / "diversity_table.yaml"
LOANS = ("loan", "revolver", "delayed_draw")
RANK_DEFAULTS = {"conc_obligor_2nd": 2, "conc_obligor_6th": 6, "conc_industry_2nd": 2, "conc_industry_3rd": 3,
                 "conc_industry_4th": 4, "conc_top5_obligors": 5, "conc_top10_obligors": 10}  # fmt: skip
GROUP_DEFAULTS = {"conc_canada": "canada", "conc_country_group_i": "group_i", "conc_country_group_ii": "group_ii",
                  "conc_country_group_iii": "group_iii", "conc_tax_jurisdiction": "tax_jurisdiction"}  # fmt: skip
FLAG_TESTS = {"conc_cov_lite": "is_cov_lite", "conc_dip": "is_dip", "conc_current_pay": "is_current_pay",
              "conc_participation": "is_participation", "conc_pik": "is_pik"}  # fmt: skip
QUALITY_TESTS = ("warf_test", "was_test", "wac_test", "warr_test", "wal_test", "diversity_test")
TEST_IDS = (
    *(f"oc_class_{c}" for c in "abcde"), "reinvestment_oc", *(f"ic_class_{c}" for c in "abcde"),
    *QUALITY_TESTS, "ccc_bucket", "conc_moodys_caa", "conc_sp_ccc", "conc_single_obligor", *list(RANK_DEFAULTS)[:2],
    "conc_top5_obligors", "conc_top10_obligors", "conc_largest_non_ss_obligor", "conc_industry",
    *list(RANK_DEFAULTS)[2:5], "conc_country", *GROUP_DEFAULTS, "conc_single_group_country", "conc_senior_secured",
    "conc_second_lien", "conc_unsecured_subordinated", "conc_bonds", *FLAG_TESTS, "conc_fixed_rate",
    "conc_revolver_ddtl", "conc_discount", "conc_long_dated", "conc_unrated", "conc_moodys_rating_derived",
)  # fmt: skip
"""The 52 test ids of C23, in the issue's order."""
HOLDING_FIELDS = ("moodys_derived_rating", "moodys_derived_source", "sp_basis_rating", "is_discount_obligation",
                  "par_in_ccc_excess", "carrying_value")  # fmt: skip


def _holding(h: Mapping[str, Any], deal: Mapping[str, Any]) -> dict[str, Any]:
    """One holding's own figures (C2, C14-C17), before the pool-level CCC excess."""
    par = number(h.get("par_amount")) or 0.0
    price = number(h.get("price"))
    mv = number(h.get("market_value"))
    if mv is None:  # docs: a missing market value is price × par / 100, else par
        mv = price * par / 100 if price is not None else par
    current = price if price is not None else (mv / par * 100 if par else None)  # L2
    asset_type = "loan" if blank(h.get("asset_type")) else str(h["asset_type"]).strip().lower()
    defaulted = flag(h.get("is_defaulted"))
    c2, c2_source = c2_rating(h)
    derived, derived_source = derived_rating(h)
    purchase = number(h.get("purchase_price"))
    rule = deal.get("discount_obligation")
    is_discount = False
    if rule and not defaulted and purchase is not None:  # C17 (both comparisons strict), L2
        threshold = rule.get("bond_threshold_pct" if asset_type == "bond" else "loan_threshold_pct")
        cure = rule.get("cure_price_pct")
        if threshold is not None and purchase < float(threshold):
            is_discount = cure is None or (current is not None and current < float(cure))
    return {
        "cusip": "" if blank(h.get("cusip")) else str(h["cusip"]),
        "obligor": str(h.get("issuer_name") or "").strip(),
        "par": par,
        "mv": mv,
        "m": mv / par if par else 1.0,
        "spread": number(h.get("spread")),
        "coupon": number(h.get("coupon")) or 0.0,  # L3: a blank fixed coupon counts 0
        "maturity": day(h.get("maturity_date")),
        "industry": h.get("industry"),
        "country": "" if blank(h.get("country")) else str(h["country"]).strip().upper(),  # L7
        "defaulted": defaulted,
        "seniority": "senior_secured" if blank(h.get("seniority")) else str(h["seniority"]).strip().lower(),
        "asset_type": asset_type,
        "unfunded": number(h.get("unfunded_amount")) or 0.0,
        **{f: flag(h.get(f)) for f in FLAG_TESTS.values()},
        "c2": c2,
        "c2_source": c2_source,
        "derived": derived,
        "moodys_derived_rating": MOODYS[derived],
        "moodys_derived_source": derived_source,
        "sp_basis_rating": sp_basis_rating(h, c2),
        "is_discount_obligation": is_discount,
        "b": purchase / 100 if is_discount and purchase is not None else 1.0,
        "par_in_ccc_excess": 0.0,
    }


def _carrying(rows: list[dict[str, Any]], deal: Mapping[str, Any], cpa: float) -> dict[str, float]:
    """C5/C6/C18: CCC excess (lowest mv % first, ties cusip, last in part), carrying values and ACPA's split."""
    perf = [r for r in rows if not r["defaulted"]]
    ccc = [r for r in perf if r["c2"] >= CAA1]
    ccc_par = sum(r["par"] for r in ccc)
    excess = max(0.0, ccc_par - float(deal.get("ccc_limit_pct", 7.5)) / 100 * cpa)
    left = excess
    for r in sorted(ccc, key=lambda r: (r["m"] * 100, r["cusip"])):
        r["par_in_ccc_excess"] = min(r["par"], max(0.0, left))
        left -= r["par_in_ccc_excess"]
    recovery = float(deal.get("defaulted_recovery_rate_pct", 0) or 0) / 100
    for r in rows:
        r["m_capped"] = min(r["m"], 1.0)  # L1
        if r["defaulted"]:
            r["carrying_value"] = min(recovery * r["par"], r["mv"])
        else:
            b, x = r["b"], r["par_in_ccc_excess"]
            r["carrying_value"] = b * (r["par"] - x) + min(b, r["m_capped"]) * x
    disc = [r for r in perf if r["is_discount_obligation"]]
    return {
        "ccc_par": ccc_par,
        "ccc_excess": excess,
        "ccc_excess_haircut": sum(r["par_in_ccc_excess"] * (1 - r["m_capped"]) for r in perf),
        "discount_par": sum(r["par"] for r in disc),
        "discount_haircut": sum(r["par"] * (1 - r["b"]) for r in disc),
        "ccc_discount_overlap_credit": sum(r["par_in_ccc_excess"] * (1 - max(r["m_capped"], r["b"])) for r in disc),
        "performing_carrying_value": sum(r["carrying_value"] for r in perf),
        "defaulted_carrying_value": sum(r["carrying_value"] for r in rows if r["defaulted"]),
    }


def _quality(perf: list[dict[str, Any]], deal: Mapping[str, Any]) -> dict[str, Any]:
    """C20 interest and C21 collateral quality over performing holdings (principal cash excluded)."""
    rates = deal.get("rates") or {}
    reference = float(rates.get("reference_rate_pct", 0) or 0) / 100
    year = float(rates.get("accrual_days", 90)) / 360
    par = sum(r["par"] for r in perf)
    floating = [r for r in perf if r["spread"] is not None]
    fixed = [r for r in perf if r["spread"] is None]
    floating_par = sum(r["par"] for r in floating)
    fixed_par = sum(r["par"] for r in fixed)
    interest_floating = sum(r["par"] * (reference + r["spread"] / 10_000) * year for r in floating)
    interest_fixed = sum(r["par"] * r["coupon"] / 100 * year for r in fixed)
    was = sum(r["par"] * r["spread"] for r in floating) / floating_par if floating_par > 0 else None
    wac = sum(r["par"] * r["coupon"] for r in fixed) / fixed_par if fixed_par > 0 else None
    wac_reference = deal.get("excess_wac_reference_coupon_pct")
    credit = 0.0
    if wac is not None and floating_par > 0 and wac_reference is not None:
        credit = max(0.0, wac - float(wac_reference)) * 100 * fixed_par / floating_par
    table = deal.get("recovery_rates_pct_by_seniority")
    as_of = day(deal["as_of_date"])
    dated = [r for r in perf if r["maturity"] is not None]
    wal_par = sum(r["par"] for r in dated)
    wal = sum(r["par"] * (r["maturity"] - as_of).days / DAYS_PER_YEAR for r in dated) / wal_par if wal_par else None
    return {
        "collateral_interest_floating": interest_floating,
        "collateral_interest_fixed": interest_fixed,
        "collateral_interest": interest_floating + interest_fixed,
        "interest_coverage_amount": interest_floating + interest_fixed - float(deal.get("senior_fees_and_expenses", 0)),
        "warf": sum(r["par"] * FACTORS[r["c2"]] for r in perf) / par if par > 0 else None,
        "warf_moodys_derived": sum(r["par"] * FACTORS[r["derived"]] for r in perf) / par if par > 0 else None,
        "wac": wac,
        "excess_wac_credit_bps": credit,
        "fixed_par": fixed_par,
        "floating_par": floating_par,
        "was_bps": was,
        "warr": sum(r["par"] * float(table.get(r["seniority"]) or 0) for r in perf) / par if table and par else None,
        "wal_years": wal,
    }


def _obligors(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """C9/C22: obligor (trimmed issuer) par; industry and country those of its largest holding (docs' rule)."""
    largest: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {}
    for r in rows:
        key = (-r["par"], r["cusip"], str(r["industry"]), r["country"])
        if r["obligor"] not in largest or key < largest[r["obligor"]][0]:
            largest[r["obligor"]] = (key, r)
    for r in rows:
        top = largest[r["obligor"]][1]
        r["industry"], r["country"] = top["industry"], top["country"]
    obligor_par: dict[str, float] = defaultdict(float)
    industry_par: dict[Any, float] = defaultdict(float)
    for r in rows:
        if not r["defaulted"]:
            obligor_par[r["obligor"]] += r["par"]
            industry_par[r["industry"]] += r["par"]
    doc = yaml.safe_load(DIVERSITY_YAML.read_text())
    average = sum(obligor_par.values()) / len(obligor_par) if obligor_par else 0.0
    units: dict[Any, float] = defaultdict(float)
    for obligor, par in obligor_par.items():
        units[largest[obligor][1]["industry"]] += min(1.0, par / average) if average > 0 else 0.0
    scores = []
    for aggregate in units.values():  # C9: the score at the largest key not above the aggregate (1e-9 noise)
        reached = [score for key, score in doc["table"] if key <= aggregate + 1e-9]
        scores.append(doc["max_score"] if aggregate > doc["table"][-1][0] + 0.1 else (reached or [0.0])[-1])
    return {
        "diversity_score": float(sum(scores)),
        "obligor_ranking": [{"obligor": k, "par": v} for k, v in sorted(obligor_par.items(), key=_desc)],
        "industry_ranking": [{"industry": k, "par": v} for k, v in sorted(industry_par.items(), key=_desc)],
    }


def _desc(item: tuple[Any, float]) -> tuple[float, str]:
    """Ranking order: par descending, ties by name ascending (L6)."""
    return -item[1], str(item[0])


def _numerator(test: Mapping[str, Any], perf: list[dict[str, Any]], pool: Mapping[str, Any]) -> float:
    """Numerator (USD) of `ccc_bucket` and of every concentration test (C22, C23)."""
    tid, deal = test["id"], pool["deal"]
    groups = {k: [str(c).strip().upper() for c in v] for k, v in (deal.get("country_groups") or {}).items()}
    if tid in FLAG_TESTS:
        return sum(r["par"] for r in perf if r[FLAG_TESTS[tid]])
    if tid in ("conc_single_obligor", "conc_industry"):
        ranking = pool["obligor_ranking" if tid == "conc_single_obligor" else "industry_ranking"]
        return ranking[0]["par"] if ranking else 0.0
    if tid in RANK_DEFAULTS:
        ranking = pool["obligor_ranking" if "obligor" in tid else "industry_ranking"]
        if tid.startswith("conc_top"):
            return sum(o["par"] for o in ranking[: int(test.get("top_n") or RANK_DEFAULTS[tid])])
        k = int(test.get("rank") or RANK_DEFAULTS[tid])
        return ranking[k - 1]["par"] if len(ranking) >= k else 0.0
    if tid == "conc_largest_non_ss_obligor":
        non_ss: dict[str, float] = defaultdict(float)
        for r in perf:
            non_ss[r["obligor"]] += r["par"] if r["seniority"] != "senior_secured" else 0.0
        return max(non_ss.values(), default=0.0)
    if tid in GROUP_DEFAULTS:
        members = groups.get(test.get("country_group") or GROUP_DEFAULTS[tid], [])
        return sum(r["par"] for r in perf if r["country"] in members)
    if tid == "conc_single_group_country":
        members = groups.get("group_i", []) + groups.get("group_ii", []) + groups.get("group_iii", [])
        by_country: dict[str, float] = defaultdict(float)
        for r in perf:
            by_country[r["country"]] += r["par"] if r["country"] in members else 0.0
        return max(by_country.values(), default=0.0)
    stated = day(deal.get("stated_maturity_date"))
    domestic = str(deal.get("domestic_country") or "US").strip().upper()
    qualifies = {
        "ccc_bucket": lambda r: r["c2"] >= CAA1,
        "conc_moodys_caa": lambda r: r["derived"] >= CAA1,
        "conc_sp_ccc": lambda r: r["sp_basis_rating"] in SP_CCC,
        "conc_country": lambda r: r["country"] != domestic,
        "conc_senior_secured": lambda r: r["seniority"] == "senior_secured" and r["asset_type"] in LOANS,
        "conc_second_lien": lambda r: r["seniority"] == "second_lien",
        "conc_unsecured_subordinated": lambda r: r["seniority"] in ("senior_unsecured", "subordinated"),
        "conc_bonds": lambda r: r["asset_type"] == "bond",
        "conc_fixed_rate": lambda r: r["spread"] is None,
        "conc_revolver_ddtl": lambda r: r["asset_type"] in ("revolver", "delayed_draw"),
        "conc_discount": lambda r: r["is_discount_obligation"],
        "conc_long_dated": lambda r: stated is not None and r["maturity"] is not None and r["maturity"] > stated,
        "conc_unrated": lambda r: r["c2_source"] == "default",  # L8
        "conc_moodys_rating_derived": lambda r: r["moodys_derived_source"] in ("sp", "fitch"),
    }[tid]
    total = sum(r["par"] + (r["unfunded"] if tid == "conc_revolver_ddtl" else 0.0) for r in perf if qualifies(r))
    return total + (pool["principal_cash"] if tid == "conc_senior_secured" else 0.0)


def _classes(test: Mapping[str, Any], notes: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """C19: the test's denominator_classes, else its class and every class senior to it (subordinated never)."""

    def subordinated(n: Mapping[str, Any]) -> bool:
        if n.get("subordinated") is not None:
            return bool(n["subordinated"])
        name = str(n.get("class", "")).strip().lower()
        return any(name.startswith(m) or m in name.split() for m in ("sub", "equity", "income"))

    named = test.get("denominator_classes")
    if named:
        wanted = [c.strip() for c in named.split(",")] if isinstance(named, str) else [str(c) for c in named]
        return [n for n in notes if str(n["class"]) in wanted]
    own = "E" if test["id"] == "reinvestment_oc" else test["id"].rsplit("_", 1)[-1].upper()
    level = next(n.get("seniority", i + 1) for i, n in enumerate(notes) if str(n["class"]) == own)
    return [n for i, n in enumerate(notes) if n.get("seniority", i + 1) <= level and not subordinated(n)]


def evaluate(holdings: list[dict[str, Any]], deal: Mapping[str, Any]) -> dict[str, Any]:
    """Every test of `deal['tests']` over `holdings`: {"tests", "statuses", "metrics", "holdings"}."""
    rows = [_holding(h, deal) for h in holdings]
    perf = [r for r in rows if not r["defaulted"]]
    cash = float((deal.get("accounts") or {}).get("principal_cash", 0) or 0)
    performing_par = sum(r["par"] for r in perf)
    cpa = performing_par + cash  # C4
    pool: dict[str, Any] = {"deal": deal, "performing_par": performing_par, "principal_cash": cash}
    pool["collateral_principal_amount"] = cpa
    pool |= _carrying(rows, deal, cpa)
    pool["adjusted_collateral_principal_amount"] = (
        pool["performing_carrying_value"] + pool["defaulted_carrying_value"] + cash
    )
    pool |= _quality(perf, deal)
    pool["warf_effective_unnotched"] = pool["warf"]
    pool |= _obligors(rows)
    rates = deal.get("rates") or {}
    reference = float(rates.get("reference_rate_pct", 0) or 0) / 100
    year = float(rates.get("accrual_days", 90)) / 360
    values: dict[str, float | None] = {}
    inputs: dict[str, dict[str, float]] = {}
    tests = [t for t in deal.get("tests") or [] if t["id"] in TEST_IDS]  # others are not this issue's
    for test in tests:
        tid = test["id"]
        classes = _classes(test, list(deal.get("notes") or [])) if tid[:3] in ("oc_", "ic_", "rei") else []
        if tid.startswith("oc_class_") or tid == "reinvestment_oc":
            inputs[tid] = {"numerator": pool["adjusted_collateral_principal_amount"],
                           "denominator": sum(float(n["par"]) for n in classes)}  # fmt: skip
        elif tid.startswith("ic_class_"):
            den = sum(float(n["par"]) * (reference + float(n.get("spread_bps") or 0) / 10_000) * year for n in classes)
            inputs[tid] = {"numerator": pool["interest_coverage_amount"], "denominator": den}
        elif tid in QUALITY_TESTS:
            was = None if pool["was_bps"] is None else pool["was_bps"] + pool["excess_wac_credit_bps"]
            warf = pool["warf_moodys_derived" if test.get("rating_basis") == "moodys_derived" else "warf"]
            values[tid] = {"warf_test": warf, "was_test": was, "wac_test": pool["wac"], "warr_test": pool["warr"],
                           "wal_test": pool["wal_years"], "diversity_test": pool["diversity_score"]}[tid]  # fmt: skip
            continue
        else:
            inputs[tid] = {"numerator": _numerator(test, perf, pool), "denominator": cpa}
        den = inputs[tid]["denominator"]
        values[tid] = inputs[tid]["numerator"] / den * 100 if den > 0 else None
    statuses = {}
    for t in tests:
        trigger = float(t["trigger_level"])
        statuses[t["id"]] = status(values[t["id"]], t["direction"], trigger, float(t.get("target_level", trigger)))
    metrics = {k: v for k, v in pool.items() if k != "deal"} | {"test_inputs": inputs}
    holding_rows = [{"cusip": r["cusip"], **{f: r[f] for f in HOLDING_FIELDS}} for r in rows]
    return {"tests": values, "statuses": statuses, "metrics": metrics, "holdings": holding_rows}
