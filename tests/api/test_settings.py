"""Settings validation, API keys and the per-caller rate limit."""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.auth import ApiKeyVerifier, RateLimiter
from api.keys import create_api_key, hash_secret, parse_api_key
from api.main import create_app
from api.settings import ApiSettings, get_api_settings, installation_secret
from orchestration.core.schema import api_keys
from orchestration.core.settings import get_settings
from tests.api.conftest import Keys, Tenants
from tests.api.helpers import assert_envelope, bearer, make_token


@pytest.mark.parametrize("env", ["development", "test", "production"])
@pytest.mark.parametrize("secret", ["change-me", "short-but-not-placeholder"])
def test_weak_secret_refused_in_every_environment(env: str, secret: str) -> None:
    with pytest.raises(ValidationError, match="CALCBRIDGE_API_JWT_SECRET"):
        ApiSettings(env=env, jwt_secret=secret)


def test_production_app_refuses_to_build_without_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALCBRIDGE_API_ENV", "production")
    monkeypatch.delenv("CALCBRIDGE_API_JWT_SECRET", raising=False)
    get_api_settings.cache_clear()
    try:
        with pytest.raises(ValidationError, match="CALCBRIDGE_API_ENV=production"):
            create_app()
        monkeypatch.setenv("CALCBRIDGE_API_JWT_SECRET", "s" * 32)
        get_api_settings.cache_clear()
        assert create_app().title == "CalcBridge API"
    finally:
        get_api_settings.cache_clear()


@pytest.fixture
def fresh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A CALCBRIDGE_HOME of its own, so the installation secret is created here."""
    monkeypatch.setenv("CALCBRIDGE_HOME", str(tmp_path))
    monkeypatch.delenv("CALCBRIDGE_API_JWT_SECRET", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_without_a_secret_the_installation_gets_its_own(fresh_home: Path) -> None:
    """Outside production an unset secret is the installation's: random, created once, mode 0600."""
    first = ApiSettings(env="development").secret
    path = fresh_home / "api_jwt_secret"
    assert path.read_text(encoding="utf-8").strip() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert first != "change-me"
    assert ApiSettings(env="test").secret == first  # read back, not made anew


def test_concurrent_first_starts_agree_on_one_secret(tmp_path: Path) -> None:
    """Two workers starting at once (here: eight threads) all read the same complete secret."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        secrets = set(pool.map(lambda _: installation_secret(tmp_path), range(32)))
    assert len(secrets) == 1
    assert secrets == {(tmp_path / "api_jwt_secret").read_text(encoding="utf-8").strip()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["api_jwt_secret"]  # no temporary file left


def test_a_token_signed_with_the_old_placeholder_is_refused(platform: Any, fresh_home: Path, tenants: Tenants) -> None:
    """The attack: a token minted with the public placeholder `change-me` reads nothing on a default set-up."""
    warehouse = platform.warehouse.url.render_as_string(hide_password=False)
    settings = ApiSettings(env="development", require_daemon=False, rate_limit_per_second=0, database_url=warehouse)
    with TestClient(create_app(settings, instance=platform.instance)) as client:
        forged = make_token(tenants.a, roles=["admin"], secret="change-me")
        assert_envelope(client.get("/api/v1/dlq/stats", headers=bearer(forged)), 401, "AUTH_INVALID_TOKEN")
        honest = make_token(tenants.a, roles=["admin"], secret=settings.secret)
        assert client.get("/api/v1/dlq/stats", headers=bearer(honest)).status_code == 200


def test_rotating_subjects_does_not_escape_the_tenant_limit(
    make_client: Callable[..., TestClient], tenants: Tenants
) -> None:
    """300 callers of one tenant (a fresh `sub` each) share the tenant's bucket of 20; another tenant is untouched."""
    client = make_client(
        rate_limit_per_second=0.001, rate_limit_burst=2, tenant_rate_limit_per_second=0.001, tenant_rate_limit_burst=20
    )
    statuses = [
        client.get("/api/v1/dlq/stats", headers=bearer(make_token(tenants.a, roles=["viewer"], subject=f"s{i}")))
        for i in range(300)
    ]
    assert [r.status_code for r in statuses].count(200) == 20
    limited = statuses[-1]
    assert_envelope(limited, 429, "RATE_LIMIT_EXCEEDED")
    assert int(limited.headers["Retry-After"]) >= 1
    other = client.get("/api/v1/dlq/stats", headers=bearer(make_token(tenants.b, roles=["viewer"])))
    assert other.status_code == 200


def test_a_repeated_tenant_header_is_a_400(client: TestClient, keys: Keys, tenants: Tenants) -> None:
    """Two X-Tenant-ID headers (even the caller's own twice) are refused, not resolved by taking the first."""
    headers = [("X-API-Key", keys.a), ("X-Tenant-ID", tenants.a), ("X-Tenant-ID", tenants.b)]
    assert_envelope(client.get("/api/v1/uploads", headers=headers), 400, "VALIDATION_ERROR")
    same = [("X-API-Key", keys.a), ("X-Tenant-ID", tenants.a), ("X-Tenant-ID", tenants.a)]
    assert_envelope(client.get("/api/v1/uploads", headers=same), 400, "VALIDATION_ERROR")
    once = [("X-API-Key", keys.a), ("X-Tenant-ID", tenants.a)]
    assert client.get("/api/v1/dlq/stats", headers=once).status_code == 200


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
