"""The holding terms of issue 21 (C14): normalisers, mapping under common labels, landing, marts, demo, migration.

Every expected value is written out by hand from the cells the test writes; nothing is read back from the code.
"""

from __future__ import annotations

import uuid

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command

from orchestration.clo import demo, tables
from orchestration.clo.mapping import extract_holdings, terms
from orchestration.clo.reader import read_workbook
from orchestration.core import migrate
from tests.clo.files import holdings_rows, openpyxl_book

TERM_COLUMNS = (
    "seniority", "asset_type", "purchase_price", "unfunded_amount", "is_cov_lite", "is_dip", "is_current_pay",
    "is_participation", "is_pik", "moodys_watch",
)  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Senior Secured", "senior_secured"),
        ("senior_secured", "senior_secured"),
        ("  SENIOR SECURED ", "senior_secured"),
        ("1st Lien", "senior_secured"),
        ("First Lien", "senior_secured"),
        ("1st-Lien", "senior_secured"),
        ("Secured", "senior_secured"),
        ("Second Lien", "second_lien"),
        ("2nd Lien", "second_lien"),
        ("Second Lien Term Loan", "second_lien"),
        ("Senior Unsecured", "senior_unsecured"),
        ("Unsecured", "senior_unsecured"),
        ("Subordinated", "subordinated"),
        ("Sub", "subordinated"),
        ("Senior Subordinated Notes", "subordinated"),
        ("Senior", None),  # secured for a loan, unsecured for a bond: not guessed
        ("Third Lien", None),
        ("First Out", None),
        ("", None),
        (None, None),
        (1, None),
    ],
)
def test_seniority_labels(raw, expected):
    assert terms.to_seniority(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Term Loan", "loan"),
        ("Term Loan B", "loan"),
        ("TLB", "loan"),
        ("Senior Secured Loan", "loan"),
        ("First Lien Term Loan", "loan"),
        ("Second Lien Loan", "loan"),
        ("loan", "loan"),
        ("Revolver", "revolver"),
        ("Revolving Credit Facility", "revolver"),
        ("RCF", "revolver"),
        ("Delayed Draw", "delayed_draw"),
        ("DDTL", "delayed_draw"),
        ("Delayed Draw Term Loan", "delayed_draw"),
        ("delayed_draw", "delayed_draw"),
        ("Bond", "bond"),
        ("Note", "bond"),
        ("High Yield Bond", "bond"),
        ("Senior Secured Notes", "bond"),
        ("Equity", None),
        ("  ", None),
    ],
)
def test_asset_type_labels(raw, expected):
    assert terms.to_asset_type(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected", "blank"),
    [
        ("Negative", "negative", False),
        ("neg", "negative", False),
        ("Watch Negative", "negative", False),
        ("RUR-Down", "negative", False),
        ("Review for Downgrade", "negative", False),
        ("*-", "negative", False),
        ("Positive", "positive", False),
        ("Watch Pos", "positive", False),
        ("*+", "positive", False),
        ("-", None, True),  # the platform's blank token, not a direction
        ("", None, True),
        ("Stable", None, True),
        ("No", None, True),
        ("Developing", None, False),  # neither direction: unrecognised
        ("Up or Down", None, False),
    ],
)
def test_moodys_watch_labels(raw, expected, blank):
    assert terms.to_watch(raw) == expected
    assert terms.is_blank("moodys_watch", raw) is blank


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("TRUE", True),
        ("true", True),
        ("Y", True),
        (" yes ", True),
        ("1", True),
        (1, True),
        (1.0, True),
        (True, True),
        ("FALSE", False),
        ("n", False),
        ("No", False),
        ("0", False),
        (0, False),
        (False, False),
        ("", False),
        (None, False),
        ("maybe", None),
        (2, None),
    ],
)
def test_flag_values(raw, expected):
    assert terms.to_flag(raw) is expected


COMMON_HEADERS = [
    "CUSIP", "Issuer", "Par", "Price", "Spread", "Coupon", "Lien", "Facility Type", "Cov-Lite", "DIP", "PIK",
    "Purchase Price", "Unfunded", "Watch", "Current Pay", "Participation",
]  # fmt: skip
COMMON_ROWS = [
    ["037833100", "Apple Loan", 5_000_000, 98.5, 425, None, "1st Lien", "Term Loan B", "Y", "N", "N", 99.25, None,
     "Neg", "No", "FALSE"],
    ["38259P508", "Google Bond", 3_000_000, 100.0, None, 7.5, "Senior Unsecured", "High Yield Bond", "no", None,
     "Yes", 101.0, None, None, None, None],
    ["594918104", "Microsoft DDTL", 2_000_000, 99.0, 350, None, "Second Lien", "DDTL", True, "0", "1", 84.5,
     "750,000", "Watch Positive", "N", "TRUE"],
    ["000361105", "AAR Revolver", 4_000_000, 80.0, 600, None, "Subordinated", "Revolving Credit Facility", "N", "Y",
     "N", 78, 1_250_000, "RUR-Down", "Y", "N"],
    ["459200101", "IBM Loan", 1_000_000, 101.0, 275, None, "Third Lien", "Term Loan", "x", "N", "N", None, None,
     None, None, None],
]  # fmt: skip
EXPECTED = {  # sheet row → the canonical terms, in TERM_COLUMNS order
    2: ("senior_secured", "loan", 99.25, None, True, False, False, False, False, "negative"),
    3: ("senior_unsecured", "bond", 101.0, None, False, False, False, False, True, None),
    4: ("second_lien", "delayed_draw", 84.5, 750_000.0, True, False, False, True, True, "positive"),
    5: ("subordinated", "revolver", 78.0, 1_250_000.0, False, True, True, False, False, "negative"),
    6: (None, "loan", None, None, True, False, False, False, False, None),  # "Third Lien": null and a failure
}
COMMON_SOURCES = {
    "seniority": "Lien", "asset_type": "Facility Type", "is_cov_lite": "Cov-Lite", "is_dip": "DIP", "is_pik": "PIK",
    "purchase_price": "Purchase Price", "unfunded_amount": "Unfunded", "moodys_watch": "Watch",
    "is_current_pay": "Current Pay", "is_participation": "Participation",
}  # fmt: skip


def _terms_by_row(frame: pd.DataFrame) -> dict[int, tuple]:
    out = {}
    for record in frame.to_dict(orient="records"):
        values = []
        for column in TERM_COLUMNS:
            value = record[column]
            if value is not None and not isinstance(value, bool | str):
                value = None if pd.isna(value) else float(value)
            values.append(value)
        out[int(record["row_index"])] = tuple(values)
    return out


def test_common_labels_are_auto_detected_and_normalised():
    extraction = extract_holdings(read_workbook(openpyxl_book({"Holdings": [COMMON_HEADERS, *COMMON_ROWS]}), "t.xlsx"))
    detected = extraction.diagnostics.detected_mappings
    assert {f: detected[f]["source_column"] for f in COMMON_SOURCES} == COMMON_SOURCES
    assert _terms_by_row(extraction.holdings) == EXPECTED
    # The bond's blank spread stays blank and its coupon is read; the loans have no coupon.
    assert extraction.holdings["spread"].isna().tolist() == [False, True, False, False, False]
    assert extraction.holdings["coupon"].tolist()[1] == 7.5
    failures = [f for f in extraction.diagnostics.validation_failures if f["field"] in TERM_COLUMNS]
    assert failures == [
        {
            "field": "seniority",
            "rule": "type",
            "failed_count": 1,
            "rows": [6],
            "sample_values": ["Third Lien"],
            "kind": "seniority",
            "allowed": ["senior_secured", "second_lien", "senior_unsecured", "subordinated"],
        }
    ]


def test_other_labels_and_the_canonical_names_map_too():
    headers = ["CUSIP", "Issuer", "Par", "Seniority", "Asset Type", "Covenant Lite", "Moody's Watch",
               "Unfunded Amount"]  # fmt: skip
    rows = [["037833100", "Apple", 1_000_000, "2nd Lien", "Revolver", "yes", "Watch Negative", 250_000]]
    extraction = extract_holdings(read_workbook(openpyxl_book({"Sheet1": [headers, *rows]}), "o.xlsx"))
    sources = {f: d["source_column"] for f, d in extraction.diagnostics.detected_mappings.items()}
    assert {f: sources[f] for f in ("seniority", "asset_type", "is_cov_lite", "moodys_watch", "unfunded_amount")} == {
        "seniority": "Seniority",
        "asset_type": "Asset Type",
        "is_cov_lite": "Covenant Lite",
        "moodys_watch": "Moody's Watch",
        "unfunded_amount": "Unfunded Amount",
    }
    first = extraction.holdings.iloc[0]
    assert (first["seniority"], first["asset_type"], first["is_cov_lite"], first["moodys_watch"]) == (
        "second_lien",
        "revolver",
        True,
        "negative",
    )
    assert first["unfunded_amount"] == 250_000.0

    canonical = ["cusip", "issuer_name", "par_amount", *TERM_COLUMNS]
    row = ["037833100", "Apple", 1_000_000, "Subordinated", "Note", 0.955, None, "TRUE", "false", "Y", "n", "1",
           "Positive"]  # fmt: skip
    profiled = extract_holdings(read_workbook(openpyxl_book({"H": [canonical, row]}), "c.xlsx"), "generic_canonical")
    assert {f: profiled.diagnostics.detected_mappings[f]["method"] for f in TERM_COLUMNS} == dict.fromkeys(
        TERM_COLUMNS, "profile"
    )
    # A purchase price of 0.955 is a fraction of par: 95.5 (like price, and listed in normalisations).
    assert _terms_by_row(profiled.holdings) == {
        2: ("subordinated", "bond", 95.5, None, True, False, True, False, True, "positive")
    }
    assert "purchase price looked like a fraction of par; multiplied by 100" in profiled.diagnostics.normalisations


def test_the_profiles_flag_a_negative_unfunded_amount_and_a_purchase_price_beyond_200():
    headers = ["cusip", "issuer_name", "par_amount", "purchase_price", "unfunded_amount"]
    rows = [["037833100", "Apple", 1_000_000, 99.0, -250_000], ["38259P508", "Google", 1_000_000, 250.0, 0]]
    extraction = extract_holdings(read_workbook(openpyxl_book({"H": [headers, *rows]}), "p.xlsx"), "generic_canonical")
    failures = {(f["field"], f["rule"]): f["rows"] for f in extraction.diagnostics.validation_failures}
    assert failures == {("unfunded_amount", "range"): [2], ("purchase_price", "range"): [3]}
    # Flagged, kept: the values are what the file says.
    assert extraction.holdings["unfunded_amount"].tolist() == [-250_000.0, 0.0]


def test_a_workbook_without_the_columns_reads_blank_terms():
    extraction = extract_holdings(read_workbook(openpyxl_book({"Holdings": holdings_rows()}), "b.xlsx"))
    assert set(TERM_COLUMNS) <= set(extraction.diagnostics.unmapped_target_fields)
    blank = (None, None, None, None, False, False, False, False, False, None)
    assert _terms_by_row(extraction.holdings) == dict.fromkeys(range(2, 7), blank)


def _holdings(platform, tenant: str) -> pd.DataFrame:
    h = tables.holdings
    query = sa.select(h).where(h.c.tenant_id == tenant).order_by(h.c.partition_key, h.c.row_index)
    with platform.warehouse.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all())


def test_terms_land_in_clo_holdings_and_the_marts(platform, lander, tenant):
    key = lander.land(tenant, "terms.xlsx", openpyxl_book({"Holdings": [COMMON_HEADERS, *COMMON_ROWS]}))
    result = lander.run(key)
    assert result.success  # the unrecognised "Third Lien" is a recorded failure, not a failed run
    assert all(c.passed for c in result.get_asset_check_evaluations())
    stored = _holdings(platform, tenant)
    assert _terms_by_row(stored) == EXPECTED
    d = tables.mapping_diagnostics
    with platform.warehouse.connect() as conn:
        failures = conn.execute(sa.select(d.c.validation_failures).where(d.c.tenant_id == tenant)).scalar_one()
    (seniority,) = [f for f in failures if f["field"] == "seniority"]
    assert (seniority["rule"], seniority["rows"], seniority["sample_values"]) == ("type", [6], ["Third Lien"])

    platform.run_dbt("build", "--select", "+marts.clo")
    query = sa.text(
        f"select row_index, {', '.join(TERM_COLUMNS)} from marts.clo_holdings where tenant_id = :t order by row_index"
    )
    with platform.warehouse.connect() as conn:
        mart = pd.DataFrame(conn.execute(query, {"t": tenant}).mappings().all())
    assert _terms_by_row(mart) == EXPECTED


def test_a_workbook_without_the_columns_lands_as_before(platform, lander, tenant):
    key = lander.land(tenant, "plain.xlsx", openpyxl_book({"Holdings": holdings_rows()}))
    assert lander.run(key).success
    stored = _holdings(platform, tenant)
    blank = (None, None, None, None, False, False, False, False, False, None)
    assert _terms_by_row(stored) == dict.fromkeys(range(2, 7), blank)
    # The fields that were there before are what the file says (tests/clo/files.py HOLDINGS).
    assert stored["par_amount"].astype(float).tolist() == [5e6, 3e6, 2e6, 4e6, 1e6]
    assert stored["spread"].astype(float).tolist() == [425.0, 300.0, 350.0, 600.0, 275.0]
    assert stored["rating_moodys"].tolist() == ["B2", "Ba3", "B1", "Caa1", "Ba2"]


def test_the_demo_workbook_carries_the_terms_through_its_profile():
    holdings = demo.generate_holdings(n_holdings=60)
    content = demo.workbook_bytes(holdings, demo.REPORT_DATES[0])
    extraction = extract_holdings(read_workbook(content, "demo.xlsx"), "bloomberg_clo")
    assert [f["rule"] for f in extraction.diagnostics.validation_failures] == ["isin_check_digit"]
    frame = extraction.holdings.iloc[:60]  # the 61st row is the planted duplicate of row 3
    # Holding i sits on sheet row 5 + i (title, "As of", a blank row, the header on row 4).
    assert frame["row_index"].tolist() == list(range(5, 65))
    by_index = frame.reset_index(drop=True)

    def where(column: str, value) -> list[int]:
        return [i for i, v in enumerate(by_index[column]) if v == value]

    # Second lien: the 7% draw of the first month gave rows 9, 31 and 46 (the demo's "Second Lien Loan"s before).
    assert where("seniority", "second_lien") == [9, 31, 46]
    assert where("seniority", "senior_unsecured") == [29, 33]
    assert where("seniority", "subordinated") == [38]
    assert where("asset_type", "bond") == [15, 25, 33, 38]
    assert where("asset_type", "revolver") == [16, 34]
    assert where("asset_type", "delayed_draw") == [27]
    assert by_index["spread"].isna().tolist() == [i in (15, 25, 33, 38) for i in range(60)]
    assert by_index.loc[[15, 25, 33, 38], "coupon"].tolist() == [7.25, 6.5, 8.5, 7.875]
    assert by_index.loc[[16, 27, 34], "unfunded_amount"].tolist() == [1_500_000.0, 750_000.0, 2_000_000.0]
    assert int(by_index["unfunded_amount"].notna().sum()) == 3
    assert where("moodys_watch", "negative") == [1, 11, 17, 34]
    assert where("moodys_watch", "positive") == [24]
    assert (where("is_dip", True), where("is_current_pay", True)) == ([18], [9])
    assert (where("is_pik", True), where("is_participation", True)) == ([26], [21])
    cheap = by_index[by_index["purchase_price"] < 85]
    # Rows 13, 22, 36 still trade below 90 (discount obligations); row 0 trades at 94.559 (cured).
    assert cheap.index.tolist() == [0, 13, 22, 36]
    assert [p < 90 for p in cheap["price"]] == [False, True, True, True]
    assert 0.45 < by_index["is_cov_lite"].mean() < 0.75
    assert not by_index.loc[[15, 25, 33, 38, 16, 27, 34, 18], "is_cov_lite"].any()
    # The planted facts of the earlier issues are still there.
    assert where("is_defaulted", True) == [10]
    assert by_index.loc[20, ["rating_moodys", "rating_fitch"]].isna().all()
    assert by_index.loc[30, ["rating_moodys", "rating_sp"]].isna().all()
    assert by_index.loc[30, "rating_fitch"] == "B"
    assert demo.workbook_bytes(holdings, demo.REPORT_DATES[0]) == content  # deterministic


def test_migration_0014_downgrades_and_upgrades(platform):
    name = f"mig14_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(platform.warehouse.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'create database "{name}"'))
    url = platform.warehouse.url.set(database=name)
    engine = sa.create_engine(url)

    def columns() -> set[str]:
        with engine.connect() as conn:
            return {c["name"] for c in sa.inspect(conn).get_columns("clo_holdings", schema="analytics")}

    try:
        migrate.upgrade(url, "0014")
        assert set(TERM_COLUMNS) <= columns()
        with engine.begin() as conn:  # a row written without the flags (as before 0014) reads them false
            conn.execute(
                sa.text(
                    "insert into analytics.clo_holdings (tenant_id, partition_key, workbook_id, holding_id, sheet,"
                    " row_index, is_defaulted, raw_data) values ('t', 'p', 'w', 'h', 'S', 2, false, '{}')"
                )
            )
            flags = conn.execute(sa.text("select is_cov_lite, is_dip, is_pik from analytics.clo_holdings")).one()
        assert tuple(flags) == (False, False, False)
        with engine.begin() as conn:  # as migrate.upgrade does: alembic on our connection, committed here
            config = migrate.alembic_config(url)
            config.attributes["connection"] = conn
            command.downgrade(config, "0013")
        assert not (set(TERM_COLUMNS) - {"asset_type"}) & columns()
        assert "asset_type" in columns()
        migrate.upgrade(url, "0014")
        assert set(TERM_COLUMNS) <= columns()
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()
