"""`/api/v1/webhooks/deliveries`: attempts written to ops.webhook_deliveries, served through the dbt view per tenant.

The rows are written here where the delivery job writes them; the expected order and pages are worked out by hand
(newest first, ties broken by `<delivery_id>.<attempt>` descending).
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

import api.main as api_main
from api.routers import webhooks as webhooks_router
from orchestration.core.events import EVENT_TYPES
from orchestration.core.webhooks import ATTEMPT_STATUSES
from orchestration.ops.tables import webhook_deliveries
from tests.api.conftest import Keys, Tenants
from tests.api.helpers import api_settings, assert_envelope, bearer, make_token

DELIVERIES = "/api/v1/webhooks/deliveries"
T0 = dt.datetime(2026, 1, 25, 10, 30, tzinfo=dt.UTC)
D1, D2, D3, D4 = (f"{c * 8}-0000-4000-8000-{c * 12}" for c in "abcd")


def _row(tenant: str, delivery: str, attempt: int, seconds: int, **values: Any) -> dict[str, Any]:
    return {
        "delivery_id": delivery,
        "attempt": attempt,
        "tenant_id": tenant,
        "attempted_at": T0 + dt.timedelta(seconds=seconds),
        "run_id": None,
        "http_status": None,
        "error": None,
        "delay_seconds": None,
        **values,
    }


def _rows(a: str, b: str) -> list[dict[str, Any]]:
    e1 = {"webhook_id": "hook-1", "event_id": 101, "event_uuid": "u-101", "event_type": "compliance.failed"}
    e2 = {"webhook_id": "hook-2", "event_id": 102, "event_uuid": "u-102", "event_type": "alert.triggered"}
    e3 = {"webhook_id": "hook-1", "event_id": 103, "event_uuid": "u-103", "event_type": "workbook.updated"}
    e4 = {"webhook_id": "hook-b", "event_id": 104, "event_uuid": "u-104", "event_type": "compliance.failed"}
    return [
        _row(a, D1, 1, 0, **e1, status="retrying", http_status=500, error="HTTP 500", delay_seconds=1.0),
        _row(a, D1, 2, 1, **e1, status="retrying", http_status=500, error="HTTP 500", delay_seconds=2.0),
        _row(a, D1, 3, 3, **e1, status="delivered", http_status=200, run_id="run-1"),
        _row(a, D2, 1, 3, **e2, status="not_retried", http_status=404, error="HTTP 404"),
        _row(a, D3, 1, 5, **e3, status="retrying", http_status=429, error="HTTP 429", delay_seconds=7.0),
        _row(a, D3, 2, 12, **e3, status="delivered", http_status=200),
        _row(b, D4, 1, 2, **e4, status="delivered", http_status=200),
    ]


NEWEST_FIRST = [f"{D3}.2", f"{D3}.1", f"{D2}.1", f"{D1}.3", f"{D1}.2", f"{D1}.1"]
"""Tenant a's attempts by hand: 12 s, 5 s, then the 3 s tie (D2's id sorts after D1's), 1 s, 0 s."""


@pytest.fixture(scope="module")
def served(platform: Any, tenants: Tenants) -> Iterator[TestClient]:
    """Rows in ops.webhook_deliveries, the views built by dbt, and the API with the router mounted."""
    with platform.warehouse.begin() as conn:
        conn.execute(webhook_deliveries.insert(), _rows(tenants.a, tenants.b))
    platform.run_dbt("run", "--select", "stg_webhook_deliveries", "webhook_deliveries")
    with pytest.MonkeyPatch.context() as patch:
        if webhooks_router.router not in api_main.API_V1_ROUTERS:  # until api/routers registers it
            patch.setattr(api_main, "API_V1_ROUTERS", (*api_main.API_V1_ROUTERS, webhooks_router.router))
        app = api_main.create_app(api_settings(), instance=platform.instance)
    with TestClient(app) as client:
        yield client


def _get(client: TestClient, key: str, **params: Any) -> Any:
    response = client.get(DELIVERIES, params=params, headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    return response.json()


def test_lists_the_callers_attempts_newest_first(served: TestClient, keys: Keys, tenants: Tenants) -> None:
    body = _get(served, keys.a)
    assert [d["id"] for d in body["data"]] == NEWEST_FIRST
    assert body["pagination"] == {"cursor": None, "has_more": False, "total_count": 6}
    assert body["data"][1] == {
        "id": f"{D3}.1",
        "delivery_id": D3,
        "attempt": 1,
        "webhook_id": "hook-1",
        "event_id": 103,
        "event_uuid": "u-103",
        "event_type": "workbook.updated",
        "status": "retrying",
        "http_status": 429,
        "error": "HTTP 429",
        "delay_seconds": 7.0,
        "run_id": None,
        "attempted_at": "2026-01-25T10:30:05Z",
    }
    other = _get(served, keys.b)
    assert [d["id"] for d in other["data"]] == [f"{D4}.1"]
    assert other["pagination"]["total_count"] == 1


def test_pages_walk_every_attempt_once_in_both_orders(served: TestClient, keys: Keys) -> None:
    for order, expected in (("desc", NEWEST_FIRST), ("asc", NEWEST_FIRST[::-1])):
        seen, cursor = [], None
        while True:
            params = {"limit": 4, "order": order, **({"cursor": cursor} if cursor else {})}
            body = _get(served, keys.a, **params)
            seen += [d["id"] for d in body["data"]]
            cursor = body["pagination"]["cursor"]
            assert body["pagination"]["has_more"] == (cursor is not None)
            if cursor is None:
                break
        assert seen == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"webhook_id": "hook-1"}, [f"{D3}.2", f"{D3}.1", f"{D1}.3", f"{D1}.2", f"{D1}.1"]),
        ({"event_type": "alert.triggered"}, [f"{D2}.1"]),
        ({"status": "retrying"}, [f"{D3}.1", f"{D1}.2", f"{D1}.1"]),
        ({"webhook_id": "hook-1", "status": "delivered"}, [f"{D3}.2", f"{D1}.3"]),
        ({"webhook_id": "hook-b"}, []),  # another tenant's subscription
    ],
)
def test_filters(served: TestClient, keys: Keys, params: dict[str, str], expected: list[str]) -> None:
    body = _get(served, keys.a, **params)
    assert [d["id"] for d in body["data"]] == expected
    assert body["pagination"]["total_count"] == len(expected)


def test_without_credentials_is_401(served: TestClient) -> None:
    assert_envelope(served.get(DELIVERIES), 401, "AUTH_INVALID_TOKEN")


def test_a_token_without_read_webhooks_is_403(served: TestClient, tenants: Tenants) -> None:
    token = make_token(tenants.a, permissions=["read:clo", "read:uploads"])
    assert_envelope(served.get(DELIVERIES, headers=bearer(token)), 403, "AUTH_INSUFFICIENT_PERMISSIONS")
    allowed = make_token(tenants.a, permissions=["read:webhooks"])
    assert served.get(DELIVERIES, headers=bearer(allowed)).status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "queued"}, "status"),
        ({"event_type": "compliance.passed"}, "event_type"),
        ({"webhook_id": "no spaces"}, "webhook_id"),
        ({"limit": 0}, "limit"),
        ({"cursor": "not base64 at all!"}, "cursor"),
    ],
)
def test_bad_parameters_are_422(served: TestClient, keys: Keys, params: dict[str, Any], field: str) -> None:
    response = served.get(DELIVERIES, params=params, headers={"X-API-Key": keys.a})
    assert assert_envelope(response, 422, "VALIDATION_ERROR")["details"][0]["field"] == field


def test_the_vocabularies_match_the_pipelines_and_the_document_has_an_example(served: TestClient) -> None:
    assert typing.get_args(webhooks_router.EventType) == EVENT_TYPES
    assert typing.get_args(webhooks_router.AttemptStatus) == ATTEMPT_STATUSES
    schema = served.get("/openapi.json").json()
    operation = schema["paths"][DELIVERIES]["get"]
    assert {"401", "403", "422"} <= set(operation["responses"])
    model = schema["components"]["schemas"]["WebhookDeliveryOut"]
    assert model["examples"][0] == webhooks_router.DELIVERY_EXAMPLE
