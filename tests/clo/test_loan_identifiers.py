"""Loan identifiers (issue 16): LoanX ID, FIGI and an administrator's asset id map like CUSIP and ISIN.

FIGI check digits are worked by hand and tried on FIGIs OpenFIGI publishes (IBM, Apple and Microsoft common
stock); a holding needs at least one identifier, and a loan known only by its LoanX ID now lands.
"""

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from orchestration.clo import tables
from orchestration.clo.check_digits import figi_check_digit, is_loanx_id, is_valid_figi
from orchestration.clo.mapping import extract_holdings
from orchestration.clo.reader import read_workbook
from orchestration.core.errors import InputError
from tests.clo.files import holdings_rows, openpyxl_book

IBM, AAPL, MSFT = "BBG000BLNNH6", "BBG000B9XRY4", "BBG000BPH459"
"""Composite FIGIs of IBM, Apple and Microsoft common stock as OpenFIGI publishes them."""


def _parsed(sheets, name="book.xlsx"):
    return read_workbook(openpyxl_book(sheets), name)


def test_figi_check_digit_by_hand_and_on_published_figis():
    # IBM's BBG000BLNNH6: base B B G 0 0 0 B L N N H = 11 11 16 0 0 0 11 21 23 23 17 (A=10 … Z=35).
    # From the right of the base every second value is doubled (the 10th, 8th, 6th, 4th and 2nd characters):
    # 11→22, 0→0, 0→0, 21→42, 23→46. Digit sums: kept 11,16,0,11,23,17 → 2+7+0+2+5+8 = 24;
    # doubled 22,0,0,42,46 → 4+0+0+6+10 = 20; total 44 → check digit (10 - 4) mod 10 = 6.
    assert figi_check_digit("BBG000BLNNH") == 6
    assert [is_valid_figi(f) for f in (IBM, AAPL, MSFT)] == [True, True, True]
    assert is_valid_figi(" bbg000blnnh6 ")
    assert not is_valid_figi("BBG000BLNNH7")  # wrong check digit
    assert not is_valid_figi("BBG000BLANH6")  # a vowel
    assert not is_valid_figi("BSG000BLNNH6")  # BS: reserved, a Bahamas ISIN could start BSG
    assert not is_valid_figi("BBG000BLNNH")  # eleven characters
    assert not is_valid_figi(None)
    # LoanX: LX and six digits, no check digit.
    assert is_loanx_id("LX123456")
    assert is_loanx_id(" lx123456 ")
    assert not is_loanx_id("LX12345")
    assert not is_loanx_id("LXA23456")
    assert not is_loanx_id(None)


@pytest.mark.parametrize(
    ("header", "field", "values"),
    [
        ("LoanX ID", "loanx_id", ["LX123456", "LX234567"]),
        ("LoanX", "loanx_id", ["LX123456", "LX234567"]),
        ("LXID", "loanx_id", ["LX123456", "LX234567"]),
        ("Markit ID", "loanx_id", ["LX123456", "LX234567"]),
        ("FIGI", "figi", [IBM, AAPL]),
        ("Bloomberg FIGI", "figi", [IBM, AAPL]),
        ("BBG ID", "figi", [IBM, AAPL]),
        ("Asset ID", "asset_id", ["ADM-1", "ADM-2"]),
        ("Asset Identifier", "asset_id", ["ADM-1", "ADM-2"]),
        ("Facility ID", "asset_id", [1001, 1002]),
        ("Admin ID", "asset_id", ["A1", "A2"]),
    ],
)
def test_each_alias_maps_its_identifier(header, field, values):
    rows = [[header, "Borrower", "Par"], [values[0], "Acme", 1_000_000], [values[1], "Beta", 2_000_000]]
    detected = extract_holdings(_parsed({"Loans": rows})).diagnostics.detected_mappings
    assert (detected[field]["source_column"], detected[field]["method"]) == (header, "header_alias")
    assert "cusip" not in detected
    assert "isin" not in detected


def test_loan_identifiers_are_normalised_and_flagged_and_a_loanx_only_book_maps():
    headers = ["LoanX ID", "Bloomberg FIGI", "Asset ID", "Borrower", "Par", "Price"]
    rows = [
        [" lx123456", "bbg000blnnh6", "adm-001 ", "Acme Term Loan B", 2_000_000, 99.5],
        ["LX234567", AAPL, 100234, "Beta TLB", 1_500_000, 98.0],
        ["LX345678 ", " " + MSFT, "Adm 003", "Gamma TLB", 1_000_000, 101.0],
    ]
    extraction = extract_holdings(_parsed({"Loans": [headers, *rows]}))
    frame = extraction.holdings
    assert frame["loanx_id"].tolist() == ["LX123456", "LX234567", "LX345678"]
    assert frame["figi"].tolist() == [IBM, AAPL, MSFT]
    assert frame["asset_id"].tolist() == ["ADM-001", "100234", "ADM 003"]  # trimmed, upper case, a number as text
    assert frame["figi_valid"].tolist() == [True, True, True]
    assert frame["cusip"].isna().all()
    assert frame["isin"].isna().all()
    assert frame["cusip_valid"].isna().all()
    assert extraction.diagnostics.validation_failures == []


def test_value_patterns_find_loanx_and_figi_columns_without_a_known_header():
    headers = ["Ref A", "Ref B", "Issuer", "Par"]
    rows = [["LX123456", IBM, "Acme", 1.0], ["LX234567", AAPL, "Beta", 2.0], ["LX345678", MSFT, "Gamma", 3.0]]
    detected = extract_holdings(_parsed({"Loans": [headers, *rows]})).diagnostics.detected_mappings
    # every value fits: confidence 0.9 × 1.0 by value pattern alone
    found = {f: (detected[f]["source_column"], detected[f]["method"], detected[f]["confidence"]) for f in detected}
    assert found["loanx_id"] == ("Ref A", "value_pattern", 0.9)
    assert found["figi"] == ("Ref B", "value_pattern", 0.9)
    assert "isin" not in detected  # FIGIs have the ISIN shape but are not taken for ISINs


def test_a_wrong_figi_check_digit_is_only_a_shape_fit_flagged_not_dropped():
    bad = ["BBG000BLNNH7", "BBG000B9XRY5", "BBG000BPH450"]  # each published FIGI with its check digit + 1
    rows = [[bad[0], "LX123456", "Acme", 1.0], [bad[1], "LX234567", "Beta", 2.0], [bad[2], "LX345678", "Gamma", 3.0]]
    named = extract_holdings(_parsed({"Loans": [["FIGI", "LoanX ID", "Issuer", "Par"], *rows]}))
    # shape only: fit 0.75 → confidence 0.95 × (0.5 + 0.5 × 0.75) = 0.83125, still mapped under its header
    assert named.diagnostics.detected_mappings["figi"]["confidence"] == pytest.approx(0.831)
    assert named.holdings["figi"].tolist() == bad
    assert named.holdings["figi_valid"].tolist() == [False, False, False]
    failures = {(f["field"], f["rule"]): f for f in named.diagnostics.validation_failures}
    assert failures[("figi", "figi_check_digit")]["rows"] == [2, 3, 4]
    # …but without the header, 0.75 is below the 0.8 a value pattern alone needs: left unmapped
    unnamed = extract_holdings(_parsed({"Loans": [["Ref", "LoanX ID", "Issuer", "Par"], *rows]}))
    assert "figi" not in unnamed.diagnostics.detected_mappings
    assert "Ref" in unnamed.diagnostics.unmapped_columns


def test_loanx_ids_in_a_combined_cusip_column_move_to_loanx_id():
    # Trustee reports' "CUSIP/LoanX ID" column: Apple and IBM CUSIPs, two LoanX IDs.
    headers = ["CUSIP/LoanX ID", "Obligor", "Principal Balance"]
    rows = [
        ["037833100", "Apple", 1.0],
        ["LX123456", "Acme", 2.0],
        ["459200101", "IBM", 3.0],
        ["LX234567", "Beta", 4.0],
    ]
    extraction = extract_holdings(_parsed({"Collateral": [headers, *rows]}))
    frame = extraction.holdings
    assert frame["cusip"].tolist() == ["037833100", None, "459200101", None]
    assert frame["loanx_id"].tolist() == [None, "LX123456", None, "LX234567"]
    assert frame["cusip_valid"].isna().tolist() == [False, True, False, True]  # null without a CUSIP
    assert frame["cusip_valid"].dropna().tolist() == [True, True]
    assert extraction.diagnostics.validation_failures == []  # no LoanX ID flagged as a bad CUSIP
    assert "2 LoanX ID(s) in the CUSIP column moved to loanx_id" in extraction.diagnostics.normalisations


def test_a_holding_without_any_identifier_is_bad_input_naming_row_and_cells():
    rows = holdings_rows()  # header on row 1: CUSIP_ID in column A, ISIN in column B
    rows[3][0], rows[3][1] = None, "  "  # sheet row 4, Microsoft Loan
    with pytest.raises(InputError) as error:
        extract_holdings(_parsed({"Holdings": rows}), "bloomberg_clo")
    assert error.value.code == "HOLDING_IDENTIFIER_MISSING"
    assert error.value.where == "book.xlsx!Holdings!A4"
    assert error.value.details["rows"] == [{"row": 4, "cells": ["A4", "B4"], "issuer_name": "Microsoft Loan"}]
    assert "row 4 (Microsoft Loan)" in error.value.message
    assert "CUSIP_ID" in error.value.message
    assert "ISIN" in error.value.message


def _holdings(platform, tenant):
    h = tables.holdings
    query = sa.select(h).where(h.c.tenant_id == tenant).order_by(h.c.row_index)
    with platform.warehouse.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all())


def test_a_loan_known_only_by_its_loanx_id_lands_and_one_with_no_identifier_fails_typed(platform, lander, tenant):
    headers = ["LoanX ID", "Borrower", "Par", "Price"]
    loans = [["LX123456", "Acme Term Loan B", 2_000_000, 99.5], ["LX234567", "Beta TLB", 1_500_000, 98.0]]
    good = lander.land(tenant, "loans.xlsx", openpyxl_book({"Loans": [headers, *loans]}))
    result = lander.run(good)
    assert result.success  # before issue 16: MAPPING_INCOMPLETE ("cusip or isin")
    assert all(c.passed for c in result.get_asset_check_evaluations())
    stored = _holdings(platform, tenant)
    assert stored["loanx_id"].tolist() == ["LX123456", "LX234567"]
    assert stored["cusip"].isna().all()
    assert stored["figi"].isna().all()

    bad = lander.land(tenant, "gap.xlsx", openpyxl_book({"Loans": [headers, *loans, [None, "Gamma TLB", 1.0, 97.0]]}))
    result = lander.run(bad, raise_on_error=False)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert not any(e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY for e in result.all_events)
    assert failure.step_failure_data.user_failure_data.metadata["error_code"].value == "HOLDING_IDENTIFIER_MISSING"
    w = tables.workbooks
    with platform.warehouse.connect() as conn:
        status, message = conn.execute(
            sa.select(w.c.status, w.c.error_message).where(w.c.tenant_id == tenant, w.c.file_name == "gap.xlsx")
        ).one()
    assert status == "failed"
    assert "row 4 (Gamma TLB)" in message
    assert "LoanX ID" in message
    assert len(_holdings(platform, tenant)) == 2  # the good workbook's holdings are untouched
