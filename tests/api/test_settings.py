"""Settings validation, API keys and the per-caller rate limit."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.auth import ApiKeyVerifier, RateLimiter
from api.keys import create_api_key, hash_secret, parse_api_key
from api.main import create_app
from api.settings import ApiSettings, get_api_settings
from orchestration.core.schema import api_keys
from tests.api.conftest import Keys, Tenants
from tests.api.helpers import assert_envelope, bearer, make_token


@pytest.mark.parametrize("env", ["production", "test"])
@pytest.mark.parametrize("secret", ["change-me", "short-but-not-placeholder"])
def test_weak_secret_refused_outside_development(env: str, secret: str) -> None:
    with pytest.raises(ValidationError, match="CALCBRIDGE_API_JWT_SECRET"):
        ApiSettings(env=env, jwt_secret=secret)


def test_production_app_refuses_to_build_with_placeholder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALCBRIDGE_API_ENV", "production")
    monkeypatch.delenv("CALCBRIDGE_API_JWT_SECRET", raising=False)
    get_api_settings.cache_clear()
    try:
        with pytest.raises(ValidationError, match="placeholder"):
            create_app()
        monkeypatch.setenv("CALCBRIDGE_API_JWT_SECRET", "s" * 32)
        get_api_settings.cache_clear()
        assert create_app().title == "CalcBridge API"
    finally:
        get_api_settings.cache_clear()


def test_development_allows_the_placeholder() -> None:
    assert ApiSettings(env="development").jwt_secret.get_secret_value() == "change-me"


def test_api_key_stores_only_the_hash(platform: Any, tenants: Tenants) -> None:
    key = create_api_key(platform.warehouse, tenants.a, "hash check")
    parsed = parse_api_key(key)
    assert parsed is not None
    with platform.warehouse.connect() as conn:
        row = conn.execute(sa.select(api_keys).where(api_keys.c.key_id == parsed.key_id)).one()
    assert row.tenant_id == tenants.a
    # The scheme, written out: the stored hash is the hex SHA-256 of the secret part's UTF-8 bytes.
    assert row.key_hash == hashlib.sha256(parsed.secret.encode("utf-8")).hexdigest()
    assert len(row.key_hash) == 64
    # FIPS 180-2's published test vector: SHA-256("abc").
    assert hash_secret("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert parsed.secret not in row.key_hash
    with pytest.raises(ValueError, match="tenant"):
        create_api_key(platform.warehouse, "Not A Tenant!", "x")


def test_rate_limit_per_caller(make_client: Callable[..., TestClient], tenants: Tenants, keys: Keys) -> None:
    client = make_client(rate_limit_per_second=0.001, rate_limit_burst=2)
    token = make_token(tenants.a, roles=["viewer"])
    ok = client.get("/api/v1/dlq/stats", headers=bearer(token))
    assert ok.headers["X-RateLimit-Limit"] == "2"
    assert ok.headers["X-RateLimit-Remaining"] == "1"
    client.get("/api/v1/dlq/stats", headers=bearer(token))
    limited = client.get("/api/v1/dlq/stats", headers=bearer(token))
    assert_envelope(limited, 429, "RATE_LIMIT_EXCEEDED")
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert int(limited.headers["X-RateLimit-Reset"]) > 0
    assert client.get("/api/v1/dlq/stats", headers={"X-API-Key": keys.b}).status_code == 200


class _SyncReader:
    """The Reader protocol over the test's synchronous engine (verification only needs `execute`)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    async def execute(self, statement: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(statement).freeze()()


def test_key_cache_never_accepts_a_wrong_secret(platform: Any, tenants: Tenants) -> None:
    verifier = ApiKeyVerifier(ttl=60)
    key = create_api_key(platform.warehouse, tenants.a, "cache check")
    assert verifier.cached(key) is None
    principal = asyncio.run(verifier.verify(key, _SyncReader(platform.warehouse)))
    assert verifier.cached(key) == principal
    forged = key[: key.rindex("_") + 1] + "Z" * 43
    assert verifier.cached(forged) is None


def test_token_bucket_refills() -> None:
    now = [1000.0]
    limiter = RateLimiter(rate=2.0, burst=2, clock=lambda: now[0])
    assert [limiter.take("c").allowed for _ in range(3)] == [True, True, False]
    assert limiter.take("c").retry_after == 1
    now[0] += 0.5
    assert limiter.take("c").allowed
    assert limiter.take("other").allowed
