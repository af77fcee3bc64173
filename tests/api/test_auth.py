"""Authentication, permissions and tenant scoping on the data routes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.keys import parse_api_key
from tests.api.conftest import Keys, Tenants
from tests.api.helpers import assert_envelope, bearer, make_token

UPLOADS = "/api/v1/uploads"


@pytest.fixture(autouse=True)
def _rows(uploads_rows: Any) -> None:
    """Every test here reads marts.uploads."""


def test_no_credentials_is_401(client: TestClient) -> None:
    error = assert_envelope(client.get(UPLOADS), 401, "AUTH_INVALID_TOKEN")
    assert "X-API-Key" in error["message"]


@pytest.mark.parametrize(
    "key",
    [
        "not-a-key",
        "cb_0123456789abcdef_" + "A" * 43,  # well-formed, unknown key id
    ],
)
def test_malformed_or_unknown_key_is_401(client: TestClient, key: str) -> None:
    assert_envelope(client.get(UPLOADS, headers={"X-API-Key": key}), 401, "AUTH_INVALID_TOKEN")


def test_wrong_secret_is_401(client: TestClient, keys: Keys) -> None:
    parsed = parse_api_key(keys.a)
    assert parsed is not None
    forged = f"cb_{parsed.key_id}_{'B' * 43}"
    assert_envelope(client.get(UPLOADS, headers={"X-API-Key": forged}), 401, "AUTH_INVALID_TOKEN")


def test_revoked_key_is_401(client: TestClient, keys: Keys) -> None:
    error = assert_envelope(client.get(UPLOADS, headers={"X-API-Key": keys.revoked}), 401, "AUTH_INVALID_TOKEN")
    assert "revoked" in error["message"]


def test_valid_key_reads(client: TestClient, keys: Keys) -> None:
    assert client.get(UPLOADS, headers={"X-API-Key": keys.a}).status_code == 200


def test_expired_jwt_is_401(client: TestClient, tenants: Tenants) -> None:
    token = make_token(tenants.a, roles=["viewer"], expires_in=-dt.timedelta(minutes=5))
    error = assert_envelope(client.get(UPLOADS, headers=bearer(token)), 401, "AUTH_INVALID_TOKEN")
    assert "expired" in error["message"]


def test_jwt_with_wrong_signature_is_401(client: TestClient, tenants: Tenants) -> None:
    token = make_token(tenants.a, roles=["viewer"], secret="another-secret-" + "y" * 40)
    assert_envelope(client.get(UPLOADS, headers=bearer(token)), 401, "AUTH_INVALID_TOKEN")


@pytest.mark.parametrize("claim", ["tenant_id", "sub", "exp"])
def test_jwt_missing_claim_is_401(client: TestClient, tenants: Tenants, claim: str) -> None:
    token = make_token(tenants.a, roles=["viewer"], drop=(claim,))
    assert_envelope(client.get(UPLOADS, headers=bearer(token)), 401, "AUTH_INVALID_TOKEN")


def test_jwt_without_permission_is_403(client: TestClient, tenants: Tenants) -> None:
    token = make_token(tenants.a, permissions=["read:dlq", "write:scenarios"])
    error = assert_envelope(client.get(UPLOADS, headers=bearer(token)), 403, "AUTH_INSUFFICIENT_PERMISSIONS")
    assert "read:uploads" in error["message"]


@pytest.mark.parametrize(
    ("roles", "permissions"),
    [(["viewer"], []), (["analyst"], []), (["admin"], []), ([], ["read:uploads"]), ([], ["read:*"])],
)
def test_roles_and_permissions_that_grant_read(
    client: TestClient, tenants: Tenants, roles: list[str], permissions: list[str]
) -> None:
    token = make_token(tenants.a, roles=roles, permissions=permissions)
    assert client.get(UPLOADS, headers=bearer(token)).status_code == 200


def test_other_tenants_upload_is_404_by_jwt_and_by_key(
    client: TestClient, tenants: Tenants, keys: Keys, uploads_rows: Any
) -> None:
    upload_id = uploads_rows[tenants.a][1]["upload_id"]
    own = client.get(f"{UPLOADS}/{upload_id}", headers={"X-API-Key": keys.a})
    assert own.status_code == 200
    assert own.json()["tenant_id"] == tenants.a
    as_b_key = client.get(f"{UPLOADS}/{upload_id}", headers={"X-API-Key": keys.b})
    assert_envelope(as_b_key, 404, "RESOURCE_NOT_FOUND")
    as_b_jwt = client.get(f"{UPLOADS}/{upload_id}", headers=bearer(make_token(tenants.b, roles=["admin"])))
    assert_envelope(as_b_jwt, 404, "RESOURCE_NOT_FOUND")
    unknown = client.get(f"{UPLOADS}/upl_does_not_exist", headers={"X-API-Key": keys.b})
    assert as_b_key.json()["error"]["message"] == unknown.json()["error"]["message"].replace(
        "upl_does_not_exist", upload_id
    ), "another tenant's upload must look exactly like an unknown one"


def test_x_tenant_id_must_match_the_credential(client: TestClient, tenants: Tenants, keys: Keys) -> None:
    mismatch = client.get(UPLOADS, headers={"X-API-Key": keys.a, "X-Tenant-ID": tenants.b})
    assert_envelope(mismatch, 403, "AUTH_INSUFFICIENT_PERMISSIONS")
    token = make_token(tenants.a, roles=["viewer"])
    assert_envelope(
        client.get(UPLOADS, headers={**bearer(token), "X-Tenant-ID": tenants.b}), 403, "AUTH_INSUFFICIENT_PERMISSIONS"
    )
    assert client.get(UPLOADS, headers={"X-API-Key": keys.a, "X-Tenant-ID": tenants.a}).status_code == 200
