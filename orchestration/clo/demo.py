"""Deterministic CLO demo workbooks: one deal, two successive month-ends, Bloomberg-like export layout.

Each workbook has a `Summary` sheet (an "As of" cell), a `Holdings` sheet (header on row 4 under a title,
a formula column Market Value = Face Value × Mid Price / 100 with its cached value, a trailing total row)
and a `Structure` sheet holding the deal (notes, accounts, rates, tests; `demo_deal.structure_rows`) for the
compliance issue. Planted problems: a duplicate CUSIP, a bad ISIN check digit, an outlier spread, a holding
with no rating. The portfolio has CCC names (more in the second month), one defaulted loan, foreign obligors
and obligors with several facilities. The same seed always gives the same bytes.

The holding terms of issue 21 (`TERM_HEADERS`, a US BSL CLO's mix): ~95% senior secured, second lien from the
first draw (~5%), four fixed-rate bonds (blank spread, coupon 6.5-8.5%), a senior unsecured loan, a senior
unsecured and a subordinated bond, two revolvers and a delayed-draw loan with unfunded commitments, ~60%
cov-lite loans, one DIP loan, one current-pay and one PIK obligation, one participation, four purchases below 85
(three still priced below 90: discount obligations; one cured above 90), four on Moody's watch negative and one
positive. They are drawn after the first month's holdings from their own generator, so every earlier field keeps
the value it had before the terms existed (except the bonds' spread and coupon).
"""

import datetime as dt
import io
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter

from orchestration.clo import demo_deal
from orchestration.clo.check_digits import cusip_check_digit, cusip_to_isin
from orchestration.core.landing import copy_into_landing

DEMO_TENANT = "acme"
REPORT_DATES = (dt.date(2025, 12, 31), dt.date(2026, 1, 31))
DEAL_NAME = "CalcBridge CLO 2024-1"
HEADERS = (
    "CUSIP_ID", "ISIN", "Issuer Name", "Face Value", "Mid Price", "Market Value", "Spread (bps)", "Coupon",
    "Moody's Rating", "S&P Rating", "Fitch Rating", "Maturity", "Industry", "Country", "Currency",
    "Asset Type", "Defaulted",
)  # fmt: skip
"""The Bloomberg-like columns every demo workbook starts with (other tests write rows of exactly these)."""
TERM_HEADERS = (
    "Seniority", "Purchase Price", "Unfunded", "Cov-Lite", "DIP", "Current Pay", "Participation", "PIK",
    "Moody's Watch",
)  # fmt: skip
"""The holding-term columns after HEADERS (issue 21, C14), mapped by the bloomberg_clo profile."""
INDUSTRIES = (
    "Healthcare & Pharmaceuticals", "High Tech Industries", "Services: Business",
    "Banking, Finance, Insurance & Real Estate", "Chemicals, Plastics & Rubber",
    "Media: Broadcasting & Subscription", "Hotel, Gaming & Leisure", "Construction & Building",
    "Telecommunications", "Retail", "Aerospace & Defense", "Containers, Packaging & Glass",
    "Beverage, Food & Tobacco", "Capital Equipment", "Automotive", "Services: Consumer",
)  # fmt: skip
FOREIGN = ("GB", "NL", "LU", "CA", "DE", "FR", "IE")
RATINGS = (  # (Moody's, S&P, Fitch, weight)
    ("Ba2", "BB", "BB", 4), ("Ba3", "BB-", "BB-", 8), ("B1", "B+", "B+", 18), ("B2", "B", "B", 24),
    ("B3", "B-", "B-", 20), ("Caa1", "CCC+", "CCC+", 3), ("Caa2", "CCC", "CCC", 1),
)  # fmt: skip
NAMES = (
    "Acadia", "Apex", "Arden", "Atlas", "Beacon", "Birch", "Cobalt", "Crest", "Delta", "Ember", "Falcon",
    "Granite", "Harbor", "Helix", "Ion", "Juniper", "Keystone", "Lumen", "Meridian", "Nova", "Onyx", "Orion",
    "Pioneer", "Quarry", "Redwood", "Sable", "Summit", "Titan", "Umber", "Vertex", "Willow", "Zenith",
)  # fmt: skip
SUFFIXES = ("Holdings", "Group", "Corp", "LLC", "Inc", "Partners", "Technologies", "Brands")


@dataclass
class Holding:
    """One loan of the demo portfolio."""

    cusip: str
    isin: str
    issuer: str
    par: float
    price: float
    spread: float | None
    coupon: float
    moodys: str | None
    sp: str | None
    fitch: str | None
    maturity: dt.date
    industry: str
    country: str
    asset_type: str
    defaulted: bool
    seniority: str = "Senior Secured"
    purchase_price: float | None = None
    unfunded: float | None = None
    cov_lite: bool = False
    dip: bool = False
    current_pay: bool = False
    participation: bool = False
    pik: bool = False
    moodys_watch: str | None = None


def _cusip(rng: random.Random) -> str:
    base = f"{rng.randrange(10**5):05d}{rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}{rng.randrange(10, 99)}"
    return f"{base}{cusip_check_digit(base)}"


def generate_holdings(seed: int = 7, n_holdings: int = 300) -> list[Holding]:
    """The first month's portfolio (deterministic); about 20% of obligors have two facilities."""
    rng = random.Random(seed)  # noqa: S311 - deterministic demo data, not security
    holdings: list[Holding] = []
    ranks: list[str] = []
    weights = [w for *_, w in RATINGS]
    issuers: list[tuple[str, str, str]] = []
    while len(holdings) < n_holdings:
        if issuers and rng.random() < 0.2:
            issuer, industry, country = rng.choice(issuers)
        else:
            issuer = f"{rng.choice(NAMES)} {rng.choice(NAMES)} {rng.choice(SUFFIXES)}"
            industry = rng.choice(INDUSTRIES)
            country = rng.choice(FOREIGN) if rng.random() < 0.15 else "US"
            issuers.append((issuer, industry, country))
        moodys, sp, fitch, _ = rng.choices(RATINGS, weights)[0]
        cusip = _cusip(rng)
        spread = float(rng.choice(range(275, 526, 25)))
        holdings.append(
            Holding(
                cusip=cusip,
                isin=cusip_to_isin(cusip),
                issuer=issuer,
                par=float(rng.randrange(4, 21) * 250_000),
                price=round(rng.uniform(94.0, 100.5) if not moodys.startswith("Caa") else rng.uniform(70, 88), 3),
                spread=spread,
                coupon=round(4.3 + spread / 100, 4),
                moodys=moodys,
                sp=sp,
                fitch=fitch if rng.random() < 0.4 else None,
                maturity=dt.date(2027 + rng.randrange(0, 6), rng.randrange(1, 13), 15),
                industry=industry,
                country=country,
                asset_type="Term Loan",
                defaulted=False,
            )
        )
        ranks.append("Senior Secured" if rng.random() < 0.93 else "Second Lien")
    _draw_terms(holdings, ranks, seed)
    if n_holdings < 40:
        return holdings
    # Planted facts: one defaulted loan, one holding rated only by S&P, one only by Fitch.
    holdings[10].defaulted, holdings[10].price = True, 45.0
    holdings[10].moodys, holdings[10].sp, holdings[10].fitch = "Ca", "D", None
    holdings[20].moodys, holdings[20].fitch = None, None
    holdings[30].moodys, holdings[30].sp, holdings[30].fitch = None, None, "B"
    _plant_terms(holdings)
    return holdings


def _draw_terms(holdings: list[Holding], ranks: list[str], seed: int) -> None:
    """Every holding's ordinary terms: its drawn rank, a purchase price near par, cov-lite for ~60% of loans."""
    rng = random.Random(seed * 1000 + 21)  # noqa: S311 - deterministic demo data, not security
    for h, rank in zip(holdings, ranks, strict=True):
        h.seniority = rank
        h.purchase_price = round(rng.uniform(96.5, 100.25) * 8) / 8
        h.cov_lite = rng.random() < 0.6


BONDS = {15: ("Senior Secured", 7.25), 25: ("Senior Secured", 6.5), 33: ("Senior Unsecured", 8.5),
         38: ("Subordinated", 7.875)}  # fmt: skip
"""Fixed-rate bonds: row → (seniority, coupon %); their spread is blank."""
UNFUNDED = {16: ("Revolver", 1_500_000.0), 27: ("Delayed Draw Term Loan", 750_000.0), 34: ("Revolver", 2_000_000.0)}
"""Revolvers and delayed-draw loans: row → (asset type, undrawn commitment); par is the funded part."""
PURCHASED_CHEAP = {13: 82.5, 22: 80.0, 36: 84.0, 0: 83.5}
"""Purchases below 85: rows 13, 22, 36 trade below 90 (discount obligations), row 0 at 94.6 (cured)."""
WATCH = {1: "Negative", 11: "Negative", 17: "Negative", 34: "Negative", 24: "Positive"}
"""Moody's watch: four B3/Ba3 names on review for downgrade, one Ba2 for upgrade."""


def _plant_terms(holdings: list[Holding]) -> None:
    """The planted terms, on rows below 40 that carry no other planted fact (3, 5, 7, 10, 12, 20, 30)."""
    for row, (seniority, coupon) in BONDS.items():
        h = holdings[row]
        h.asset_type, h.seniority, h.spread, h.coupon, h.cov_lite = "Bond", seniority, None, coupon, False
    for row, (asset_type, unfunded) in UNFUNDED.items():
        holdings[row].asset_type, holdings[row].unfunded, holdings[row].cov_lite = asset_type, unfunded, False
    for row, price in PURCHASED_CHEAP.items():
        holdings[row].purchase_price = price
    for row, watch in WATCH.items():
        holdings[row].moodys_watch = watch
    holdings[29].seniority = "Senior Unsecured"
    holdings[18].dip, holdings[18].cov_lite = True, False  # Summit Delta: its term loan (row 30) trades at 74
    holdings[9].current_pay = True  # a Caa1 second-lien loan at 72, paying current
    holdings[26].pik = True
    holdings[21].participation = True


def next_month(holdings: list[Holding], seed: int = 8) -> list[Holding]:
    """The second month: prices drift, some names are downgraded to CCC (CCC share rises), a few new loans."""
    rng = random.Random(seed)  # noqa: S311 - deterministic demo data, not security
    out: list[Holding] = []
    for h in holdings:
        moved = Holding(**{**h.__dict__, "price": round(min(101.0, max(40.0, h.price + rng.uniform(-0.8, 0.6))), 3)})
        if not h.defaulted and h.moodys == "B3" and rng.random() < 0.08:
            moved.moodys, moved.sp, moved.fitch = "Caa1", "CCC+", "CCC+" if h.fitch else None
            moved.price = round(rng.uniform(72, 86), 3)
        out.append(moved)
    extra = generate_holdings(seed=seed + 100, n_holdings=12)
    return out + extra


def structure_rows(as_of: dt.date) -> list[list[Any]]:
    """The `Structure` sheet: deal parameters, note classes and the indenture tests (`demo_deal`)."""
    return demo_deal.structure_rows(as_of)


def workbook_bytes(holdings: list[Holding], as_of: dt.date, *, problems: bool = True) -> bytes:
    """The demo workbook as .xlsx bytes (fixed document properties, so the bytes are reproducible)."""
    rows = [list(h.__dict__.values()) for h in holdings]
    if problems:
        rows = [list(r) for r in rows]
        rows[5][1] = rows[5][1][:-1] + str((int(rows[5][1][-1]) + 1) % 10)  # bad ISIN check digit
        rows[7][5] = 2_400.0  # outlier spread (index 5 is spread in Holding order)
        rows[12][7] = rows[12][8] = rows[12][9] = None  # no rating from any agency
        rows.append(list(rows[3]))  # duplicate CUSIP
        rows[-1][2] = rows[3][2]
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"title": DEAL_NAME, "author": "CalcBridge demo", "created": dt.datetime(2026, 2, 1)})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    money = book.add_format({"num_format": "#,##0.00"})
    bold = book.add_format({"bold": True})

    summary = book.add_worksheet("Summary")
    summary.write(0, 0, "Portfolio", bold)
    summary.write(0, 1, DEAL_NAME)
    summary.write(1, 0, "As of", bold)
    summary.write_datetime(1, 1, dt.datetime.combine(as_of, dt.time()), date_format)
    summary.write(2, 0, "Source")
    summary.write(2, 1, "Bloomberg")

    sheet = book.add_worksheet("Holdings")
    sheet.write(0, 0, f"{DEAL_NAME} - Holdings Export", bold)
    sheet.write(1, 0, "As of")
    sheet.write_datetime(1, 1, dt.datetime.combine(as_of, dt.time()), date_format)
    header_row = 3
    for c, name in enumerate((*HEADERS, *TERM_HEADERS)):
        sheet.write(header_row, c, name, bold)
    for i, row in enumerate(rows):
        cusip, isin, issuer, par, price, spread, coupon, moodys, sp, fitch, maturity = row[:11]
        industry, country, asset_type, defaulted = row[11:15]
        r = header_row + 1 + i
        excel_row = r + 1
        sheet.write_string(r, 0, cusip)
        sheet.write_string(r, 1, isin)
        sheet.write_string(r, 2, issuer)
        sheet.write_number(r, 3, par, money)
        sheet.write_number(r, 4, price)
        sheet.write_formula(r, 5, f"=D{excel_row}*E{excel_row}/100", money, round(par * price / 100, 2))
        if spread is not None:
            sheet.write_number(r, 6, spread)
        sheet.write_number(r, 7, coupon)
        for c, rating in ((8, moodys), (9, sp), (10, fitch)):
            sheet.write_string(r, c, rating or "NR")
        sheet.write_datetime(r, 11, dt.datetime.combine(maturity, dt.time()), date_format)
        sheet.write_string(r, 12, industry)
        sheet.write_string(r, 13, country)
        sheet.write_string(r, 14, "USD")
        sheet.write_string(r, 15, asset_type)
        sheet.write_string(r, 16, "Y" if defaulted else "N")
        _write_terms(sheet, r, row[15:], money)
    total_row = header_row + 1 + len(rows)
    sheet.write(total_row, 2, "Total", bold)
    first, last = header_row + 2, total_row
    total_par = sum(float(r[3]) for r in rows)
    total_mv = sum(round(float(r[3]) * float(r[4]) / 100, 2) for r in rows)
    sheet.write_formula(total_row, 3, f"=SUM(D{first}:D{last})", money, total_par)
    sheet.write_formula(total_row, 5, f"=SUM(F{first}:F{last})", money, round(total_mv, 2))

    structure = book.add_worksheet("Structure")
    for r, values in enumerate(structure_rows(as_of)):
        for c, value in enumerate(values):
            if value is not None:
                structure.write(r, c, value)
    book.close()
    return buffer.getvalue()


def _write_terms(sheet: Any, r: int, terms: list[Any], money: Any) -> None:
    """The TERM_HEADERS cells of one row: seniority, purchase price, unfunded (blank when none), Y/N flags, watch."""
    seniority, purchase_price, unfunded, *flags, watch = terms
    sheet.write_string(r, 17, seniority)
    sheet.write_number(r, 18, purchase_price)
    if unfunded:
        sheet.write_number(r, 19, unfunded, money)
    for c, flag in enumerate(flags, start=20):
        sheet.write_string(r, c, "Y" if flag else "N")
    if watch:
        sheet.write_string(r, 25, watch)


def sidecar(as_of: dt.date) -> dict[str, Any]:
    """The upload fields of a demo workbook (seed 000) plus the deal reference for the compliance issue."""
    return {
        "name": f"CLO_Portfolio_{as_of:%Y_%m}.xlsx",
        "mapping_profile_id": "bloomberg_clo",
        "tags": ["monthly", "CLO-1", "demo"],
        "metadata": {"report_date": as_of.isoformat(), "source": "Bloomberg"},
        "compliance_profile": "full_indenture",
        "deal": {"name": DEAL_NAME},
    }


def write_demo(landing_root: Path, scratch: Path) -> list[Path]:
    """Land the two month-end workbooks of the demo tenant (with sidecars)."""
    first = generate_holdings()
    months = (first, next_month(first))
    landed: list[Path] = []
    for as_of, holdings in zip(REPORT_DATES, months, strict=True):
        path = scratch / f"clo_holdings_{as_of:%Y_%m}.xlsx"
        path.write_bytes(workbook_bytes(holdings, as_of))
        (scratch / f"{path.name}.meta.json").write_text(json.dumps(sidecar(as_of), indent=2), encoding="utf-8")
        landed.append(copy_into_landing(path, landing_root, DEMO_TENANT, "clo"))
    return landed
