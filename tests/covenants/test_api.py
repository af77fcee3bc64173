"""The covenants and ML routes over real marts: seed 001 shapes, tenant isolation, tolerance recompute, jobs."""

import json
import uuid
import warnings

import pytest
import sqlalchemy as sa

from api.keys import create_api_key
from api.main import create_app
from orchestration.covenants.demo import generate_portfolio
from tests.api.helpers import api_settings, assert_envelope
from tests.covenants.conftest import Lander
from tests.covenants.test_inputs import COVENANT, COVENANT_ID, DEAL, DEAL_ID, MEASUREMENTS

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

Q2 = [
    {**m, "period_start_iso": "2024-04-01", "period_end_iso": "2024-06-30", "metric_value_scaled": v}
    for m, v in zip(MEASUREMENTS["measurements"], [1_400_000_000, 300_000_000], strict=True)
]


@pytest.fixture(scope="module")
def world(platform, tmp_path_factory):
    """Tenant a: the seed's deal with two quarters plus a 40-deal generated book (so a model trains, and one
    with validation breaches enough that it flags some HIGH: the promotion rule needs recall > 0 there);
    tenant b: one deal. Files landed, the file job run for each, then the covenants dbt models built."""
    suffix = uuid.uuid4().hex[:6]
    a, b = f"cova-{suffix}", f"covb-{suffix}"
    lander = Lander(platform=platform, root=tmp_path_factory.mktemp("covapi"), store=tmp_path_factory.mktemp("models"))
    book = generate_portfolio(seed=5, n_deals=40, quarters=8)
    pack = {
        "deals": [DEAL, *book.deals],
        "covenants": [COVENANT, *book.covenants],
        "measurements": [*MEASUREMENTS["measurements"], *Q2, *book.measurements],
    }
    runs = {"a": lander.run(lander.land(a, "pack.json", json.dumps(pack)))}
    other_deal = {**DEAL, "id": {"value": "0b0b0b0b-0000-4000-8000-000000000001"}, "name": "Other tenant deal"}
    runs["b"] = lander.run(lander.land(b, "deals.json", json.dumps({"deals": [other_deal]})))
    assert all(r.success for r in runs.values())
    platform.run_dbt("build", "--select", "staging.covenants", "marts.covenants")
    app = create_app(api_settings(), instance=platform.instance)
    client = TestClient(app)
    client.__enter__()
    keys = {
        "a": {"X-API-Key": create_api_key(platform.warehouse, a, "covenants tests")},
        "b": {"X-API-Key": create_api_key(platform.warehouse, b, "covenants tests")},
    }
    yield {"client": client, "keys": keys, "runs": runs, "tenants": (a, b), "book": book, "platform": platform}
    client.__exit__(None, None, None)


def test_deals_in_the_seed_shape_and_paginated(world):
    client, key = world["client"], world["keys"]["a"]
    response = client.get(f"/api/v1/deals/{DEAL_ID}", headers=key)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": {"value": DEAL_ID},
        "name": "Demo Leveraged Buyout",
        "borrower": "Demo Corp",
        "sector": "Manufacturing",
        "region": "North America",
        "commitment_amount_cents": 75000000000,
        "currency": "USD",
        "maturity_date_iso": "2029-06-30",
    }
    seen, cursor = [], None
    while True:
        page = client.get(
            "/api/v1/deals", params={"limit": 7, "order": "asc", **({"cursor": cursor} if cursor else {})}, headers=key
        ).json()
        seen += [d["name"] for d in page["data"]]
        assert page["pagination"]["total_count"] == 41  # the seed's deal + 40 generated
        cursor = page["pagination"]["cursor"]
        if not page["pagination"]["has_more"]:
            break
    assert seen == sorted(seen)
    assert len(seen) == 41


def test_tenant_isolation_is_a_404(world):
    client, key_b = world["client"], world["keys"]["b"]
    assert_envelope(client.get(f"/api/v1/deals/{DEAL_ID}", headers=key_b), 404, "RESOURCE_NOT_FOUND")
    assert_envelope(client.get(f"/api/v1/covenants/{COVENANT_ID}", headers=key_b), 404, "RESOURCE_NOT_FOUND")
    assert_envelope(client.get(f"/api/v1/ml/predictions/{DEAL_ID}", headers=key_b), 404, "RESOURCE_NOT_FOUND")
    assert client.get("/api/v1/deals", headers=key_b).json()["pagination"]["total_count"] == 1
    assert_envelope(client.get("/api/v1/deals/not-a-uuid", headers=key_b), 422, "VALIDATION_ERROR")
    assert_envelope(client.get("/api/v1/deals"), 401, "AUTH_INVALID_TOKEN")


def test_covenants_and_measurements(world):
    client, key = world["client"], world["keys"]["a"]
    covenant = client.get(f"/api/v1/covenants/{COVENANT_ID}", headers=key).json()
    assert covenant == COVENANT
    listed = client.get(f"/api/v1/covenants/by-deal/{DEAL_ID}", headers=key).json()
    assert listed["data"] == [COVENANT]
    everything = client.get(f"/api/v1/measurements/by-deal/{DEAL_ID}", headers=key, params={"order": "asc"}).json()
    assert everything["pagination"]["total_count"] == 4
    q1 = client.get(
        f"/api/v1/measurements/by-deal/{DEAL_ID}/period",
        headers=key,
        params={"period_start": "2024-01-01", "period_end": "2024-03-31", "order": "asc"},
    ).json()
    assert q1["data"] == sorted(MEASUREMENTS["measurements"], key=lambda m: m["metric_name"])
    missing = client.get(f"/api/v1/measurements/by-deal/{DEAL_ID}/period", headers=key)
    assert_envelope(missing, 422, "VALIDATION_ERROR")


def test_evaluations_and_tolerance_recompute(world):
    client, key = world["client"], world["keys"]["a"]
    url = f"/api/v1/evaluations/by-deal/{DEAL_ID}"
    results = client.get(url, headers=key, params={"order": "asc"}).json()["data"]
    # Q1: 1.0e9 / 3.0e8 → 333, headroom 117 > 10 → OK. Q2: 1.4e9 / 3.0e8 = 4.667 → 467 > 450 → BREACH.
    assert [(r["period_start_iso"], r["calculated_value_scaled"], r["status"]) for r in results] == [
        ("2024-01-01", 333, "OK"),
        ("2024-04-01", 467, "BREACH"),
    ]
    assert results[0]["covenant_id"] == {"value": COVENANT_ID}
    assert results[0]["tolerance_ratio_scaled"] == 10
    # Tolerance 120: Q1 headroom 117 ≤ 120 → NEAR_BREACH; a breach stays a breach.
    wide = client.get(url, headers=key, params={"order": "asc", "tolerance_ratio_scaled": 120}).json()["data"]
    assert [(r["status"], r["tolerance_ratio_scaled"]) for r in wide] == [("NEAR_BREACH", 120), ("BREACH", 120)]
    only_q2 = client.get(url, headers=key, params={"period_start": "2024-04-01"}).json()["data"]
    assert [r["period_end_iso"] for r in only_q2] == ["2024-06-30"]


def test_predictions_models_and_jobs(world):
    client, key = world["client"], world["keys"]["a"]
    prediction = client.get(f"/api/v1/ml/predictions/{DEAL_ID}", headers=key).json()
    assert 0 <= prediction["probability"] <= 1
    p = prediction["probability"]
    assert prediction["risk_tier"] == ("HIGH" if p >= 0.66 else "MEDIUM" if p >= 0.33 else "LOW")
    assert prediction["period_end_iso"] == "2024-06-30"
    assert len(prediction["top_features"]) == 3

    active = client.get("/api/v1/ml/models/active", headers=key).json()
    assert active["model_id"] == prediction["model_id"]
    assert active["is_loaded"] is True
    # A path inside the model store, never the server's (issue 13, item 6).
    assert active["model_path"] == f"{world['tenants'][0]}/breach/active.ubj"
    models = client.get("/api/v1/ml/models", headers=key, params={"scope": "breach"}).json()
    assert [m["model_id"] for m in models["data"]] == [active["model_id"]]
    # /status (seed 001): this tenant's model is the newest active one; its file name only, never a server path.
    status = client.get("/status").json()
    assert status["model"] == {"model_id": active["model_id"], "model_path": "active.ubj", "is_loaded": True}
    with world["platform"].warehouse.connect() as conn:
        deals = conn.execute(sa.text("select count(*) from marts.covenant_deals")).scalar_one()
    assert status["data"]["deals"] == deals >= 42  # 41 of tenant a + 1 of tenant b, at least
    assert models["data"][0]["is_active"] is True
    assert models["data"][0]["promoted"] is True
    assert models["data"][0]["promotion_reason"].startswith("first model of its scope; recall ")
    assert models["data"][0]["model_path"] == f"{world['tenants'][0]}/breach/{active['model_id']}.ubj"

    run_id = world["runs"]["a"].run_id
    job = client.get(f"/api/v1/ml/jobs/{run_id}", headers=key).json()
    assert job["status"] == "finished"
    assert job["result"]["model_id"] == active["model_id"]
    assert job["result"]["status"] == "complete"
    assert {"samples_train", "best_round", "early_stopped", "config", "test_metrics"} <= set(job["result"])
    # Tenant b's run trained nothing; tenant a's run is not b's to see.
    other = client.get(f"/api/v1/ml/jobs/{world['runs']['b'].run_id}", headers=world["keys"]["b"]).json()
    assert other["status"] == "finished"
    assert other["result"] is None
    assert_envelope(client.get(f"/api/v1/ml/jobs/{run_id}", headers=world["keys"]["b"]), 404, "RESOURCE_NOT_FOUND")
    assert_envelope(client.get("/api/v1/ml/models/active", headers=world["keys"]["b"]), 404, "RESOURCE_NOT_FOUND")


def test_tolerance_band_boundaries_follow_the_headroom(world):
    """Q1's headroom is 450 - 333 = 117 (a <= covenant): NEAR_BREACH with a band of 117, OK with 116; Q2's is
    450 - 467 = -17, a breach under any band."""
    client, key = world["client"], world["keys"]["a"]
    url = f"/api/v1/evaluations/by-deal/{DEAL_ID}"

    def statuses(band):
        data = client.get(url, headers=key, params={"order": "asc", "tolerance_ratio_scaled": band}).json()["data"]
        return [r["status"] for r in data]

    assert statuses(117) == ["NEAR_BREACH", "BREACH"]
    assert statuses(116) == ["OK", "BREACH"]
    assert statuses(0) == ["OK", "BREACH"]
    with world["platform"].warehouse.connect() as conn:
        headroom = conn.execute(
            sa.text(
                "select headroom_scaled from marts.covenant_evaluations where tenant_id = :t and deal_id = :d"
                " order by sort_key"
            ),
            {"t": world["tenants"][0], "d": DEAL_ID},
        ).scalars()
        assert [int(h) for h in headroom] == [117, -17]


@pytest.mark.parametrize("band", [0, 25, 120])
def test_every_recomputed_status_is_the_boundary_rule_on_the_served_values(world, band):
    """Across the generated book (<= and >= covenants): worked from each served row, value against threshold."""
    client, key = world["client"], world["keys"]["a"]
    for deal in world["book"].deals[:6]:
        url = f"/api/v1/evaluations/by-deal/{deal['id']['value']}"
        stored = client.get(url, headers=key, params={"limit": 200}).json()["data"]
        banded = client.get(url, headers=key, params={"limit": 200, "tolerance_ratio_scaled": band}).json()["data"]
        assert [r["covenant_id"] for r in banded] == [r["covenant_id"] for r in stored]
        for before, row in zip(stored, banded, strict=True):
            value, threshold = row["calculated_value_scaled"], row["threshold_value_scaled"]
            assert row["tolerance_ratio_scaled"] == band
            if value is None:
                assert row["status"] == before["status"] in ("MISSING_DATA", "ERROR")
                continue
            headroom = threshold - value if row["threshold_direction"] == "<=" else value - threshold
            expected = "BREACH" if headroom < 0 else "NEAR_BREACH" if headroom <= band else "OK"
            assert row["status"] == expected, row
