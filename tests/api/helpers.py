"""Helpers shared by the API tests: settings, tokens, rows and the error-envelope assertion."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

import jwt

from api.settings import ApiSettings
from orchestration.core.settings import DOMAINS

JWT_SECRET = "test-secret-" + "x" * 40
BASE_TIME = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
ROWS_A = 137
ROWS_B = 20


def api_settings(**overrides: Any) -> ApiSettings:
    """Test settings: explicit values so stray CALCBRIDGE_API_* variables cannot change the tests."""
    values: dict[str, Any] = {
        "env": "test",
        "jwt_secret": JWT_SECRET,
        "database_url": None,
        "require_daemon": False,
        "rate_limit_per_second": 0,
        "rate_limit_burst": 0,
        "tenant_rate_limit_per_second": 0,
        "tenant_rate_limit_burst": 0,
        "api_key_cache_seconds": 0,
        "count_cache_seconds": 0,
        "pool_size": 4,
        "max_overflow": 4,
    }
    return ApiSettings(**{**values, **overrides})


def upload_row(tenant: str, i: int) -> dict[str, Any]:
    """Row i of a tenant as the API should return it: landed_at ties in threes, file_name ties every 40
    rows, every tenth a rejection (half of those of unknown size).

    `upload_id` of an accepted file is worked out here independently of dbt: the md5 of
    `domain:tenant:sha256` as a UUID. Rejections get theirs from their ops.landing_log id when inserted.
    """
    rejected = i % 10 == 7
    landed_at = BASE_TIME + dt.timedelta(minutes=i // 3)
    domain = DOMAINS[i % len(DOMAINS)]
    sha = None if rejected else f"{i:064x}"
    file_name = f"file_{i % 40:02d}.xlsx"
    return {
        "upload_id": None if rejected else str(uuid.UUID(hashlib.md5(f"{domain}:{tenant}:{sha}".encode()).hexdigest())),
        "tenant_id": tenant,
        "domain": domain,
        "file_name": file_name,
        "display_name": file_name if rejected else f"File {i}",
        "tags": [] if rejected else ["monthly", f"batch-{i % 4}"],
        "sha256": sha,
        "size_bytes": None if rejected and i % 20 == 7 else 1000 + (i % 17) * 10,
        "partition_key": None if rejected else f"{tenant}.{i:016x}",
        "status": "rejected" if rejected else "accepted",
        "reason_code": "UNSUPPORTED_EXTENSION" if rejected else None,
        "reason": "only .xlsx, .xlsm and .csv are accepted" if rejected else None,
        "landed_at": landed_at,
    }


def make_token(
    tenant: str,
    *,
    roles: list[str] | None = None,
    permissions: list[str] | None = None,
    expires_in: dt.timedelta = dt.timedelta(minutes=5),
    secret: str = JWT_SECRET,
    drop: tuple[str, ...] = (),
    subject: str = "user-1",
) -> str:
    """A seed-000 token; `drop` removes claims to test the required ones."""
    now = dt.datetime.now(dt.UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "tenant_id": tenant,
        "roles": roles or [],
        "permissions": permissions or [],
        "iat": int(now.timestamp()),
        "exp": int((now + expires_in).timestamp()),
    }
    for claim in drop:
        claims.pop(claim)
    return jwt.encode(claims, secret, algorithm="HS256")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_envelope(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is the seed-000 error envelope with this status and code, and echoes its request id."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details", "request_id", "timestamp", "documentation_url"}
    assert error["code"] == code
    assert error["documentation_url"] == f"/docs#error-{code}"
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert dt.datetime.fromisoformat(error["timestamp"]).tzinfo is not None
    return error
