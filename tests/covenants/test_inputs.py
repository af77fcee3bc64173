"""Validation of deals, covenants and measurements files in seed 001's shapes, as JSON and as CSV."""

import datetime as dt
import json

import pytest

from orchestration.core.errors import InputError
from orchestration.covenants.inputs import check_deal_references, parse_inputs

DEAL_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
COVENANT_ID = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"
DEAL = {
    "id": {"value": DEAL_ID},
    "name": "Demo Leveraged Buyout",
    "borrower": "Demo Corp",
    "sector": "Manufacturing",
    "region": "North America",
    "commitment_amount_cents": 75000000000,
    "currency": "USD",
    "maturity_date_iso": "2029-06-30",
}
COVENANT = {
    "id": {"value": COVENANT_ID},
    "deal_id": {"value": DEAL_ID},
    "name": "Max Leverage Ratio",
    "formula": "total_debt / ebitda",
    "threshold_value_scaled": 450,
    "threshold_direction": "<=",
    "frequency": "QUARTERLY",
}
MEASUREMENTS = {
    "measurements": [
        {
            "deal_id": {"value": DEAL_ID},
            "period_start_iso": "2024-01-01",
            "period_end_iso": "2024-03-31",
            "metric_name": "total_debt",
            "metric_value_scaled": 1000000000,
        },
        {
            "deal_id": {"value": DEAL_ID},
            "period_start_iso": "2024-01-01",
            "period_end_iso": "2024-03-31",
            "metric_name": "ebitda",
            "metric_value_scaled": 300000000,
        },
    ]
}


def _json(payload) -> bytes:
    return json.dumps(payload).encode()


def _problems(content: bytes, name: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_inputs(content, name)
    assert caught.value.code == "VALIDATION_ERROR"
    return caught.value.details["problems"]


def test_the_seed_request_examples_parse():
    deals = parse_inputs(_json(DEAL), "deal.json").deals
    assert deals.to_dict(orient="records") == [
        {
            "deal_id": DEAL_ID,
            "name": "Demo Leveraged Buyout",
            "borrower": "Demo Corp",
            "sector": "Manufacturing",
            "region": "North America",
            "commitment_amount_cents": 75000000000,
            "currency": "USD",
            "maturity_date": dt.date(2029, 6, 30),
            "source_index": 0,
        }
    ]
    covenants = parse_inputs(_json([COVENANT]), "covenants.json").covenants
    assert covenants.loc[0, "threshold_value_scaled"] == 450
    measurements = parse_inputs(_json(MEASUREMENTS), "m.json").measurements
    assert list(measurements["metric_value_scaled"]) == [1000000000, 300000000]
    pack = parse_inputs(_json({"deals": [DEAL], "covenants": [COVENANT], **MEASUREMENTS}), "pack.json")
    assert pack.counts == {"deals": 1, "covenants": 1, "measurements": 2}


def test_csv_with_the_same_field_names():
    deals_csv = (
        "id,name,borrower,sector,region,commitment_amount_cents,currency,maturity_date_iso\n"
        f"{DEAL_ID},Deal A,Borrower A,Retail,Europe,100000,EUR,2030-12-31\n"
    )
    assert parse_inputs(deals_csv.encode(), "deals.csv").deals.loc[0, "commitment_amount_cents"] == 100000
    covenants_csv = (
        "id.value,deal_id.value,name,formula,threshold_value_scaled,threshold_direction,frequency\n"
        f'{COVENANT_ID},{DEAL_ID},Cov,"(ebitda - capex) / interest",125,>=,ANNUAL\n'
    )
    covenant = parse_inputs(covenants_csv.encode(), "covenants.csv").covenants.iloc[0]
    assert covenant["formula"] == "(ebitda - capex) / interest"
    assert covenant["frequency"] == "ANNUAL"
    measurements_csv = (
        "deal_id,period_start_iso,period_end_iso,metric_name,metric_value_scaled\n"
        f"{DEAL_ID},2024-01-01,2024-03-31,ebitda,-5\n"
    )
    assert parse_inputs(measurements_csv.encode(), "m.csv").measurements.loc[0, "metric_value_scaled"] == -5


def test_every_problem_is_reported_with_its_place():
    bad_deal = {
        **DEAL,
        "id": {"value": "not-a-uuid"},
        "commitment_amount_cents": 1.5,
        "currency": "usd",
        "maturity_date_iso": "30/06/2029",
    }
    problems = _problems(_json([bad_deal]), "deals.json")
    assert "deals[0].id: 'not-a-uuid' is not a UUID" in problems
    assert "deals[0].commitment_amount_cents: must be an integer, got 1.5" in problems
    assert "deals[0].currency: must be a 3-letter upper-case code, got 'usd'" in problems
    assert "deals[0].maturity_date_iso: '30/06/2029' is not an ISO date (YYYY-MM-DD)" in problems


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"threshold_direction": "<"}, "covenants[0].threshold_direction: must be one of <=, >=, got '<'"),
        ({"frequency": "MONTHLY"}, "covenants[0].frequency: must be one of QUARTERLY, ANNUAL, got 'MONTHLY'"),
        ({"threshold_value_scaled": "450"}, "covenants[0].threshold_value_scaled: must be an integer, got '450'"),
        ({"threshold_value_scaled": True}, "covenants[0].threshold_value_scaled: must be an integer"),
        (
            {"threshold_value_scaled": 2**63},
            f"covenants[0].threshold_value_scaled: {2**63} does not fit a 64-bit integer",
        ),
        ({"formula": "os.system('x')"}, "covenants[0].formula: \"os.system('x')\": function calls are not allowed"),
        ({"name": ""}, "covenants[0].name: is required"),
    ],
)
def test_covenant_field_rules(change, expected):
    assert expected in _problems(_json([{**COVENANT, **change}]), "covenants.json")


def test_periods_must_be_ordered_and_records_unique():
    row = MEASUREMENTS["measurements"][0]
    reversed_period = {**row, "period_start_iso": "2024-04-01"}
    assert "measurements[0]: period_start_iso 2024-04-01 is after period_end_iso 2024-03-31" in _problems(
        _json({"measurements": [reversed_period]}), "m.json"
    )
    problems = _problems(_json({"measurements": [row, dict(row)]}), "m.json")
    assert problems == [f"measurements[1]: repeats measurements[0] ({DEAL_ID}, 2024-01-01, 2024-03-31, total_debt)"]


def test_unrecognised_shapes_and_broken_files():
    assert _problems(_json([{"hello": 1}]), "x.json") == [
        "[0]: is not a Deal, Covenant or Measurement (see seed 001's models)"
    ]
    with pytest.raises(InputError) as caught:
        parse_inputs(b'{"deals": [', "x.json")
    assert caught.value.code == "INVALID_JSON"
    assert _problems(b"a,b\n1,2\n", "x.csv") == [
        "header: columns ['a', 'b'] match none of deals, covenants or measurements"
    ]
    assert _problems(_json({"deals": []}), "x.json") == ["file: holds no deals, covenants or measurements"]


def test_references_to_unknown_deals_name_them():
    inputs = parse_inputs(_json(MEASUREMENTS), "m.json")
    with pytest.raises(InputError) as caught:
        check_deal_references(inputs, set(), "m.json")
    assert caught.value.code == "UNKNOWN_DEAL"
    assert DEAL_ID in caught.value.message
    assert caught.value.details["unknown_deals"] == {DEAL_ID: ["measurements[0]", "measurements[1]"]}
    check_deal_references(inputs, {DEAL_ID}, "m.json")
    same_file = parse_inputs(_json({"deals": [DEAL], **MEASUREMENTS}), "pack.json")
    check_deal_references(same_file, set(), "pack.json")
