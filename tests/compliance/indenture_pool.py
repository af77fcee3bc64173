# ruff: noqa: E501 - the pool table reads best one holding per line
"""The hand-worked 38-holding indenture pool and its 52-test deal (issue 21; worked in test_indenture_handworked.py).

Par in $ millions in the table (written out in USD in the frame); market value = par × price / 100 unless a row's
extras say otherwise. Every extra column (C14) is blank unless a row's extras set it.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pandas as pd

from tests.compliance.reference_indenture import TEST_IDS

M = 1_000_000
HC, HT, SB = "Healthcare & Pharmaceuticals", "High Tech Industries", "Services: Business"
CH, TC, MB = "Chemicals, Plastics & Rubber", "Telecommunications", "Media: Broadcasting & Subscription"
CE, EO, RT = "Capital Equipment", "Energy: Oil & Gas", "Retail"
HG, AU, CB = "Hotel, Gaming & Leisure", "Automotive", "Construction & Building"
BF, UE, MM, TR = "Beverage, Food & Tobacco", "Utilities: Electric", "Metals & Mining", "Transportation: Cargo"

COLUMNS = ["holding_id", "cusip", "issuer_name", "par_amount", "market_value", "price", "spread", "coupon",
           "rating_moodys", "rating_sp", "rating_fitch", "moodys_watch", "maturity_date", "industry", "country",
           "is_defaulted", "seniority", "asset_type", "purchase_price", "unfunded_amount", "is_cov_lite", "is_dip",
           "is_current_pay", "is_participation", "is_pik"]  # fmt: skip

# fmt: off
ROWS: list[tuple[Any, ...]] = [
    # no, cusip,     issuer,             par, price, spread, coupon, Moody's, S&P,   Fitch, watch,      maturity,     industry, country, extras
    (1,  "A0000001", " Atlas Holdings ",  5,   99,   350,    None,   "B2",    None,   None,  None,       "2031-01-01", HC, "US", {"purchase_price": 99.5, "is_cov_lite": True}),
    (2,  "A0000002", "Atlas Holdings",    3,   95,   650,    None,   "Caa1",  "B-",   None,  None,       "2032-01-01", HC, "US", {"seniority": "second_lien", "purchase_price": 97}),
    (3,  "B0000001", "Borealis Inc",      7,   100,  300,    None,   "Ba3",   None,   None,  "negative", "2030-01-01", HT, "US", {"seniority": "senior_secured", "asset_type": "loan", "purchase_price": 100, "is_cov_lite": True}),
    (4,  "C0000001", "Cobalt Corp",       6,   98,   375,    None,   "B1",    None,   None,  "positive", "2031-01-01", SB, "US", {"is_cov_lite": False}),
    (5,  "D0000001", "Dynamo LLC",        2,   100,  300,    None,   "B2",    None,   None,  None,       "2029-01-01", CH, "US", {"asset_type": "revolver", "unfunded_amount": 3 * M}),
    (6,  "D0000002", "Dynamo LLC",        4,   99,   350,    None,   "B2",    None,   None,  None,       "2031-01-01", CH, "US", {}),
    (7,  "E0000001", "Electra SA",        5,   97,   400,    None,   None,    "B",    None,  None,       "2032-01-01", TC, "FR", {}),
    (8,  "F0000001", "Fenwick plc",       5,   99,   425,    None,   "NR",    None,   "B+",  None,       "2030-01-01", MB, "GB", {"is_participation": True}),
    (9,  "G0000001", "Granite Ltd",       5,   100,  325,    None,   "B1",    None,   None,  None,       "2031-01-01", CE, "ca", {}),
    (10, "G1000001", "Garnet Health",     4.5, 100,  350,    None,   "B2",    None,   None,  None,       "2032-01-01", HC, "US", {}),
    (11, "H0000001", "Helios Energy",     4.5, 100,  400,    None,   "B3",    None,   None,  None,       "2030-01-01", EO, "US", {"asset_type": "delayed_draw", "unfunded_amount": 1.5 * M}),
    (12, "I0000001", "Ionic Partners",    4,   100,  375,    None,   "B2",    None,   None,  None,       "2031-01-01", SB, "US", {"is_pik": True}),
    (13, "J0000001", "Juniper Retail",    4,   55,   500,    None,   "Caa2",  None,   None,  None,       "2029-01-01", RT, "US", {"purchase_price": 78, "is_cov_lite": True}),
    (14, "N0000001", "Nimbus Hotels",     4,   85,   450,    None,   "B3",    "CCC+", None,  "negative", "2030-01-01", HG, "US", {"purchase_price": 79}),
    (15, "L0000001", "Larch Foods",       3,   92,   425,    None,   "B3",    None,   None,  None,       "2031-01-01", BF, "US", {"purchase_price": 70}),
    (16, "M0000001", "Mistral Auto",      3,   75,   450,    None,   "B3",    None,   None,  None,       "2030-01-01", AU, "US", {"purchase_price": 80}),
    (17, "O0000001", "Orion Bond Co",     2,   72,   None,   8.0,    "B3",    None,   None,  None,       "2033-01-01", CB, "DE", {"asset_type": "bond", "seniority": "senior_unsecured", "purchase_price": 70}),
    (18, "P0000001", "Pavo Bonds",        3,   88,   None,   6.5,    "B2",    None,   None,  None,       "2032-01-01", TC, "US", {"asset_type": "bond", "purchase_price": 78}),
    (19, "Q0000001", "Quasar Ltd",        2,   98,   None,   None,   "B3",    None,   None,  None,       "2031-01-01", SB, "NL", {"seniority": "subordinated", "is_pik": True}),
    (20, "R0000001", "Rhea Corp",         3,   50,   500,    None,   "Ca",    None,   None,  None,       "2028-01-01", RT, "US", {"is_defaulted": True, "seniority": "second_lien", "is_current_pay": True}),
    (21, "S0000001", "Sable Inc",         2,   30,   400,    None,   None,    "D",    None,  None,       "2029-01-01", AU, "US", {"is_defaulted": True, "purchase_price": 50}),
    (22, "T0000001", "Tundra Energy",     2,   100,  375,    None,   "B2",    None,   None,  None,       "2028-01-01", EO, "US", {"is_dip": True}),
    (23, "U0000001", "Umbra Co",          3,   96,   475,    None,   None,    "B-",   None,  "negative", "2031-01-01", SB, "ES", {}),
    (24, "V0000001", "Vega Systems",      1,   90,   500,    None,   "NR",    None,   "",    None,       "2030-01-01", HT, "AU", {}),
    (25, "W0000001", "Wren Capital",      2,   100,  150,    None,   "Aaa",   None,   None,  "negative", "2029-01-01", BF, "KY", {}),
    (26, "X0000001", "Xenon Labs",        1,   20,   600,    None,   "C",     None,   None,  "negative", "2028-01-01", HC, "US", {}),
    (27, "Y0000001", "Yarrow Inc",        1,   40,   600,    None,   None,    "SD",   None,  None,       "2029-01-01", RT, "US", {"is_current_pay": True}),
    (28, "Z0000001", "Zephyr Retail",     2,   60,   550,    None,   "Caa3",  None,   None,  None,       "2030-01-01", RT, "US", {}),
    (29, "K0000001", "Kestrel Media",     2,   85,   550,    None,   "Caa1",  None,   None,  None,       "2031-01-01", MB, "US", {"purchase_price": 65}),
    (30, "W1000001", "Wraith Corp",       3,   85,   525,    None,   "WR",    "CCC+", None,  None,       "2030-01-01", CE, "US", {"is_current_pay": True}),
    (31, "A1000001", "Aurora Power",      4,   100,  350,    None,   "B1",    None,   None,  None,       "2035-06-01", UE, "US", {}),
    (32, "B1000001", "Basalt Mining",     4,   99,   400,    None,   "B2",    None,   None,  None,       "2034-01-01", MM, "JP", {}),
    (33, "C1000001", "Cedar Homes",       4,   101,  275,    None,   "Ba2",   None,   None,  None,       "2033-01-01", CB, "US", {"price": None}),
    (34, "D1000001", "Delphi Software",   4,   100,  350,    None,   "B1",    None,   None,  None,       "2032-01-01", HT, "US", {"market_value": None, "is_cov_lite": True}),
    (35, "E1000001", "Ember Chemicals",   4,   98,   375,    None,   "B2",    None,   None,  None,       "2031-01-01", CH, "MX", {}),
    (36, "F1000001", "Falcon Freight",    3,   97,   400,    None,   "B1",    None,   None,  None,       None,         TR, None, {}),
    (37, "H1000001", "Harbor Telecom",    3,   94,   500,    None,   "B3",    "CCC+", None,  None,       "2030-01-01", TC, "US", {"seniority": "senior_unsecured"}),
    (38, "I1000001", "Indigo Retail",     3,   99,   325,    None,   "WR",    "NR",   "BB",  None,       "2031-01-01", RT, "BM", {}),
]
# fmt: on


def _test(test_id: str, trigger: float, target: float, **params: Any) -> dict[str, Any]:
    return {"id": test_id, "trigger_level": trigger, "target_level": target, **params}


_CLASSES = {"a": ["A"], "b": ["A", "B"], "c": ["A", "B", "C"], "e": ["A", "B", "C", "D", "E"]}  # d: C19's default
_LEVELS = {
    # id: (direction, trigger, target), chosen after the values were worked (test_indenture_handworked.py);
    # conc_moodys_caa and conc_unsecured_subordinated sit exactly at their trigger, conc_obligor_2nd and
    # conc_senior_secured exactly at their target (C24).
    "oc_class_a": ("min", 140, 150), "oc_class_b": ("min", 130, 140), "oc_class_c": ("min", 125, 130),
    "oc_class_d": ("min", 112, 118), "oc_class_e": ("min", 108, 112), "reinvestment_oc": ("min", 114, 116),
    "ic_class_a": ("min", 120, 125), "ic_class_b": ("min", 115, 120), "ic_class_c": ("min", 110, 115),
    "ic_class_d": ("min", 150, 160), "ic_class_e": ("min", 100, 105),
    "warf_test": ("max", 3300, 3100), "was_test": ("min", 400, 420), "wac_test": ("min", 5.0, 5.5),
    "warr_test": ("min", 40, 42), "wal_test": ("max", 5.5, 5.0), "diversity_test": ("min", 20, 22),
    "ccc_bucket": ("max", 7.5, 7.5), "conc_moodys_caa": ("max", 19.2, 15), "conc_sp_ccc": ("max", 20, 17.5),
    "conc_single_obligor": ("max", 7.5, 6.5), "conc_obligor_2nd": ("max", 6, 5.6), "conc_obligor_6th": ("max", 5, 4.5),
    "conc_top5_obligors": ("max", 30, 25), "conc_top10_obligors": ("max", 50, 45),
    "conc_largest_non_ss_obligor": ("max", 3, 2.5), "conc_industry": ("max", 15, 12),
    "conc_industry_2nd": ("max", 12, 10), "conc_industry_3rd": ("max", 12, 10), "conc_industry_4th": ("max", 10, 9),
    "conc_country": ("max", 30, 25), "conc_canada": ("max", 7.5, 5), "conc_country_group_i": ("max", 10, 7.5),
    "conc_country_group_ii": ("max", 10, 7.5), "conc_country_group_iii": ("max", 7.5, 5),
    "conc_tax_jurisdiction": ("max", 5, 3), "conc_single_group_country": ("max", 5, 4),
    "conc_senior_secured": ("min", 85, 89.6), "conc_second_lien": ("max", 5, 2.5),
    "conc_unsecured_subordinated": ("max", 5.6, 5), "conc_bonds": ("max", 5, 4), "conc_cov_lite": ("max", 20, 15),
    "conc_dip": ("max", 2.5, 2), "conc_current_pay": ("max", 5, 2.5), "conc_participation": ("max", 5, 3),
    "conc_pik": ("max", 5, 4), "conc_fixed_rate": ("max", 5, 4), "conc_revolver_ddtl": ("max", 10, 8),
    "conc_discount": ("max", 10, 7.5), "conc_long_dated": ("max", 5, 2.5), "conc_unrated": ("max", 2.5, 1),
    "conc_moodys_rating_derived": ("max", 20, 15),
}  # fmt: skip
_PARAMS: dict[str, dict[str, Any]] = {
    **{f"oc_class_{k}": {"denominator_classes": v} for k, v in _CLASSES.items()},
    **{f"ic_class_{k}": {"denominator_classes": v} for k, v in _CLASSES.items()},
    "reinvestment_oc": {"denominator_classes": _CLASSES["e"]},
    "warf_test": {"rating_basis": "moodys_derived"},
    "conc_obligor_6th": {"rank": 6},
    "conc_top10_obligors": {"top_n": 10},
    "conc_country_group_iii": {"country_group": "group_iii"},
}

DEAL: dict[str, Any] = {
    "deal_id": "Indenture Pool 2026-1",
    "as_of_date": "2026-01-01",
    "currency": "USD",
    "accounts": {"principal_cash": 3 * M},
    "rates": {"reference_rate_name": "SOFR", "reference_rate_pct": 4.0, "accrual_days": 90, "day_count": "ACT/360"},
    "senior_fees_and_expenses": 150_000,
    "defaulted_recovery_rate_pct": 40,
    "ccc_limit_pct": 5.0,
    "domestic_country": "US",
    "stated_maturity_date": "2034-01-01",
    "discount_obligation": {"loan_threshold_pct": 80, "bond_threshold_pct": 75, "cure_price_pct": 90},
    "excess_wac_reference_coupon_pct": 4.5,
    "recovery_rates_pct_by_seniority": {
        "senior_secured": 45,
        "second_lien": 25,
        "senior_unsecured": 20,
        "subordinated": 10,
    },
    "country_groups": {
        "canada": ["CA"],
        "group_i": ["GB", "NL", "DE"],
        "group_ii": ["FR", "ES"],
        "group_iii": ["au", "JP"],
        "tax_jurisdiction": ["KY", "BM"],
    },
    "notes": [
        {"class": "A", "par": 75 * M, "spread_bps": 130, "rating": "Aaa", "seniority": 1},
        {"class": "B", "par": 12 * M, "spread_bps": 180, "rating": "Aa2", "seniority": 2},
        {"class": "C", "par": 8 * M, "spread_bps": 250, "rating": "A2", "seniority": 3},
        {"class": "D", "par": 6 * M, "spread_bps": 380, "rating": "Baa3", "seniority": 4},
        {"class": "E", "par": 5 * M, "spread_bps": 650, "rating": "Ba3", "seniority": 5},
        {"class": "Subordinated", "par": 14 * M, "spread_bps": None, "rating": "NR", "seniority": 6},
    ],
    "tests": [
        {**_test(tid, _LEVELS[tid][1], _LEVELS[tid][2], **_PARAMS.get(tid, {})), "direction": _LEVELS[tid][0]}
        for tid in TEST_IDS
    ],
}


def records() -> list[dict[str, Any]]:
    """The pool as canonical holding dicts (USD; blanks as None), in table order."""
    out = []
    for (
        no,
        cusip,
        issuer,
        par,
        price,
        spread,
        coupon,
        moodys,
        sp,
        fitch,
        watch,
        maturity,
        industry,
        country,
        extras,
    ) in ROWS:
        row: dict[str, Any] = dict.fromkeys(COLUMNS)
        row |= {"holding_id": f"h{no:02d}", "cusip": cusip, "issuer_name": issuer, "par_amount": par * M,
                "market_value": par * M * price / 100, "price": float(price), "spread": spread, "coupon": coupon,
                "rating_moodys": moodys, "rating_sp": sp, "rating_fitch": fitch, "moodys_watch": watch,
                "maturity_date": dt.date.fromisoformat(maturity) if maturity else None, "industry": industry,
                "country": country, "is_defaulted": False}  # fmt: skip
        out.append(row | extras)
    return out


def holdings() -> pd.DataFrame:
    """The pool as a canonical holdings frame (the engine's input)."""
    return frame(records())


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Holding dicts as the frame the engine reads (column order of COLUMNS)."""
    return pd.DataFrame(rows, columns=COLUMNS)


def deal_dict() -> dict[str, Any]:
    """A fresh copy of the raw deal (the shape `parse_deal` accepts)."""
    return copy.deepcopy(DEAL)
