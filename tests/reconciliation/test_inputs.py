"""Resolutions files, Geneva XML, statement dates and trades, sidecar options and workbook selection."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from orchestration.core.errors import InputError
from orchestration.reconciliation import resolutions as res
from orchestration.reconciliation.geneva import parse_geneva
from orchestration.reconciliation.statements import (
    as_of_date,
    extract_trades,
    select_workbook,
    sidecar_report_date,
    statement_options,
)

V1 = "11111111-1111-5111-8111-111111111111"
V2 = "22222222-2222-5222-8222-222222222222"
UNKNOWN = "33333333-3333-5333-8333-333333333333"
KNOWN = {V1: "recon-1", V2: "recon-1"}
T0 = dt.datetime(2026, 1, 26, 9, tzinfo=dt.UTC)
T1 = dt.datetime(2026, 1, 27, 9, tzinfo=dt.UTC)

GENEVA = b"""<?xml version="1.0" encoding="UTF-8"?>
<GenevaReport xmlns="http://www.advent.com/geneva">
  <ReportHeader><Portfolio>CLO-2024-1</Portfolio><PeriodEndDate>2026-01-25T00:00:00</PeriodEndDate></ReportHeader>
  <Positions>
    <Position>
      <InvestmentCUSIP>000361105</InvestmentCUSIP><ISIN>US0003611052</ISIN>
      <InvestmentDescription>ABC Corporation TL B</InvestmentDescription>
      <Quantity>5,100,000.00</Quantity><MarketPrice>98.40</MarketPrice>
      <MarketValueLocal>5018400.00</MarketValueLocal><AccruedInterest>(12.50)</AccruedInterest>
      <MoodysRating>B1</MoodysRating><LocalCurrency>USD</LocalCurrency>
    </Position>
    <Position CUSIP="123456789" Quantity="1000000" Price="99" IssuerName="XYZ Corp"/>
  </Positions>
</GenevaReport>
"""


def test_csv_resolutions_apply_and_unknown_is_rejected_without_blocking():
    data = (
        "variance_id,resolution_type,explanation,action,resolved_by\n"
        f"{V1},explained,Timing difference - trade settled T+1,no_action_required,user-1\n"
        f"{UNKNOWN},corrected,typo,fix,user-1\n"
        f"{V2},bogus,?,?,user-1\n"
        "not-a-uuid,explained,x,y,user-1\n"
        f"{V2.upper()},corrected,Trustee corrected the par,none,user-2\n"
    ).encode()
    reviewed = res.review_resolutions(res.parse_resolutions(data, "r.csv"), KNOWN)
    assert list(reviewed["outcome"]) == ["applied", "rejected", "rejected", "rejected", "applied"]
    reasons = list(reviewed["rejection_reason"])
    assert "unknown variance" in reasons[1]
    assert "resolution_type" in reasons[2]
    assert "not a UUID" in reasons[3]
    assert list(reviewed["status"]) == ["explained", None, None, None, "resolved"]  # corrected → resolved
    events = res.resolution_events(reviewed, "acme.r1", T1)
    assert list(events["variance_id"]) == [V1, V2]


def test_json_resolutions_with_explicit_ignored_status():
    data = json.dumps({"resolutions": [{"variance_id": V1, "resolution_type": "explained", "status": "ignored"}]})
    reviewed = res.review_resolutions(res.parse_resolutions(data.encode(), "r.json"), KNOWN)
    assert reviewed.loc[0, "status"] == "ignored"


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"variance,resolution\n1,2\n", "r.csv", "RESOLUTIONS_INVALID_FORMAT"),
        (b"{not json", "r.json", "RESOLUTIONS_INVALID_FORMAT"),
        (b'{"x": 1}', "r.json", "RESOLUTIONS_INVALID_FORMAT"),
        (b"variance_id,resolution_type\n", "r.csv", "RESOLUTIONS_EMPTY"),
    ],
)
def test_bad_resolution_files(data, name, code):
    with pytest.raises(InputError) as error:
        res.parse_resolutions(data, name)
    assert error.value.code == code


def test_history_is_append_only_and_latest_event_wins():
    variances = pd.DataFrame(
        {
            "variance_id": [V1, V2],
            "auto_rule_id": [None, "price_source_eighth_point"],
            "explanation": [None, "Pricing source difference"],
            "action": [None, "no_action_required"],
        }
    )
    opened = res.reconciliation_events(variances, "recon-1", "acme.s1", T0)
    assert list(opened["status"]) == ["open", "open", "resolved"]
    assert opened.iloc[2]["rule_id"] == "price_source_eighth_point"
    assert opened.iloc[2]["resolved_by"] == "auto:price_source_eighth_point"
    reviewed = res.review_resolutions(
        res.parse_resolutions(f"variance_id,resolution_type\n{V1},explained\n{V2},corrected\n".encode(), "r.csv"), KNOWN
    )
    history = pd.concat([opened, res.resolution_events(reviewed, "acme.r1", T1)], ignore_index=True)
    assert len(history) == 5  # nothing overwritten
    current = res.current_status(history).set_index("variance_id")
    assert current.loc[V1, "status"] == "explained"
    assert current.loc[V2, "status"] == "resolved"
    assert current.loc[V2, "resolution_type"] == "corrected"
    # re-running the reconciliation (same partition) rewrites identical opening events: same ids
    assert list(res.reconciliation_events(variances, "recon-1", "acme.s1", T0)["event_id"]) == list(opened["event_id"])


def test_geneva_xml_positions_and_report_date():
    frame, report_date = parse_geneva(GENEVA, "geneva.xml")
    assert report_date == dt.date(2026, 1, 25)
    assert list(frame["cusip"]) == ["000361105", "123456789"]
    first = frame.iloc[0]
    assert first["par_amount"] == 5_100_000.0
    assert first["price"] == 98.4
    assert first["accrued_interest"] == -12.5  # accounting parentheses
    assert first["issuer_name"] == "ABC Corporation TL B"
    assert first["rating_moodys"] == "B1"
    assert frame.iloc[1]["par_amount"] == 1_000_000.0
    assert frame.iloc[1]["issuer_name"] == "XYZ Corp"


def test_geneva_rejects_entity_expansion_and_garbage():
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><r><x>&b;</x></r>'
    for data in (bomb, b"<unclosed>", b"<r><Position><CUSIP>1</CUSIP></Position></r>"):
        with pytest.raises(InputError) as error:
            parse_geneva(data, "bad.xml")
        assert error.value.code in {"GENEVA_INVALID_XML", "NO_HOLDINGS_SHEET"}


def test_statement_dates_from_sidecar_or_as_of_cell():
    assert sidecar_report_date({"metadata": {"report_date": "2026-01-25"}}) == dt.date(2026, 1, 25)
    assert sidecar_report_date({"report_date": "01/25/2026"}) == dt.date(2026, 1, 25)
    sheets = {"Holdings": [["Trustee statement"], ["As of:", None, "2026-01-25"], ["CUSIP", "Par"]]}
    assert as_of_date(sheets) == dt.date(2026, 1, 25)
    assert as_of_date({"S": [["Positions as of 12/31/2025"]]}) == dt.date(2025, 12, 31)
    assert as_of_date({"S": [["nothing"]]}) is None


def test_trades_sheet_signs_sales_negative():
    sheets = {
        "Holdings": [["CUSIP", "Par"]],
        "Pending Trades": [
            ["CUSIP", "Type", "Par Amount", "Trade Date", "Settle Date"],
            ["000000001", "Buy", 250000, "2026-01-23", "2026-01-28"],
            ["000000002", "Sell", "100,000", "2026-01-23", "2026-01-29"],
        ],
    }
    trades = extract_trades(sheets)
    assert list(trades["par_amount"]) == [250_000.0, -100_000.0]
    assert trades.iloc[0]["settle_date"] == dt.date(2026, 1, 28)


def test_sidecar_options_validated():
    opts = statement_options(
        {"matching_fields": ["isin"], "comparison_fields": ["par_amount", "rating"], "tolerance_profile": "relaxed"},
        "w",
    )
    assert opts.matching_fields == ("isin",)
    assert opts.tolerance_profile == "relaxed"
    with pytest.raises(InputError, match="unknown fields"):
        statement_options({"matching_fields": ["ticker"]}, "w")


WORKBOOKS = pd.DataFrame(
    {
        "workbook_id": ["w1", "w2", "w3"],
        "name": ["CLO 2024-1", "CLO 2024-2", "CLO 2024-1"],
        "report_date": [dt.date(2026, 1, 25), dt.date(2026, 1, 25), dt.date(2025, 12, 25)],
        "file_name": ["a.xlsx", "b.xlsx", "c.xlsx"],
        "partition_key": ["t.1", "t.2", "t.3"],
    }
)


def test_select_workbook_by_id_name_or_date():
    assert select_workbook(WORKBOOKS, {"workbook_id": "w2"}, None, "w")["workbook_id"] == "w2"
    by_name = select_workbook(WORKBOOKS, {"workbook_name": "CLO 2024-1"}, dt.date(2025, 12, 25), "w")
    assert by_name["workbook_id"] == "w3"
    assert select_workbook(WORKBOOKS, None, dt.date(2025, 12, 25), "w")["workbook_id"] == "w3"
    assert select_workbook(WORKBOOKS, {"workbook": {"id": "w1"}}, None, "w")["workbook_id"] == "w1"
    # a sidecar `name` is the statement's own display name, not a workbook reference
    assert select_workbook(WORKBOOKS, {"name": "CLO 2024-2"}, dt.date(2025, 12, 25), "w")["workbook_id"] == "w3"


def test_ambiguous_statement_lists_candidates():
    with pytest.raises(InputError) as error:
        select_workbook(WORKBOOKS, None, dt.date(2026, 1, 25), "trustee/x")
    assert error.value.code == "STATEMENT_WORKBOOK_AMBIGUOUS"
    assert {c["workbook_id"] for c in error.value.details["candidates"]} == {"w1", "w2"}
    assert "CLO 2024-2" in error.value.message


def test_missing_workbook_lists_all_candidates():
    with pytest.raises(InputError) as error:
        select_workbook(WORKBOOKS, None, dt.date(2026, 2, 25), "trustee/x")
    assert error.value.code == "STATEMENT_WORKBOOK_NOT_FOUND"
    assert len(error.value.details["candidates"]) == 3
    with pytest.raises(InputError) as error:
        select_workbook(WORKBOOKS, None, None, "trustee/x")
    assert error.value.code == "STATEMENT_REPORT_DATE_MISSING"


def test_demo_files_are_deterministic():
    from orchestration.reconciliation import demo

    assert demo.statement_bytes() == demo.statement_bytes()
    assert demo.resolutions_bytes() == demo.resolutions_bytes()
    assert demo.resolutions_bytes("acme") != demo.resolutions_bytes("globex")  # ids depend on the tenant's workbook
