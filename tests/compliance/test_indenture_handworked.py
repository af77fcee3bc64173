"""Every figure of the 38-holding indenture pool (tests/compliance/indenture_pool.py), worked by hand (issue 21).

Each figure is asserted against BOTH the row-by-row reference (tests/compliance/reference_indenture.py) and the
engine. Amounts in $ millions unless written out. As-of 2026-01-01; principal cash 3; SOFR 4.00 %; 90 days
(year fraction 0.25); senior fees 0.15; recovery 40 %; CCC limit 5 %; stated maturity 2034-01-01; discount
thresholds loan 80 / bond 75, cure 90; Excess WAC reference 4.5 %; recovery by seniority SS 45, 2L 25, SU 20,
Sub 10; groups canada [CA], I [GB NL DE], II [FR ES], III [au→AU JP], tax [KY BM]; notes A 75 (S+130), B 12
(S+180), C 8 (S+250), D 6 (S+380), E 5 (S+650), Subordinated 14.

Ratings (C2 effective / C15 derived and source / C16 S&P basis):
 1 Atlas SS 5 B2/B2/B        2 Atlas 2L 3 Caa1 (S&P B-)/Caa1/B- (S&P wins C16 → not S&P CCC)
 3 Borealis 7 Ba3 watch− → B1 (one notch)/BB-    4 Cobalt 6 B1 watch+ → B1 (no change)/B+
 5,6 Dynamo 2+4 B2/B2/B      7 Electra 5 S&P B → B2 / B3 sp / B     8 Fenwick 5 Moody's NR, Fitch B+ → B1 / B2 fitch
 9 Granite 5 B1   10 Garnet 4.5 B2   11 Helios 4.5 B3   12 Ionic 4 B2   13 Juniper 4 Caa2/Caa2/CCC
14 Nimbus 4 B3 watch− (S&P CCC+) → B3 / Caa1 / CCC+ (S&P present)      15 Larch 3 B3   16 Mistral 3 B3
17 Orion 2 B3   18 Pavo 3 B2   19 Quasar 2 B3   20 Rhea 3 Ca (defaulted)   21 Sable 2 S&P D → C (defaulted)/C sp/D
22 Tundra 2 B2   23 Umbra 3 S&P B- watch− (no Moody's: watch ignored) → B3 / Caa1 sp / B-
24 Vega 1 no rating (NR, blank) → Caa3 default / Caa3 unrated_default / CCC-
25 Wren 2 Aaa watch− → Aaa / Aa1 / AAA       26 Xenon 1 C watch− → C / C (C stays C) / C
27 Yarrow 1 S&P SD → C / C sp / SD   28 Zephyr 2 Caa3/Caa3/CCC-   29 Kestrel 2 Caa1/Caa1/CCC+
30 Wraith 3 Moody's WR, S&P CCC+ → Caa1 / Caa2 sp / CCC+   31 Aurora 4 B1  32 Basalt 4 B2  33 Cedar 4 Ba2
34 Delphi 4 B1   35 Ember 4 B2   36 Falcon 3 B1   37 Harbor 3 B3 (S&P CCC+)/B3/CCC+   38 Indigo 3 WR,NR,Fitch BB → Ba2 /
   Ba3 fitch / BB

Pool (C4): performing par = 122 (36 holdings; Rhea 3 and Sable 2 defaulted); CPA = 122 + 3 = 125.

CCC (C5, C2 Caa1 or lower): Atlas2L 3 + Juniper 4 + Vega 1 + Xenon 1 + Yarrow 1 + Zephyr 2 + Kestrel 2 + Wraith 3 = 17
  → 17/125 × 100 = 13.6 %. Limit 5 % × 125 = 6.25; excess 17 − 6.25 = 10.75, lowest mv % first (ties cusip):
  Xenon 20 % 1, Yarrow 40 % 1, Juniper 55 % 4, Zephyr 60 % 2 (8 so far), Kestrel 85 % 2 ("K0000001" before
  "W1000001" at the same 85 %), Wraith 85 % 0.75 of 3 (the rest), Vega 90 % 0, Atlas2L 95 % 0.
Discount obligations (C17): Juniper (purchase 78 < 80, price 55 < 90, b .78), Nimbus (79, 85, b .79), Kestrel (65, 85,
  b .65), Orion bond (70 < 75, 72 < 90, b .70) → 4 + 4 + 2 + 2 = 12. Not: Larch (70 but price 92 ≥ 90: cured), Mistral
  (80 = threshold), Pavo bond (78 ≥ 75), Sable (defaulted), the rest (no purchase price or ≥ 80).
Carrying values (C18, b(P − x) + min(b, m)·x): Xenon .2×1 = .2; Yarrow .4; Juniper (m .55 < b .78) .55×4 = 2.2;
  Zephyr .6×2 = 1.2; Kestrel (m .85 > b .65) .65×2 = 1.3; Wraith 2.25 + .85×.75 = 2.8875; Nimbus .79×4 = 3.16;
  Orion .7×2 = 1.4; everything else at par.
  ccc_excess_haircut = Σ x(1 − m) = .8 + .6 + 4×.45 + 2×.4 + 2×.15 + .75×.15 = .8+.6+1.8+.8+.3+.1125 = 4.4125
  discount_haircut = Σ P(1 − b) = 4×.22 + 4×.21 + 2×.35 + 2×.30 = .88 + .84 + .70 + .60 = 3.02
  overlap credit = Σ_disc x(1 − max(m, b)) = Juniper 4×(1 − .78) + Kestrel 2×(1 − .85) = .88 + .30 = 1.18
  performing carrying = 122 − 4.4125 − 3.02 + 1.18 = 115.7475 (= 122 − (.8+.6+1.8+.8+.7+.1125+.84+.6) ✓)
Defaulted (C6): Rhea 2L min(.4×3 = 1.2, mv 1.5) = 1.2 (single recovery rate, every seniority); Sable min(.8, .6) = .6
  → 1.8. ACPA = 115.7475 + 1.8 + 3 = 120.5475.
OC (C19): A 120.5475/75 = 160.73 %; A–B /87 = 138.560344827586…; A–C /95 = 126.892105263157…;
  A–D /101 (oc_class_d has no denominator_classes: C19's default) = 119.353960396039…; A–E /106 = 113.724056603773…
  = reinvestment_oc.
Interest (C20): floating performing par 115 (fixed: Orion 2 @ 8.0, Pavo 3 @ 6.5, Quasar 2 blank coupon → 0).
  Σ par × spread = 1750+1950+2100+2250+600+1400+2000+2125+1625+1575+1800+1500+2000+1800+1275+1350+750+1425+500+300
  +600+600+1100+1100+1575+1400+1600+1100+1400+1500+1200+1500+975 = 45,725 (M·bps).
  floating = (115 × 4 % + 4.5725) × .25 = 9.1725 × .25 = 2.293125; fixed = (16 + 19.5 + 0)/100 × .25 = .08875;
  ICA = 2.381875 − .15 = 2.231875.
  Class interest × .25: A 75×5.3 % = .99375; B 12×5.8 % = .174; C 8×6.5 % = .13; D 6×7.8 % = .117; E 5×10.5 % = .13125.
  IC A 2.231875/.99375 = 224.591194968553…; A–B /1.16775 = 191.126097195461…; A–C /1.29775 = 171.980350606819…;
  A–D /1.41475 = 157.757554338222…; A–E /1.546 = 144.364489003880…
WAS (C7) = 45,725/115 = 397.608695652173…; WAC = 35.5/7 = 5.071428571428…; Excess WAC credit = (5.0714… − 4.5) × 100
  × 7/115 = (35.5 − 31.5) × 100/115 = 400/115 = 3.478260869565…; was_test = 46,125/115 = 401.086956521739…
WARF (C3) Σ par × factor, C2: Aaa 2×1 = 2; Ba2 7×1350 = 9450; Ba3 7×1766 = 12,362; B1 27×2220 = 59,940;
  B2 37.5×2720 = 102,000; B3 24.5×3490 = 85,505; Caa1 8×4770 = 38,160; Caa2 4×6500 = 26,000; Caa3 3×8070 = 24,210;
  C 2×10000 = 20,000 → 377,629/122 = 3095.31967213114…
  C15: Aa1 2×10 = 20; Ba2 4×1350 = 5400; Ba3 3×1766 = 5298; B1 29×2220 = 64,380; B2 37.5×2720 = 102,000;
  B3 22.5×3490 = 78,525; Caa1 12×4770 = 57,240; Caa2 7×6500 = 45,500; Caa3 24,210; C 20,000 → 402,573/122 =
  3299.77868852459… (warf_test carries rating_basis moodys_derived).
WARR (C21) = (112×45 + 3×25 + 5×20 + 2×10)/122 = (5040 + 75 + 100 + 20)/122 = 5235/122 = 42.909836065573…
WAL (C8), days from 2026-01-01: 2028 730 (3), 2029 1096 (9), 2030 1461 (32.5), 2031 1826 (41), 2032 2191 (19.5),
  2033 2557 (6), 2034-01-01 2922 (4), 2035-06-01 3438 (4); Falcon has no maturity → par 119.
  Σ = 2190 + 9864 + 47,482.5 + 74,866 + 42,724.5 + 15,342 + 11,688 + 13,752 = 217,909 → /119/365.25 = 5.01346493422831…
Diversity (C9): 34 obligors, average 122/34; unit min(1, par×34/122): par ≥ 4 → 1, 3 → 51/61, 2 → 34/61, 1 → 17/61.
  HC 2 + 17/61 = 2.279 → 1.65; HT 2.279 → 1.65; SB 2 + 85/61 = 3.393 → 2.1333; CH 2.0 → 1.50; TC 1 + 102/61 = 2.672
  → 1.85; MB 1 + 34/61 = 1.557 → 1.30; CE 1 + 51/61 = 1.836 → 1.40; EO 1.557 → 1.30; RT 1 + 102/61 → 1.85;
  HG, UE, MM 1 → 1.00 each; CB 1.557 → 1.30; BF 85/61 = 1.393 → 1.20; AU, TR 51/61 = .836 → 0.80 each
  → 21.7333.
Obligors (C22, trimmed " Atlas Holdings "): Atlas 8, Borealis 7, Cobalt 6, Dynamo 6, Electra 5, Fenwick 5, Granite 5,
  Garnet 4.5, Helios 4.5, Aurora 4, … → single 8 → 6.4 %; 2nd 7 → 5.6 %; 6th Fenwick 5 (tied with Electra and
  Granite: value unchanged) → 4 %; top 5 = 8+7+6+6+5 = 32 → 25.6 %; top 10 = 32 + 5 + 5 + 4.5 + 4.5 + 4 = 55 → 44 %;
  largest non-senior-secured: Atlas 2L 3 = Harbor SU 3 (Orion 2, Quasar 2) → 2.4 %.
Industries: SB 6+4+3+2 = 15, HC 8+4.5+1 = 13.5, HT 7+4+1 = 12, TC 5+3+3 = 11, CH 10, RT 4+3+2+1 = 10 (Rhea defaulted),
  CE 8, MB 7, EO 6.5, CB 6, BF 5, HG/MM/UE 4, AU/TR 3 → 12 %, 10.8 %, 9.6 %, 8.8 %.
Countries: non-US FR 5 + GB 5 + ca→CA 5 + ES 3 + AU 1 + KY 2 + JP 4 + MX 4 + blank 3 + BM 3 + DE 2 + NL 2 = 39 → 31.2 %;
  canada 5 → 4 %; I GB 5 + NL 2 + DE 2 = 9 → 7.2 %; II FR 5 + ES 3 = 8 → 6.4 %; III AU 1 + JP 4 = 5 → 4 %;
  tax KY 2 + BM 3 = 5 → 4 %; largest single group country 5 (GB, FR) → 4 %.
Others (/125): senior secured loans = 122 − Atlas2L 3 − Orion 2 − Quasar 2 − Harbor 3 − Pavo (SS bond) 3 = 109, + cash 3
  = 112 → 89.6 %; second lien 3 (Rhea defaulted) → 2.4 %; unsecured/sub 2 + 2 + 3 = 7 → 5.6 %; bonds 2 + 3 = 5 → 4 %;
  cov-lite Atlas 5 + Borealis 7 + Juniper 4 + Delphi 4 = 20 → 16 %; DIP Tundra 2 → 1.6 %; current pay Yarrow 1 +
  Wraith 3 = 4 (Rhea defaulted) → 3.2 %; participation Fenwick 5 → 4 %; PIK Ionic 4 + Quasar 2 = 6 → 4.8 %;
  fixed 7 → 5.6 %; revolver/DDTL (2 + 3) + (4.5 + 1.5) = 11 → 8.8 %; discount 12 → 9.6 %; long-dated Aurora 4 (Basalt
  at 2034-01-01 is not) → 3.2 %; unrated Vega 1 → 0.8 %; derived from S&P/Fitch Electra 5 + Umbra 3 + Yarrow 1 +
  Wraith 3 + Fenwick 5 + Indigo 3 = 20 → 16 %; Moody's Caa (C15) 12 + 7 + 3 + 2 = 24 → 19.2 %; S&P CCC (C16) Juniper 4
  + Nimbus 4 + Vega 1 + Xenon 1 + Yarrow 1 + Zephyr 2 + Kestrel 2 + Wraith 3 + Harbor 3 = 21 → 16.8 %.
"""

from __future__ import annotations

from typing import Any

import pytest

from orchestration.compliance.deal import parse_deal
from orchestration.compliance.engine import compute
from tests.compliance import indenture_pool as pool
from tests.compliance.reference_indenture import TEST_IDS, evaluate

M = 1_000_000
REL = 1e-12

VALUES = {
    "oc_class_a": 160.73, "oc_class_b": 138.56034482758621, "oc_class_c": 126.89210526315789,
    "oc_class_d": 119.35396039603960, "oc_class_e": 113.72405660377358, "reinvestment_oc": 113.72405660377358,
    "ic_class_a": 224.59119496855346, "ic_class_b": 191.12609719546136, "ic_class_c": 171.98035060681949,
    "ic_class_d": 157.75755433822230, "ic_class_e": 144.36448900388098,
    "warf_test": 3299.7786885245902, "was_test": 401.08695652173913, "wac_test": 5.0714285714285714,
    "warr_test": 42.909836065573770, "wal_test": 5.0134649342283118, "diversity_test": 21.7333,
    "ccc_bucket": 13.6, "conc_moodys_caa": 19.2, "conc_sp_ccc": 16.8, "conc_single_obligor": 6.4,
    "conc_obligor_2nd": 5.6, "conc_obligor_6th": 4.0, "conc_top5_obligors": 25.6, "conc_top10_obligors": 44.0,
    "conc_largest_non_ss_obligor": 2.4, "conc_industry": 12.0, "conc_industry_2nd": 10.8, "conc_industry_3rd": 9.6,
    "conc_industry_4th": 8.8, "conc_country": 31.2, "conc_canada": 4.0, "conc_country_group_i": 7.2,
    "conc_country_group_ii": 6.4, "conc_country_group_iii": 4.0, "conc_tax_jurisdiction": 4.0,
    "conc_single_group_country": 4.0, "conc_senior_secured": 89.6, "conc_second_lien": 2.4,
    "conc_unsecured_subordinated": 5.6, "conc_bonds": 4.0, "conc_cov_lite": 16.0, "conc_dip": 1.6,
    "conc_current_pay": 3.2, "conc_participation": 4.0, "conc_pik": 4.8, "conc_fixed_rate": 5.6,
    "conc_revolver_ddtl": 8.8, "conc_discount": 9.6, "conc_long_dated": 3.2, "conc_unrated": 0.8,
    "conc_moodys_rating_derived": 16.0,
}  # fmt: skip

# Concentration numerators in $ millions (÷ CPA 125, worked in the docstring).
NUMERATORS = {
    "ccc_bucket": 17, "conc_moodys_caa": 24, "conc_sp_ccc": 21, "conc_single_obligor": 8, "conc_obligor_2nd": 7,
    "conc_obligor_6th": 5, "conc_top5_obligors": 32, "conc_top10_obligors": 55, "conc_largest_non_ss_obligor": 3,
    "conc_industry": 15, "conc_industry_2nd": 13.5, "conc_industry_3rd": 12, "conc_industry_4th": 11,
    "conc_country": 39, "conc_canada": 5, "conc_country_group_i": 9, "conc_country_group_ii": 8,
    "conc_country_group_iii": 5, "conc_tax_jurisdiction": 5, "conc_single_group_country": 5,
    "conc_senior_secured": 112, "conc_second_lien": 3, "conc_unsecured_subordinated": 7, "conc_bonds": 5,
    "conc_cov_lite": 20, "conc_dip": 2, "conc_current_pay": 4, "conc_participation": 5, "conc_pik": 6,
    "conc_fixed_rate": 7, "conc_revolver_ddtl": 11, "conc_discount": 12, "conc_long_dated": 4, "conc_unrated": 1,
    "conc_moodys_rating_derived": 20,
}  # fmt: skip

# C12 + C24 (trigger/target in indenture_pool._LEVELS). At a level within 1e-9: conc_moodys_caa 19.2 at its trigger
# (max) and conc_unsecured_subordinated 7/125×100 = 5.6 at its trigger 5.6 → warning, not failed; conc_obligor_2nd
# 5.6 at its target → passed; conc_senior_secured 89.6 at its target (min) → passed. WAS 397.6 alone would fail the
# 400 trigger: the Excess WAC credit makes it a warning; the C2 WARF 3095 would pass, the C15 3299.8 warns.
STATUSES = {
    "passed": ["oc_class_a", "oc_class_d", "oc_class_e", "ic_class_a", "ic_class_b", "ic_class_c", "ic_class_e",
               "warr_test", "conc_sp_ccc", "conc_single_obligor", "conc_obligor_2nd", "conc_obligor_6th",
               "conc_top10_obligors", "conc_largest_non_ss_obligor", "conc_industry", "conc_industry_3rd",
               "conc_industry_4th", "conc_canada", "conc_country_group_i", "conc_country_group_ii",
               "conc_country_group_iii", "conc_single_group_country", "conc_senior_secured", "conc_second_lien",
               "conc_bonds", "conc_dip", "conc_unrated"],
    "warning": ["oc_class_b", "oc_class_c", "ic_class_d", "warf_test", "was_test", "wac_test", "wal_test",
                "diversity_test", "conc_moodys_caa", "conc_top5_obligors", "conc_industry_2nd", "conc_tax_jurisdiction",
                "conc_unsecured_subordinated", "conc_cov_lite", "conc_current_pay", "conc_participation", "conc_pik",
                "conc_revolver_ddtl", "conc_discount", "conc_long_dated", "conc_moodys_rating_derived"],
    "failed": ["reinvestment_oc", "ccc_bucket", "conc_country", "conc_fixed_rate"],
}  # fmt: skip

# cusip: (C15 rating, source, C16 rating, discount?, par in CCC excess $M, carrying value $M)
HOLDINGS = {
    "A0000002": ("Caa1", "moodys", "B-", False, 0, 3), "B0000001": ("B1", "moodys", "BB-", False, 0, 7),
    "C0000001": ("B1", "moodys", "B+", False, 0, 6), "E0000001": ("B3", "sp", "B", False, 0, 5),
    "F0000001": ("B2", "fitch", "B+", False, 0, 5), "J0000001": ("Caa2", "moodys", "CCC", True, 4, 2.2),
    "N0000001": ("Caa1", "moodys", "CCC+", True, 0, 3.16), "L0000001": ("B3", "moodys", "B-", False, 0, 3),
    "M0000001": ("B3", "moodys", "B-", False, 0, 3), "O0000001": ("B3", "moodys", "B-", True, 0, 1.4),
    "P0000001": ("B2", "moodys", "B", False, 0, 3), "R0000001": ("Ca", "moodys", "CC", False, 0, 1.2),
    "S0000001": ("C", "sp", "D", False, 0, 0.6), "U0000001": ("Caa1", "sp", "B-", False, 0, 3),
    "V0000001": ("Caa3", "unrated_default", "CCC-", False, 0, 1), "W0000001": ("Aa1", "moodys", "AAA", False, 0, 2),
    "X0000001": ("C", "moodys", "C", False, 1, 0.2), "Y0000001": ("C", "sp", "SD", False, 1, 0.4),
    "Z0000001": ("Caa3", "moodys", "CCC-", False, 2, 1.2), "K0000001": ("Caa1", "moodys", "CCC+", True, 2, 1.3),
    "W1000001": ("Caa2", "sp", "CCC+", False, 0.75, 2.8875), "H1000001": ("B3", "moodys", "CCC+", False, 0, 3),
    "I1000001": ("Ba3", "fitch", "BB", False, 0, 3), "D0000001": ("B2", "moodys", "B", False, 0, 2),
}  # fmt: skip


class Side:
    """One implementation's answers on the pool, read the same way for the reference and the engine."""

    def __init__(self, kind: str) -> None:
        if kind == "reference":
            out = evaluate(pool.records(), pool.deal_dict())
            self.order = list(out["tests"])
            self.values, self.statuses, self.metrics = out["tests"], out["statuses"], out["metrics"]
            self.holdings = {h["cusip"]: h for h in out["holdings"]}
        else:
            run = compute(pool.holdings(), parse_deal(pool.deal_dict()))
            self.order = [t.id for t in run.tests]
            self.values = {t: run.test(t).current_value for t in self.order}
            self.statuses = {t: run.test(t).status for t in self.order}
            self.metrics = run.metrics
            self.holdings = {r["cusip"]: r for r in run.holdings.to_dict(orient="records")}


@pytest.fixture(scope="module", params=["reference", "engine"])
def side(request: pytest.FixtureRequest) -> Side:
    return Side(request.param)


def _close(got: Any, expected: float, what: str) -> None:
    assert got == pytest.approx(expected, rel=REL, abs=1e-9), (what, got, expected)


def test_every_test_value_in_the_deals_order(side: Side) -> None:
    assert side.order == list(TEST_IDS)
    for test_id, expected in VALUES.items():
        _close(side.values[test_id], expected, test_id)


def test_acpa_its_split_and_the_published_identity(side: Side) -> None:
    m = side.metrics
    expected = {
        "performing_par": 122 * M, "principal_cash": 3 * M, "collateral_principal_amount": 125 * M,
        "ccc_par": 17 * M, "ccc_excess": 10.75 * M, "ccc_excess_haircut": 4.4125 * M, "discount_par": 12 * M,
        "discount_haircut": 3.02 * M, "ccc_discount_overlap_credit": 1.18 * M,
        "performing_carrying_value": 115.7475 * M, "defaulted_carrying_value": 1.8 * M,
        "adjusted_collateral_principal_amount": 120.5475 * M,
    }  # fmt: skip
    for key, value in expected.items():
        _close(m[key], value, key)
    identity = (m["performing_par"] - m["ccc_excess_haircut"] - m["discount_haircut"]
                + m["ccc_discount_overlap_credit"] + m["defaulted_carrying_value"] + m["principal_cash"])  # fmt: skip
    _close(identity, m["adjusted_collateral_principal_amount"], "C18 identity")


def test_interest_by_class_and_coverage(side: Side) -> None:
    m = side.metrics
    for key, value in {"collateral_interest_floating": 2_293_125, "collateral_interest_fixed": 88_750,
                       "collateral_interest": 2_381_875, "interest_coverage_amount": 2_231_875}.items():  # fmt: skip
        _close(m[key], value, key)
    class_interest = {"a": 993_750, "b": 1_167_750, "c": 1_297_750, "d": 1_414_750, "e": 1_546_000}
    class_par = {"a": 75, "b": 87, "c": 95, "d": 101, "e": 106}
    for cls, interest in class_interest.items():
        ic = m["test_inputs"][f"ic_class_{cls}"]
        _close(ic["numerator"], 2_231_875, f"ic_class_{cls}")
        _close(ic["denominator"], interest, f"ic_class_{cls}")
        oc = m["test_inputs"][f"oc_class_{cls}"]
        _close(oc["numerator"], 120_547_500, f"oc_class_{cls}")
        _close(oc["denominator"], class_par[cls] * M, f"oc_class_{cls}")
    _close(m["test_inputs"]["reinvestment_oc"]["denominator"], 106 * M, "reinvestment_oc")


def test_collateral_quality_intermediates(side: Side) -> None:
    m = side.metrics
    expected = {
        "warf": 3095.3196721311475, "warf_effective_unnotched": 3095.3196721311475,
        "warf_moodys_derived": 3299.7786885245902, "was_bps": 397.60869565217391, "wac": 5.0714285714285714,
        "excess_wac_credit_bps": 3.4782608695652174, "fixed_par": 7 * M, "floating_par": 115 * M,
        "warr": 42.909836065573770, "wal_years": 5.0134649342283118, "diversity_score": 21.7333,
    }  # fmt: skip
    for key, value in expected.items():
        _close(m[key], value, key)


def test_concentration_numerators_and_rankings(side: Side) -> None:
    inputs = side.metrics["test_inputs"]
    for test_id, numerator in NUMERATORS.items():
        _close(inputs[test_id]["numerator"], numerator * M, test_id)
        _close(inputs[test_id]["denominator"], 125 * M, test_id)
    obligors = [(o["obligor"], o["par"] / M) for o in side.metrics["obligor_ranking"]]
    assert obligors[:10] == [("Atlas Holdings", 8), ("Borealis Inc", 7), ("Cobalt Corp", 6), ("Dynamo LLC", 6),
                             ("Electra SA", 5), ("Fenwick plc", 5), ("Granite Ltd", 5), ("Garnet Health", 4.5),
                             ("Helios Energy", 4.5), ("Aurora Power", 4)]  # fmt: skip
    assert len(obligors) == 34
    industries = [(i["industry"], i["par"] / M) for i in side.metrics["industry_ranking"]]
    assert industries[:7] == [
        ("Services: Business", 15), ("Healthcare & Pharmaceuticals", 13.5), ("High Tech Industries", 12),
        ("Telecommunications", 11), ("Chemicals, Plastics & Rubber", 10), ("Retail", 10), ("Capital Equipment", 8),
    ]  # fmt: skip
    assert len(industries) == 16


def test_statuses_including_values_exactly_at_a_level(side: Side) -> None:
    assert sum(len(ids) for ids in STATUSES.values()) == 52
    for status, ids in STATUSES.items():
        for test_id in ids:
            assert side.statuses[test_id] == status, test_id


def test_per_holding_derived_fields(side: Side) -> None:
    for cusip, (rating, source, sp, discount, excess, carrying) in HOLDINGS.items():
        row = side.holdings[cusip]
        assert (row["moodys_derived_rating"], row["moodys_derived_source"]) == (rating, source), cusip
        assert row["sp_basis_rating"] == sp, cusip
        assert bool(row["is_discount_obligation"]) is discount, cusip
        _close(row["par_in_ccc_excess"], excess * M, cusip)
        _close(row["carrying_value"], carrying * M, cusip)
    for cusip, row in side.holdings.items():  # every holding not listed: performing at par, not in the excess
        if cusip not in HOLDINGS:
            assert not bool(row["is_discount_obligation"]), cusip
            assert row["par_in_ccc_excess"] == 0, cusip
