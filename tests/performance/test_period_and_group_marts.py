"""The dbt marts behind the P&L periods and the contribution groups, served, against hand-worked sums.

P&L (seed 003): figures summed, offsetting figures subtracted. A month or quarter column is the calendar
period from its first day up to its last day or endDate, whichever is earlier; MTD and YTD run from the
first day of endDate's month / year to endDate; nothing after endDate counts.
"""

import uuid
from decimal import Decimal

import pytest

from api.keys import create_api_key
from orchestration.core.resources import LandingZoneResource
from tests.performance.helpers import dumps, land

D = Decimal
TENANT = f"hand-{uuid.uuid4().hex[:6]}"

PNL_CSV = """portfolio_id,date,figure,amount,is_offsetting
HAND,2023-12-28,interest_income,10.00,false
HAND,2024-01-05,interest_income,100.00,false
HAND,2024-01-20,management_fees,8.00,true
HAND,2024-02-10,interest_income,40.00,false
HAND,2024-02-10,trading_gains,-15.00,false
HAND,2024-02-20,management_fees,2.50,true
HAND,2024-03-15,management_fees,6.00,true
HAND,2024-03-31,interest_income,20.00,false
HAND,2024-04-02,trading_gains,30.00,false
HAND,2024-04-12,interest_income,25.00,false
HAND,2024-04-12,interest_income,5.00,false
HAND,2024-04-20,management_fees,4.00,true
HAND,2024-05-03,interest_income,50.00,false
"""

GROUPS_DOC = {
    "portfolio": {"id": "GRP", "base_currency": "USD"},
    "series": [{"date": "2024-03-01", "begin_mv": 1000, "end_mv": 1030}],
    "positions": [
        {
            "id": "T1",
            "group_keys": {"sector": "Tech", "region": "US"},
            "series": [{"date": "2024-03-01", "begin_mv": 400, "pnl": 12, "end_mv": 412}],
        },
        {
            "id": "T2",
            "group_keys": {"sector": "Tech"},
            "series": [{"date": "2024-03-01", "begin_mv": 200, "pnl": 10, "end_mv": 210}],
        },
        {
            "id": "E1",
            "group_keys": {"sector": "Energy", "region": "US"},
            "series": [{"date": "2024-03-01", "begin_mv": 300, "pnl": -3, "end_mv": 297}],
        },
        {
            "id": "E2",
            "group_keys": {"sector": "Energy", "region": "EU"},
            "series": [{"date": "2024-03-01", "begin_mv": 100, "pnl": 11, "end_mv": 111}],
        },
    ],
    "config": {"precision_mode": "DECIMAL_STRICT"},
}


@pytest.fixture(scope="module")
def api(platform, tmp_path_factory, make_client):
    """The P&L series and the grouped portfolio landed for one tenant, built into the marts, and a client."""
    root = tmp_path_factory.mktemp("hand")
    zone = LandingZoneResource(landing_root=str(root / "landing"), archive_root=str(root / "archive"), settle_seconds=0)
    for domain, name, content in (
        ("pnl", "hand.csv", PNL_CSV.encode()),
        ("performance", "groups.json", dumps(GROUPS_DOC).encode()),
    ):
        _, outcome = land(platform, zone, TENANT, domain, name, content)
        assert outcome.success
    platform.run_dbt("build", "--select", "+path:models/marts/performance", "+path:models/marts/pnl")
    return make_client(), {"X-API-Key": create_api_key(platform.warehouse, TENANT, "hand-worked")}


def _pnl(api, start: str, end: str) -> dict:
    client, headers = api
    params = {"portfolioId": "HAND", "startDate": start, "endDate": end}
    response = client.get("/api/v1/portfolio/profitloss", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    body["rows"] = {(r["figure"], r["isOffsetting"]): r["values"] for r in body["rows"]}
    return body


def test_a_mid_month_start_across_a_quarter_boundary(api):
    body = _pnl(api, "2024-02-15", "2024-04-15")
    assert [(c["id"], c["startDate"], c["endDate"]) for c in body["columns"]] == [
        ("2024-02", "2024-02-01", "2024-02-29"),  # the whole of February, though startDate is 15 Feb
        ("2024-03", "2024-03-01", "2024-03-31"),
        ("2024-04", "2024-04-01", "2024-04-15"),  # up to endDate
        ("2024-Q1", "2024-01-01", "2024-03-31"),  # the whole quarter holding startDate
        ("2024-Q2", "2024-04-01", "2024-04-15"),
        ("MTD", "2024-04-01", "2024-04-15"),
        ("YTD", "2024-01-01", "2024-04-15"),
    ]
    # interest_income: Feb 40 (10 Feb, before startDate, inside the February column); Mar 20; Apr 25 + 5 = 30
    # (3 May is after endDate); Q1 100 + 40 + 20 = 160; Q2 30; MTD 30; YTD 100 + 40 + 20 + 30 = 190
    # (28 Dec 2023 is last year).
    assert body["rows"][("interest_income", False)] == {
        "2024-02": 40.0, "2024-03": 20.0, "2024-04": 25.0 + 5.0, "2024-Q1": 100.0 + 40.0 + 20.0,
        "2024-Q2": 25.0 + 5.0, "MTD": 25.0 + 5.0, "YTD": 100.0 + 40.0 + 20.0 + 25.0 + 5.0,
    }  # fmt: skip
    # management_fees (offsetting, shown positive): Feb 2.5; Mar 6; Apr 0 (20 Apr is after endDate);
    # Q1 8 + 2.5 + 6 = 16.5; Q2 0; MTD 0; YTD 16.5.
    assert body["rows"][("management_fees", True)] == {
        "2024-02": 2.5, "2024-03": 6.0, "2024-04": 0.0, "2024-Q1": 8.0 + 2.5 + 6.0, "2024-Q2": 0.0, "MTD": 0.0,
        "YTD": 8.0 + 2.5 + 6.0,
    }  # fmt: skip
    # trading_gains: Feb −15; Mar 0; Apr 30; Q1 −15; Q2 30; MTD 30; YTD −15 + 30 = 15.
    assert body["rows"][("trading_gains", False)] == {
        "2024-02": -15.0, "2024-03": 0.0, "2024-04": 30.0, "2024-Q1": -15.0, "2024-Q2": 30.0, "MTD": 30.0,
        "YTD": -15.0 + 30.0,
    }  # fmt: skip
    # Totals = interest_income + trading_gains − management_fees:
    # Feb 40 − 15 − 2.5 = 22.5; Mar 20 − 6 = 14; Apr 30 + 30 = 60; Q1 160 − 15 − 16.5 = 128.5; Q2 60; MTD 60;
    # YTD 190 + 15 − 16.5 = 188.5 (= Q1 + Q2).
    assert body["totals"] == {
        "2024-02": 40.0 - 15.0 - 2.5, "2024-03": 20.0 - 6.0, "2024-04": 30.0 + 30.0,
        "2024-Q1": 160.0 - 15.0 - 16.5, "2024-Q2": 30.0 + 30.0, "MTD": 30.0 + 30.0, "YTD": 190.0 + 15.0 - 16.5,
    }  # fmt: skip


def test_a_mid_month_start_across_a_year_end(api):
    body = _pnl(api, "2023-12-15", "2024-01-25")
    assert [c["id"] for c in body["columns"]] == ["2023-12", "2024-01", "2023-Q4", "2024-Q1", "MTD", "YTD"]
    quarter = next(c for c in body["columns"] if c["id"] == "2023-Q4")
    assert (quarter["startDate"], quarter["endDate"]) == ("2023-10-01", "2023-12-31")
    # Only two figures have facts in these columns (trading_gains starts 10 Feb): no trading_gains row.
    assert set(body["rows"]) == {("interest_income", False), ("management_fees", True)}
    # interest_income: Dec 10 (28 Dec); Jan (1–25) 100; Q4 10; Q1 (1–25 Jan) 100; MTD 100; YTD 100.
    assert body["rows"][("interest_income", False)] == {
        "2023-12": 10.0, "2024-01": 100.0, "2023-Q4": 10.0, "2024-Q1": 100.0, "MTD": 100.0, "YTD": 100.0,
    }  # fmt: skip
    # management_fees: 20 Jan 8 in every January column, 0 in December.
    assert body["rows"][("management_fees", True)] == {
        "2023-12": 0.0, "2024-01": 8.0, "2023-Q4": 0.0, "2024-Q1": 8.0, "MTD": 8.0, "YTD": 8.0,
    }  # fmt: skip
    # Totals: Dec 10; Jan 100 − 8 = 92; Q4 10; Q1 92; MTD 92; YTD 92.
    assert body["totals"] == {
        "2023-12": 10.0, "2024-01": 100.0 - 8.0, "2023-Q4": 10.0, "2024-Q1": 100.0 - 8.0, "MTD": 100.0 - 8.0,
        "YTD": 100.0 - 8.0,
    }  # fmt: skip


def test_an_end_date_between_fact_days_and_before_a_month_s_first_fact(api):
    # 13 Apr lies between 12 Apr and 20 Apr: April to date holds 2 Apr (30) and 12 Apr (25 + 5).
    inside = _pnl(api, "2024-04-05", "2024-04-13")
    assert [c["id"] for c in inside["columns"]] == ["2024-04", "2024-Q2", "MTD", "YTD"]
    assert inside["rows"][("interest_income", False)] == {
        "2024-04": 25.0 + 5.0, "2024-Q2": 25.0 + 5.0, "MTD": 25.0 + 5.0, "YTD": 100.0 + 40.0 + 20.0 + 25.0 + 5.0,
    }  # fmt: skip
    assert inside["rows"][("trading_gains", False)] == {"2024-04": 30.0, "2024-Q2": 30.0, "MTD": 30.0, "YTD": 15.0}
    assert inside["rows"][("management_fees", True)] == {"2024-04": 0.0, "2024-Q2": 0.0, "MTD": 0.0, "YTD": 16.5}
    # Totals: April 30 + 30 = 60; YTD 190 + 15 − 16.5 = 188.5.
    assert inside["totals"] == {"2024-04": 60.0, "2024-Q2": 60.0, "MTD": 60.0, "YTD": 190.0 + 15.0 - 16.5}
    # 1 Apr is before April's first fact (2 Apr): April, Q2 and MTD are 0; March and Q1 are whole.
    first = _pnl(api, "2024-03-20", "2024-04-01")
    assert first["rows"][("interest_income", False)] == {
        "2024-03": 20.0, "2024-04": 0.0, "2024-Q1": 160.0, "2024-Q2": 0.0, "MTD": 0.0, "YTD": 160.0,
    }  # fmt: skip
    # Totals: Mar 20 − 6 = 14; Q1 160 − 15 − 16.5 = 128.5; YTD = Q1 (nothing yet in April).
    assert first["totals"] == {
        "2024-03": 20.0 - 6.0, "2024-04": 0.0, "2024-Q1": 160.0 - 15.0 - 16.5, "2024-Q2": 0.0, "MTD": 0.0,
        "YTD": 160.0 - 15.0 - 16.5,
    }  # fmt: skip


def _groups(api, group_by: str, basis: str = "GROSS") -> list[tuple[str, Decimal]]:
    client, headers = api
    params = {"period": "ITD", "basis": basis, "weighting": "BOD", "linking": "NONE", "group_by": group_by}
    response = client.get("/api/v1/performance/GRP/contribution", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [(line["line"], D(line["contribution"])) for line in response.json()["data"]["lines"]]


def test_contribution_groups_of_one_and_two_keys_in_the_order_asked(api):
    # One day, BOD weighting: a position's contribution is its pnl / the portfolio's begin_mv (1000):
    # T1 12/1000 = 0.012, T2 10/1000 = 0.010, E1 −3/1000 = −0.003, E2 11/1000 = 0.011.
    assert _groups(api, "sector") == [("Energy", D("-0.003") + D("0.011")), ("Tech", D("0.012") + D("0.010"))]
    # T2 has no region: UNCLASSIFIED.
    assert _groups(api, "region") == [
        ("EU", D("0.011")),
        ("UNCLASSIFIED", D("0.010")),
        ("US", D("0.012") + D("-0.003")),
    ]
    assert _groups(api, "sector,region") == [
        ("Energy|EU", D("0.011")),
        ("Energy|US", D("-0.003")),
        ("Tech|UNCLASSIFIED", D("0.010")),
        ("Tech|US", D("0.012")),
    ]
    assert _groups(api, "region,sector") == [
        ("EU|Energy", D("0.011")),
        ("UNCLASSIFIED|Tech", D("0.010")),
        ("US|Energy", D("-0.003")),
        ("US|Tech", D("0.012")),
    ]
    # NET adds the fee line (no fees: 0) as its own group.
    assert dict(_groups(api, "sector", basis="NET")) == {
        "__FEES__": D(0),
        "Energy": D("0.008"),
        "Tech": D("0.022"),
    }


def test_the_portfolio_list_as_of_and_the_period_order_come_from_the_marts(api):
    client, headers = api
    listed = client.get("/api/v1/performance/portfolios", headers=headers).json()
    assert listed["meta"]["as_of"] == "2024-03-01"
    assert listed["diagnostics"]["counts"] == {"portfolios": 1}
    returns = client.get("/api/v1/performance/GRP/returns", headers=headers).json()
    assert [p["period"] for p in returns["data"]["periods"]] == ["ITD", "YTD", "QTD", "MTD", "WTD"]
    # One day is shorter than a year and short periods are not annualized by default.
    assert "not_annualized_shorter_than_one_year: ITD" in returns["diagnostics"]["notes"]
