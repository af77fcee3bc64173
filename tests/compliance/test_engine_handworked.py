"""Every figure of the 20-holding portfolio (tests/compliance/portfolio.py), worked by hand.

Amounts below are in $ millions unless written out. As-of 2026-01-01; principal cash 2; SOFR 5.00 %; 90 days;
senior fees 100,000; recovery 40 %; CCC limit 7.5 %; notes A 60 (S+150, seniority 1), B 10 (S+250, 2),
C 8 (S+400, 3), Subordinated 12 (excluded from per-class OC).

Holdings (par / mv% / spread / effective Moody's rating and its source):
 1 Alpha Corp       5 / 99  / 350 / B2 (Moody's)            2 " Alpha Corp " 3 / 99 / 325 / B2  (same obligor, trimmed)
 3 Beta Inc         6 / 100 / 400 / B1                      4 Gamma LLC      4 / 99 / 375 / B1  (Moody's NR → S&P B+)
 5 Delta Co         5 / 100 / 300 / Ba3 (Fitch BB-; S&P n/a) 6 Epsilon Ltd   4 / 85 / 450 / Caa1 (CCC)
 7 Zeta Holdings    3 / 80  / 500 / Caa1 (Moody's WR → S&P CCC+, CCC)
 8 Eta Group        2 / 60  / 550 / Caa2 (CCC)              9 Theta Partners 2 / 70 / 600 / Caa2 (Fitch CCC, CCC)
10 Iota SA (FR)     1 / 50  / fixed / Caa3 (no rating at all → Caa3, CCC)
11 Kappa Inc        2 / 25  defaulted (Ca)                  12 Nu Corp        1 / 60 defaulted (S&P D)
13 Lambda plc (GB)  5 / 100 / 375 / B3 (Moody's B3 wins over S&P CCC → not CCC)
14 Lambda plc (gb)  2 / 99  / fixed / B3 (industry blank → the obligor's: Telecommunications; country → GB)
15 Mu Inc (CA)      6 / 101 / 325 / Ba2                     16 Omicron Corp   8 / 100 / 350 / B2
17 Pi Industries    7 / 100 / 400 / B1                      18 Rho Media      6 / 99  / 425 / B2
19 Sigma Foods      9 / 100 / 300 / Ba3                     20 Tau Energy     5 / 98  / 450 / B3

Pool (conv. 5): performing par = 5+3+6+4+5+4+3+2+2+1+5+2+6+8+7+6+9+5 = 83; defaulted = 2+1 = 3; total = 86;
CPA = 83 + 2 = 85.

CCC (conv. 6): #6 4 + #7 3 + #8 2 + #9 2 + #10 1 = 12 → 12/85 × 100 = 14.117647… %.
Excess (conv. 7): limit 7.5 % × 85 = 6.375; excess = 12 − 6.375 = 5.625, taken lowest mv% first:
  Iota 50 % 1.000 (mv 0.500), Eta 60 % 2.000 (mv 1.200), Theta 70 % 2.000 (mv 1.400),
  Zeta 80 % 0.625 of its 3 (mv 0.500), Epsilon 85 % none. Excess mv = 3.600; haircut = 5.625 − 3.600 = 2.025.
Defaulted carrying: Kappa min(0.4×2 = 0.8, 0.5) = 0.5; Nu min(0.4×1 = 0.4, 0.6) = 0.4 → 0.9.
Adjusted CPA = 83 − 2.025 + 0.9 + 2 = 83.875.
OC: A 83.875/60 = 139.791666…; A+B 83.875/70 = 119.821428…; A+B+C 83.875/78 = 107.532051…

IC (conv. 11): floating performing par = 83 − 1 (Iota) − 2 (Lambda #14) = 80;
  Σ par × spread = 1750+975+2400+1500+1500+1800+1500+1100+1200+1875+1950+2800+2800+2550+2700+2250 = 30,650 (M·bps)
  collateral interest = (80 × 5 % + 30,650/10,000) × 90/360 = (4.000 + 3.065) × 0.25 = 1.76625
  coverage = 1,766,250 − 100,000 = 1,666,250
  notes A+B: (60 × 6.5 % + 10 × 7.5 %) × 0.25 = (3.9 + 0.75) × 0.25 = 1.1625 → IC = 1.66625/1.1625 = 143.3333… %
WAS (conv. 8) = 30,650 / 80 = 383.125 bps.
WARF (conv. 4) Σ par × factor = 5×2720 + 3×2720 + 6×2220 + 4×2220 + 5×1766 + 4×4770 + 3×4770 + 2×6500 + 2×6500
  + 1×8070 + 5×3490 + 2×3490 + 6×1350 + 8×2720 + 7×2220 + 6×2720 + 9×1766 + 5×3490 = 239,744 → /83 = 2888.4819…;
  rounded up 2889.
WAL (conv. 9) days from 2026-01-01: 2027-01-01 365, 2028-01-01 730, 2028-07-01 912, 2029-01-01 1096,
  2029-07-01 1277, 2030-01-01 1461, 2030-07-01 1642, 2031-01-01 1826, 2031-07-01 2007, 2032-01-01 2191,
  2032-07-01 2373, 2033-01-01 2557. Σ par × days = 5×1826 + 3×1461 + 6×2191 + 4×1096 + 5×2007 + 4×1277 + 3×1642
  + 2×730 + 2×912 + 1×365 + 5×1826 + 2×2557 + 6×1461 + 8×1826 + 7×2373 + 6×1642 + 9×1826 + 5×1096 = 140,756
  → WAL = 140,756 / 83 / 365.25 = 4.6429991… years.
Diversity (conv. 10): 16 performing obligors, average par 83/16 = 5.1875; units = min(1, par/5.1875):
  Alpha 8 → 1, Beta 6 → 1, Gamma 4 → 64/83, Delta 5 → 80/83, Epsilon 4 → 64/83, Zeta 3 → 48/83, Eta 2 → 32/83,
  Theta 2 → 32/83, Iota 1 → 16/83, Lambda 7, Mu 6, Omicron 8, Pi 7, Rho 6, Sigma 9 → 1 each, Tau 5 → 80/83.
  Industries: A&D 1.0 → 1.00; Healthcare 1 + 64/83 = 1.7711 → key 1.75 → 1.40; High Tech 0.9639 → key 0.95 → 1.00;
  Retail (64+48+16)/83 = 1.5422 → key 1.45 → 1.25 (Kappa is defaulted); Services: Business 64/83 = 0.7711 → key
  0.75 → 0.80; Telecom, Chemicals, Containers, Capital Equipment, Media, Beverage 1.0 → 1.00 each; Energy 80/83 →
  1.00. Diversity = 1 + 1.40 + 1 + 1.25 + 0.80 + 7 × 1 = 12.45.
Concentrations (conv. 12, / CPA 85): largest obligor Sigma 9 → 10.588235… %; par by industry: A&D 8, Healthcare 10,
  High Tech 5, Retail 8, Services 4, Telecom 7, Chemicals 6, Containers 8, Capital Eq. 7, Media 6, Beverage 9,
  Energy 5 → largest Healthcare 10 → 11.764705… %; non-domestic FR 1 + GB 7 + CA 6 = 14 → 16.470588… %, largest
  foreign GB 7 → 8.235294… %.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from orchestration.compliance.engine import compute
from orchestration.compliance.status import round_half_up
from tests.compliance import portfolio

M = 1_000_000


def r4(value: Fraction | float) -> float:
    """The expected published figure: 4 decimals, half-up."""
    return round_half_up(float(value))  # type: ignore[return-value]


@pytest.fixture(scope="module")
def run():
    return compute(portfolio.holdings(), portfolio.deal())


def test_pool_amounts(run) -> None:
    m = run.published_metrics()
    assert m["total_par"] == 86 * M
    assert m["performing_par"] == 83 * M
    assert m["defaulted_par"] == 3 * M
    assert m["principal_cash"] == 2 * M
    assert m["collateral_principal_amount"] == 85 * M
    assert m["obligor_count"] == 16
    assert m["holding_count"] == 20
    assert m["defaulted_count"] == 2


def test_ccc_bucket_excess_and_haircut(run) -> None:
    m = run.published_metrics()
    assert m["ccc_par"] == 12 * M
    assert m["ccc_pct"] == r4(Fraction(12, 85) * 100) == 14.1176
    assert m["ccc_limit_amount"] == 6_375_000
    assert m["ccc_excess"] == 5_625_000
    assert m["ccc_excess_market_value"] == 3_600_000
    assert m["ccc_haircut"] == 2_025_000
    allocation = [(r["cusip"], r["excess_par"], r["excess_market_value"]) for r in m["ccc_excess_allocation"]]
    assert allocation == [
        ("I00000001", 1_000_000, 500_000),
        ("G00000001", 2_000_000, 1_200_000),
        ("H00000001", 2_000_000, 1_400_000),
        ("F00000001", 625_000, 500_000),
        ("E00000001", 0, 0),
    ]


def test_defaulted_and_oc(run) -> None:
    m = run.published_metrics()
    assert m["defaulted_carrying_value"] == 900_000
    assert m["adjusted_collateral_principal_amount"] == 83_875_000
    assert m["oc_by_class"] == {
        "A": r4(Fraction(83_875, 60_000) * 100),
        "B": r4(Fraction(83_875, 70_000) * 100),
        "C": r4(Fraction(83_875, 78_000) * 100),
    }
    assert m["oc_by_class"] == {"A": 139.7917, "B": 119.8214, "C": 107.5321}
    assert "Subordinated" not in m["oc_by_class"]


def test_interest_coverage(run) -> None:
    m = run.published_metrics()
    assert m["floating_par"] == 80 * M
    assert m["collateral_interest"] == 1_766_250
    assert m["interest_coverage_amount"] == 1_666_250
    assert m["ic_by_test"]["ic_senior"]["note_interest"] == 1_162_500
    assert run.test("ic_senior").published()["current_value"] == r4(Fraction(1_666_250, 1_162_500) * 100) == 143.3333


def test_quality_figures(run) -> None:
    m = run.published_metrics()
    assert m["warf"] == r4(Fraction(239_744, 83)) == 2888.4819
    assert m["warf_rounded_up"] == 2889
    assert m["was_bps"] == 383.125
    assert m["wal_years"] == r4(Fraction(140_756, 83) / Fraction(36525, 100)) == 4.643
    assert m["diversity_score"] == 12.45
    industries = {r["industry"]: r["diversity_score"] for r in m["diversity_industries"]}
    assert industries["Healthcare & Pharmaceuticals"] == 1.4
    assert industries["Retail"] == 1.25
    assert industries["Services: Business"] == 0.8
    assert industries["Telecommunications"] == 1.0
    assert "Automotive" not in industries  # Nu Corp is defaulted
    units = {r["obligor"]: r["equivalent_unit"] for r in m["diversity_obligors"]}
    assert units["Alpha Corp"] == 1.0
    assert units["Zeta Holdings"] == r4(Fraction(48, 83))
    assert m["average_obligor_par"] == 5_187_500


def test_concentrations(run) -> None:
    m = run.published_metrics()
    assert (m["largest_obligor"], m["largest_obligor_par"]) == ("Sigma Foods", 9 * M)
    assert m["largest_obligor_pct"] == r4(Fraction(9, 85) * 100) == 10.5882
    assert (m["largest_industry"], m["largest_industry_par"]) == ("Healthcare & Pharmaceuticals", 10 * M)
    assert m["largest_industry_pct"] == r4(Fraction(10, 85) * 100) == 11.7647
    assert m["non_domestic_par"] == 14 * M
    assert m["non_domestic_pct"] == r4(Fraction(14, 85) * 100) == 16.4706
    assert (m["largest_foreign_country"], m["largest_foreign_country_pct"]) == ("GB", 8.2353)
    assert m["par_by_country"] == {"US": 69 * M, "FR": 1 * M, "GB": 7 * M, "CA": 6 * M}
    assert m["par_by_industry"]["Telecommunications"] == 7 * M  # #14's blank industry is the obligor's
    assert m["par_by_industry"]["Retail"] == 8 * M


def test_statuses_and_cushions(run) -> None:
    got = {t.id: t.published() for t in run.tests}
    expected = {
        # id: (status, value, cushion, cushion_pct) — conv. 13
        "oc_senior": ("warning", Fraction(83_875, 70_000) * 100, Fraction(83_875, 70_000) * 100 - 115, None),
        "ic_senior": ("passed", Fraction(430, 3), Fraction(430, 3) - 120, None),
        "warf_test": ("warning", Fraction(239_744, 83), 3000 - Fraction(239_744, 83), None),
        "was_test": ("passed", Fraction(383_125, 1000), Fraction(33_125, 1000), None),
        "wal_test": ("passed", Fraction(140_756, 83) / Fraction(36525, 100), None, None),
        "diversity_test": ("passed", Fraction(1245, 100), Fraction(245, 100), Fraction(245, 10)),
        "ccc_bucket": ("failed", Fraction(1200, 85), Fraction(15, 2) - Fraction(1200, 85), None),
        "conc_single_obligor": ("warning", Fraction(900, 85), 12 - Fraction(900, 85), None),
        "conc_industry": ("passed", Fraction(1000, 85), 15 - Fraction(1000, 85), None),
        "conc_country": ("warning", Fraction(1400, 85), 20 - Fraction(1400, 85), None),
        "oc_class_c": ("warning", Fraction(83_875, 78_000) * 100, None, None),
    }
    for test_id, (status, value, cushion, _) in expected.items():
        t = got[test_id]
        assert t["status"] == status, test_id
        assert t["current_value"] == r4(value), test_id
        if cushion is not None:
            assert t["cushion"] == r4(cushion), test_id
    assert got["ccc_bucket"]["cushion_pct"] == r4((Fraction(15, 2) - Fraction(1200, 85)) / Fraction(15, 2) * 100)
    assert got["ccc_bucket"]["cushion_pct"] == -88.2353
    assert got["oc_senior"]["cushion_pct"] == r4((Fraction(83_875, 700) - 115) / 115 * 100) == 4.1925
    assert run.summary() == {"total_tests": 11, "passed": 5, "failed": 1, "warning": 5}


def test_holding_fields(run) -> None:
    rows = run.holdings.set_index("cusip")
    sources = {c: (rows.loc[c, "effective_rating"], rows.loc[c, "rating_source"]) for c in rows.index}
    assert sources["C00000001"] == ("B1", "sp")  # Moody's NR → S&P B+
    assert sources["D00000001"] == ("Ba3", "fitch")  # S&P n/a → Fitch BB-
    assert sources["I00000001"] == ("Caa3", "default")
    assert sources["F00000001"] == ("Caa1", "sp")  # Moody's WR → S&P CCC+
    assert sources["H00000001"] == ("Caa2", "fitch")
    assert rows.loc["M00000001", "effective_rating"] == "B3"  # Moody's wins over S&P CCC
    assert not rows.loc["M00000001", "in_ccc_bucket"]
    assert rows.loc["F00000001", "in_ccc_bucket"]
    assert rows.loc["F00000001", "rating_factor"] == 4770
    assert not rows.loc["K00000001", "in_ccc_bucket"]  # defaulted holdings are not in the (performing) bucket
    assert rows.loc["L00000001", "effective_rating"] == "C"  # S&P D → C
    assert rows.loc["A00000001", "years_to_maturity"] == pytest.approx(1826 / 365.25, abs=1e-12)
