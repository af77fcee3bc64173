"""Column mapping: profiles, auto-detect with renamed headers, validation, drift and mapping errors."""

import datetime as dt

import pytest

from orchestration.clo.mapping import extract_holdings, load_aliases, load_profiles, schema_drift
from orchestration.clo.reader import read_workbook
from orchestration.core.errors import InputError
from orchestration.core.ids import holding_id, workbook_id
from tests.clo.files import HOLDINGS, holdings_rows, openpyxl_book


def _parsed(sheets, name="book.xlsx"):
    return read_workbook(openpyxl_book(sheets), name)


def test_shipped_profiles_and_aliases_load():
    profiles = load_profiles()
    assert {"bloomberg_clo", "generic_trustee", "generic_canonical"} <= set(profiles)
    bloomberg = profiles["bloomberg_clo"]
    # The seed's example columns and transforms.
    assert (bloomberg.mappings["cusip"].source, bloomberg.mappings["cusip"].transform) == ("CUSIP_ID", None)
    assert (bloomberg.mappings["par_amount"].source, bloomberg.mappings["par_amount"].transform) == (
        "Face Value",
        "to_number",
    )
    assert bloomberg.mappings["spread"].source == "Spread (bps)"
    assert bloomberg.alias_profile == "bloomberg_clo"
    assert {"field": "price", "rule": "range", "min": 0, "max": 200} in bloomberg.validation_rules
    assert {"default", "bloomberg_clo", "trustee"} <= set(load_aliases())


def test_profile_mapping_normalises_every_field_and_ids_are_stable():
    wid = workbook_id("t1", "ab" * 32)
    extraction = extract_holdings(_parsed({"Holdings": holdings_rows()}), "bloomberg_clo", workbook_id=wid)
    frame = extraction.holdings
    assert extraction.diagnostics.mode == "profile"
    assert all(m["confidence"] == 1.0 for m in extraction.diagnostics.detected_mappings.values())
    first = frame.iloc[0]
    assert (first["cusip"], first["isin"], first["issuer_name"]) == ("037833100", "US0378331005", "Apple Loan")
    assert (first["par_amount"], first["price"], first["spread"]) == (5_000_000.0, 98.5, 425.0)
    assert (first["rating_moodys"], first["rating_sp"], first["maturity_date"]) == ("B2", "B", dt.date(2029, 6, 15))
    assert list(frame["country"]) == ["US", "US", "GB", "CA", "US"]
    assert frame["cusip_valid"].tolist() == [True] * 5
    assert frame["isin_valid"].tolist() == [True] * 5
    assert first["holding_id"] == holding_id(wid, "Holdings", 2)
    assert first["raw_data"]["Face Value"] == 5_000_000
    assert not frame["is_defaulted"].any()


def test_auto_detect_with_renamed_headers_and_value_patterns():
    headers = ["Ident", "Isin Code", "Obligor", "Par Balance", "Px Mid", "Margin", "Moodys", "S&P Rtg",
               "Final Maturity", "Sector", "Domicile", "Notes"]  # fmt: skip
    rows = [[*r, "note"] for r in HOLDINGS]
    extraction = extract_holdings(_parsed({"Sheet1": [headers, *rows]}))
    detected = extraction.diagnostics.detected_mappings
    assert extraction.diagnostics.mode == "auto_detect"
    sources = {f: d["source_column"] for f, d in detected.items()}
    assert sources == {
        "cusip": "Ident",
        "isin": "Isin Code",
        "issuer_name": "Obligor",
        "par_amount": "Par Balance",
        "price": "Px Mid",
        "spread": "Margin",
        "rating_moodys": "Moodys",
        "rating_sp": "S&P Rtg",
        "maturity_date": "Final Maturity",
        "industry": "Sector",
        "country": "Domicile",
    }
    # "Ident" is not an alias of cusip: it was recognised by valid CUSIP check digits alone.
    assert detected["cusip"]["method"] == "value_pattern"
    assert 0.5 <= detected["cusip"]["confidence"] < 0.95
    assert detected["issuer_name"]["confidence"] >= 0.95
    assert detected["par_amount"]["sample_values"] == [5000000, 3000000, 2000000]
    assert extraction.diagnostics.unmapped_columns == ["Notes"]
    assert "accrued_interest" in extraction.diagnostics.unmapped_target_fields
    assert extraction.holdings["rating_moodys"].tolist() == ["B2", "Ba3", "B1", "Caa1", "Ba2"]


def test_total_and_blank_rows_are_skipped_and_failures_flagged_not_dropped():
    rows = holdings_rows()
    rows[1][1] = "US0378331006"  # bad ISIN check digit
    rows[2][4] = 250.0  # price out of the profile's 0-200 range
    rows[3][3] = "(2,000,000)"  # negative par
    rows[4][6] = "Zz9"  # not a Moody's token
    rows += [[None] * 11, ["Total", None, None, 15_000_000]]
    extraction = extract_holdings(_parsed({"Holdings": rows}), "bloomberg_clo")
    assert len(extraction.holdings) == 5
    assert extraction.diagnostics.skipped_rows == {"blank": 1, "total": 1}
    failures = {(f["field"], f["rule"]): f for f in extraction.diagnostics.validation_failures}
    assert failures[("isin", "isin_check_digit")]["rows"] == [2]
    assert failures[("price", "range")]["rows"] == [3]
    assert failures[("par_amount", "positive")]["rows"] == [4]
    assert failures[("rating_moodys", "type")]["sample_values"] == ["Zz9"]
    assert extraction.holdings["isin_valid"].tolist() == [False, True, True, True, True]
    assert extraction.holdings["par_amount"].tolist()[2] == -2_000_000.0


def test_mapping_errors_name_what_is_missing():
    no_par = [[h for i, h in enumerate(r) if i != 3] for r in holdings_rows()]
    with pytest.raises(InputError) as incomplete:
        extract_holdings(_parsed({"Holdings": no_par}))
    assert incomplete.value.code == "MAPPING_INCOMPLETE"
    assert "par_amount" in incomplete.value.message
    no_ids = [[h for i, h in enumerate(r) if i not in (0, 1)] for r in holdings_rows()]
    with pytest.raises(InputError) as no_identifier:
        extract_holdings(_parsed({"Holdings": no_ids}))
    assert no_identifier.value.details["missing_fields"] == ["cusip or isin or loanx_id or figi or asset_id"]
    with pytest.raises(InputError) as no_sheet:
        extract_holdings(_parsed({"Cover": [["Quarterly letter"]], "Chart": [[1, 2], [3, 4]]}))
    assert no_sheet.value.code == "NO_HOLDINGS_SHEET"
    assert "'Cover'" in no_sheet.value.message
    assert "'Chart'" in no_sheet.value.message
    with pytest.raises(InputError) as unknown:
        extract_holdings(_parsed({"Holdings": holdings_rows()}), "no_such_profile")
    assert unknown.value.code == "MAPPING_PROFILE_UNKNOWN"


def test_schema_drift():
    previous = {"CUSIP_ID": "text", "Face Value": "number", "Old": "text", "Maturity": "date"}
    current = {"CUSIP_ID": "text", "Face Value": "text", "Maturity": "date", "Custom Field 1": "number"}
    assert schema_drift(previous, current) == {
        "new_columns": ["Custom Field 1"],
        "missing_columns": ["Old"],
        "type_changes": [{"column": "Face Value", "previous": "number", "current": "text"}],
    }
    assert schema_drift(None, current)["new_columns"] == []


def test_unit_normalisation_of_fractional_prices_and_percent_spreads():
    rows = holdings_rows()
    for r in rows[1:]:
        r[4] = r[4] / 100  # 0.985
        r[5] = r[5] / 100  # 4.25 (percent)
    extraction = extract_holdings(_parsed({"Holdings": rows}))
    assert extraction.holdings["price"].tolist()[0] == pytest.approx(98.5)
    assert extraction.holdings["spread"].tolist()[0] == pytest.approx(425.0)
    assert len(extraction.diagnostics.normalisations) == 2


def test_an_identifier_column_whose_check_digits_all_fail_is_still_mapped_and_flagged():
    # 123456AB7 and 999999ZZ9 have the CUSIP shape but wrong check digits: for 123456AB the doubled-digit sum is
    # 1+4+3+8+5+(1+2)+(1+0)+(2+2) = 29, so the check digit is 1 (likewise 999999ZZ1);
    # the `cusip` header plus shaped values must map the column, and each row is flagged, not dropped.
    csv = b"cusip,issuer_name,par_amount\n123456AB7,Acme Widgets,1000000\n999999ZZ9,Globex Corp,250000\n"
    extraction = extract_holdings(read_workbook(csv, "holdings.csv"))
    frame = extraction.holdings
    assert extraction.diagnostics.detected_mappings["cusip"]["source_column"] == "cusip"
    assert list(frame["cusip"]) == ["123456AB7", "999999ZZ9"]
    assert list(frame["cusip_valid"]) == [False, False]
