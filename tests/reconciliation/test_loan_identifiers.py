"""Loan identifiers in reconciliation (issue 16): matching on whichever identifier both sides carry, in the
configured order; statements, trades and Geneva files with LoanX ID, FIGI and asset id columns.

Expected pairings and numbers are worked by hand in the comments (difference = internal - external).
"""

from __future__ import annotations

import datetime as dt
import warnings

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml

from api.keys import create_api_key
from api.main import create_app
from orchestration.core.errors import InputError
from orchestration.reconciliation import tables
from orchestration.reconciliation.config import (
    INVALID_MATCHING_CONFIG,
    MATCHING_PATH,
    AutoRule,
    load_identifier_order,
    parse_identifier_order,
)
from orchestration.reconciliation.geneva import parse_geneva
from orchestration.reconciliation.statements import extract_trades, statement_options
from tests.api.helpers import api_settings
from tests.reconciliation.conftest import Lander
from tests.reconciliation.test_engine import run

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

IBM_FIGI = "BBG000BLNNH6"


def loan(par=1_000_000.0, issuer="Acme Term Loan B", **ids):
    return {"cusip": None, "isin": None, "issuer_name": issuer, "par_amount": par, "price": 99.0, **ids}


def test_a_statement_row_and_a_holding_that_share_only_a_loanx_id_match():
    # The holding has only a LoanX ID; the trustee row has a CUSIP and the same LoanX ID (lower case, padded).
    result = run([loan(loanx_id="LX123456")], [loan(cusip="000361105", loanx_id=" lx123456 ")])
    (position,) = result.positions.to_dict(orient="records")
    assert (position["match_status"], position["matched_on"]) == ("matched", "loanx_id")
    assert position["position_key"] == "loanx_id:LX123456"
    assert position["loanx_id"] == "LX123456"
    assert result.variances.empty  # a CUSIP on one side only is no identity variance


def test_the_configured_order_decides_which_identifier_pairs():
    # One holding with a FIGI and a LoanX ID; statement row 1 has only the LoanX ID, row 2 only the FIGI.
    internal = [loan(figi=IBM_FIGI, loanx_id="LX123456")]
    external = [loan(loanx_id="LX123456", par=1.0), loan(figi=IBM_FIGI, par=2.0)]
    figi_first = run(internal, external, matching_fields=["cusip", "isin", "figi", "loanx_id", "asset_id"])
    matched = figi_first.positions[figi_first.positions["match_status"] == "matched"].iloc[0]
    assert (matched["matched_on"], matched["external_row"]) == ("figi", 2)
    assert set(figi_first.positions["position_key"]) == {f"figi:{IBM_FIGI}", "external:loanx_id:LX123456"}
    loanx_first = run(internal, external, matching_fields=["loanx_id", "figi"])
    matched = loanx_first.positions[loanx_first.positions["match_status"] == "matched"].iloc[0]
    assert (matched["matched_on"], matched["external_row"]) == ("loanx_id", 1)
    assert set(loanx_first.positions["position_key"]) == {"loanx_id:LX123456", f"external:figi:{IBM_FIGI}"}


def test_a_loan_identifier_that_differs_on_a_matched_pair_is_an_identity_variance():
    result = run([loan(cusip="000361105", loanx_id="LX123456")], [loan(cusip="000361105", loanx_id="LX654321")])
    (variance,) = result.variances.to_dict(orient="records")
    assert (variance["category"], variance["field"]) == ("identity", "loanx_id")
    assert (variance["internal_value"], variance["external_value"]) == ("LX123456", "LX654321")
    assert not variance["within_tolerance"]


def test_a_pending_trade_on_a_loanx_position_resolves_its_par_break():
    sheets = {
        "Pending Trades": [
            ["LoanX ID", "Type", "Par Amount", "Trade Date", "Settle Date"],
            ["LX123456", "Buy", 250_000, "2026-01-29", "2026-02-03"],
        ]
    }
    trades = extract_trades(sheets)
    assert trades[["loanx_id", "par_amount"]].to_dict(orient="records") == [
        {"loanx_id": "LX123456", "par_amount": 250_000.0}
    ]
    rule = AutoRule(id="timing", kind="pending_trade", fields=("par_amount",))
    # internal 2,250,000 vs trustee 2,000,000: difference +250,000 = the buy settling after 2026-01-31
    result = run(
        [loan(par=2_250_000.0, loanx_id="LX123456")],
        [loan(par=2_000_000.0, loanx_id="LX123456")],
        rules=[rule],
        report_date=dt.date(2026, 1, 31),
        pending_trades=trades,
    )
    (variance,) = result.variances.to_dict(orient="records")
    assert variance["difference"] == 250_000.0
    assert (variance["auto_rule_id"], variance["status"]) == ("timing", "resolved")


def test_the_matching_order_is_configured_and_validated(tmp_path):
    shipped = yaml.safe_load(MATCHING_PATH.read_text())["identifier_order"]
    assert load_identifier_order() == tuple(shipped) == ("cusip", "isin", "figi", "loanx_id", "asset_id")
    for raw, where in (
        ({"identifier_order": ["cusip", "ticker"]}, "m.yaml: identifier_order[1]"),
        ({"identifier_order": []}, "m.yaml: identifier_order"),
        ({"identifier_order": ["isin", "isin"]}, "m.yaml: identifier_order"),
        ({"order": ["isin"]}, "m.yaml: identifier_order"),
    ):
        with pytest.raises(InputError) as error:
            parse_identifier_order(raw, "m.yaml")
        assert (error.value.code, error.value.where) == (INVALID_MATCHING_CONFIG, where)
    custom = tmp_path / "matching.yaml"
    custom.write_text("identifier_order: [loanx_id, cusip]\n")
    assert load_identifier_order(custom) == ("loanx_id", "cusip")
    # the statement follows the configured order unless its sidecar names matching_fields (loan ids allowed)
    assert statement_options(None, "w", ("loanx_id", "cusip")).matching_fields == ("loanx_id", "cusip")
    assert statement_options({"matching_fields": ["figi"]}, "w", ("loanx_id",)).matching_fields == ("figi",)
    with pytest.raises(InputError, match="unknown fields"):
        statement_options({"comparison_fields": ["loanx_id"]}, "w")  # identifiers are compared by identity


def test_geneva_positions_with_loan_identifiers_only():
    xml = b"""<?xml version="1.0"?><GenevaReport><PeriodEndDate>2026-01-31</PeriodEndDate>
    <Position><LoanXID> lx123456 </LoanXID><InvestmentDescription>Acme</InvestmentDescription><Quantity>100</Quantity>
    </Position><Position><FIGI>bbg000blnnh6</FIGI><Quantity>200</Quantity></Position>
    <Position><AssetID>adm-7</AssetID><Quantity>300</Quantity></Position></GenevaReport>"""
    frame, report_date = parse_geneva(xml, "g.xml")
    assert report_date == dt.date(2026, 1, 31)
    assert frame["loanx_id"].tolist()[0] == "LX123456"
    assert frame["figi"].tolist()[1] == IBM_FIGI
    assert frame["asset_id"].tolist()[2] == "ADM-7"
    assert frame["par_amount"].tolist() == [100.0, 200.0, 300.0]


WORKBOOK = (
    "LoanX ID,CUSIP,Issuer Name,Par Amount,Price\n"
    "LX100001,,Acme Term Loan B,2000000,99.5\n"
    "LX100002,,Beta TLB,1500000,98\n"
    ",037833100,Apple Loan,1000000,100\n"
    "LX100004,,Delta TLB,500000,97\n"
)
STATEMENT = (
    "CUSIP,LoanX ID,FIGI,Obligor,Principal Balance,Market Price\n"
    "000361105,lx100001,,Acme Term Loan B,2000000,99.5\n"
    ",LX100002,,Beta TLB,1600000,98\n"
    "037833100,,,Apple Loan,1000000,100\n"
    f",,{IBM_FIGI},Gamma TLB,250000,99\n"
)


def test_a_trustee_statement_with_loan_identifiers_reconciles_and_is_served(platform, tmp_path):
    tenant = "recloan-" + tmp_path.name[-6:].replace("_", "")
    lander = Lander(platform=platform, root=tmp_path)
    lander.workbook(tenant, "loans.csv", WORKBOOK, {"name": "Loans", "metadata": {"report_date": "2026-01-31"}})
    sidecar = {"mapping_profile_id": "generic_trustee", "metadata": {"report_date": "2026-01-31"}}
    key, result = lander.reconcile(tenant, "trustee", "trustee.csv", STATEMENT, sidecar)
    assert result.success
    with platform.warehouse.connect() as conn:
        recon = conn.execute(sa.select(tables.reconciliations).where(tables.reconciliations.c.partition_key == key))
        recon = recon.mappings().one()
        positions = pd.DataFrame(
            conn.execute(sa.select(tables.positions).where(tables.positions.c.partition_key == key)).mappings().all()
        ).set_index("position_key")
    # By hand: Acme and Beta pair on their LoanX IDs (the workbook has no CUSIP for them), Apple on its CUSIP;
    # Delta is only in the workbook, the FIGI-only Gamma row only in the statement. Beta's par differs by
    # 1,500,000 - 1,600,000 = -100,000: the one variance.
    assert recon["matching_fields"] == ["cusip", "isin", "figi", "loanx_id", "asset_id"]
    summary = recon["summary"]
    assert (summary["matched"], summary["unmatched_internal"], summary["unmatched_external"]) == (3, 1, 1)
    assert summary["variances"] == 1
    assert summary["variances_by_category"]["par"] == 1
    assert positions.loc["loanx_id:LX100001", "matched_on"] == "loanx_id"
    assert positions.loc["loanx_id:LX100002", "variance_count"] == 1
    assert positions.loc["cusip:037833100", "matched_on"] == "cusip"
    assert positions.loc["internal:loanx_id:LX100004", "loanx_id"] == "LX100004"
    assert positions.loc[f"external:figi:{IBM_FIGI}", "figi"] == IBM_FIGI

    platform.run_dbt("build", "--select", "staging.reconciliation", "marts.reconciliation", "+clo_landed_workbooks")
    with TestClient(create_app(api_settings(), instance=platform.instance)) as client:
        headers = {"X-API-Key": create_api_key(platform.warehouse, tenant, "loan ids")}
        detail = client.get(f"/api/v1/reconciliations/{recon['reconciliation_id']}", headers=headers).json()
    assert detail["matching_fields"] == ["cusip", "isin", "figi", "loanx_id", "asset_id"]
    unmatched = {u["position_key"]: (u["side"], u["loanx_id"], u["figi"], u["par_amount"]) for u in detail["unmatched"]}
    assert unmatched == {
        "internal:loanx_id:LX100004": ("internal", "LX100004", None, 500_000.0),
        f"external:figi:{IBM_FIGI}": ("external", None, IBM_FIGI, 250_000.0),
    }
