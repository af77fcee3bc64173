"""The read-only method guard, the error envelope everywhere, request ids, OpenAPI and 500s."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Keys
from tests.api.helpers import assert_envelope


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/api/v1/uploads", "/api/v1/uploads/upl_1", "/api/v1/dlq", "/nowhere", "/healthz"])
def test_writes_are_405_everywhere(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, json={"x": 1})
    error = assert_envelope(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert "landing zone" in error["message"]


def test_every_error_code_has_its_anchor_in_the_api_reference(client: TestClient) -> None:
    """documentation_url points at `/docs#error-<code>`; the OpenAPI description carries each anchor."""
    description = client.get("/openapi.json").json()["info"]["description"]
    for code in ("AUTH_INVALID_TOKEN", "METHOD_NOT_ALLOWED", "RESOURCE_NOT_FOUND", "VALIDATION_ERROR"):
        assert f'<a id="error-{code}"></a>**{code}**' in description


def test_unknown_get_route_is_404_envelope(client: TestClient) -> None:
    error = assert_envelope(client.get("/api/v1/nothing-here"), 404, "RESOURCE_NOT_FOUND")
    assert "/api/v1/nothing-here" in error["message"]


def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "trace-123.abc"})
    assert given.headers["X-Request-ID"] == "trace-123.abc"
    generated = client.get("/healthz")
    assert generated.headers["X-Request-ID"].startswith("req_")
    insane = client.get("/api/v1/uploads", headers={"X-Request-ID": "bad id with spaces"})
    error = assert_envelope(insane, 401, "AUTH_INVALID_TOKEN")
    assert error["request_id"].startswith("req_")
    echoed_error = client.get("/api/v1/uploads", headers={"X-Request-ID": "trace-456"})
    assert assert_envelope(echoed_error, 401, "AUTH_INVALID_TOKEN")["request_id"] == "trace-456"


def test_head_and_options(client: TestClient, keys: Keys, uploads_rows: Any) -> None:
    head = client.head("/healthz")
    assert head.status_code == 200
    assert head.content == b""
    data_head = client.head("/api/v1/uploads", headers={"X-API-Key": keys.a})
    assert data_head.status_code == 200
    assert data_head.content == b""
    assert int(data_head.headers["content-length"]) > 0
    options = client.options("/api/v1/uploads")
    assert options.status_code == 204
    assert options.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert_envelope(client.options("/nowhere"), 404, "RESOURCE_NOT_FOUND")


def test_validation_error_details(client: TestClient, keys: Keys, uploads_rows: Any) -> None:
    response = client.get("/api/v1/uploads?limit=0&order=sideways", headers={"X-API-Key": keys.a})
    error = assert_envelope(response, 422, "VALIDATION_ERROR")
    fields = {d["field"]: d for d in error["details"]}
    assert set(fields) == {"limit", "order"}
    assert all(set(d) == {"field", "message", "code"} for d in error["details"])
    assert fields["limit"]["code"] == "GREATER_THAN_EQUAL"


def test_unhandled_error_is_500_without_internals(
    make_client: Callable[..., TestClient], keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client()
    runtime = client.app.state.runtime  # type: ignore[attr-defined]

    def explode(*_: Any) -> None:
        raise RuntimeError("secret connection string postgres://admin:hunter2@db")

    monkeypatch.setattr(runtime.keys, "verify", explode)
    response = client.get("/api/v1/uploads", headers={"X-API-Key": keys.a})
    error = assert_envelope(response, 500, "PROCESSING_ERROR")
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert error["details"] == []


def test_openapi_documents_models_errors_and_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    assert {"UploadOut", "DlqItemOut", "DlqStatsOut", "ErrorEnvelope", "StatusOut", "DetailedHealthOut"} <= set(
        components
    )
    assert components["UploadOut"]["examples"]
    listing = schema["paths"]["/api/v1/uploads"]["get"]
    assert set(listing["responses"]) >= {"200", "401", "403", "422", "429"}
    assert listing["responses"]["401"]["content"]["application/json"]["example"]["error"]["code"] == (
        "AUTH_INVALID_TOKEN"
    )
    assert set(schema["paths"]) >= {"/api/v1/dlq", "/api/v1/dlq/stats", "/healthz", "/readyz", "/metrics"}
    assert all(set(ops) == {"get"} for ops in schema["paths"].values())
    assert client.get("/docs").status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/api/v1/uploads?cursor=%00", "/api/v1/uploads/upl_%00x", "/api/v1/deals?order=asc&x=a%00b", "/healthz?q=%00"],
)
def test_a_nul_byte_in_any_parameter_is_a_422(client: TestClient, keys: Keys, path: str) -> None:
    """Postgres text cannot hold NUL, so it is refused before any route runs (it was a 500 from the driver)."""
    error = assert_envelope(client.get(path, headers={"X-API-Key": keys.a}), 422, "VALIDATION_ERROR")
    assert "NUL" in error["message"]
