"""Who is calling: API keys and HS256 JWTs become a tenant-bound Principal; permissions and rate limits."""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import jwt
import sqlalchemy as sa
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.engine import Result
from sqlalchemy.sql import Executable

from api.errors import ApiError, ErrorCode
from api.keys import hash_secret, parse_api_key
from orchestration.core.schema import api_keys
from orchestration.core.settings import TENANT_PATTERN

JWT_ALGORITHM = "HS256"
READ_ROLES = frozenset({"admin", "analyst", "viewer"})
"""Roles that grant every `read:*` permission."""

UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer, ApiKey header="X-API-Key"'}
_DUMMY_HASH = hash_secret("no-such-key")


class KeyReader(Protocol):
    """What key verification needs of the request's warehouse access (`api.deps.Reader`)."""

    async def execute(self, statement: Executable) -> Result[Any]: ...


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller, bound to exactly one tenant."""

    subject: str
    tenant_id: str
    kind: Literal["api_key", "jwt"]
    roles: frozenset[str] = frozenset()
    permissions: frozenset[str] = frozenset()

    def can(self, permission: str) -> bool:
        """API keys and the read roles hold every read permission; otherwise the token must list it."""
        if permission.startswith("read:") and (self.kind == "api_key" or self.roles & READ_ROLES):
            return True
        return permission in self.permissions or f"{permission.split(':', 1)[0]}:*" in self.permissions


class TokenClaims(BaseModel):
    """The seed-000 token structure; `exp` is enforced by PyJWT before this model sees the claims."""

    sub: str = Field(min_length=1)
    tenant_id: str = Field(pattern=TENANT_PATTERN.pattern)
    roles: list[str] = Field(default_factory=list)
    permissions: list[str] = Field(default_factory=list)
    exp: int


def invalid_token(message: str) -> ApiError:
    return ApiError(401, message, code=ErrorCode.AUTH_INVALID_TOKEN, headers=UNAUTHORIZED_HEADERS)


def principal_from_jwt(token: str, secret: str) -> Principal:
    """Verify signature, expiry and required claims, or raise 401 AUTH_INVALID_TOKEN."""
    try:
        payload = jwt.decode(
            token, secret, algorithms=[JWT_ALGORITHM], options={"require": ["exp", "sub", "tenant_id"]}, leeway=5
        )
        claims = TokenClaims.model_validate(payload)
    except jwt.ExpiredSignatureError:
        raise invalid_token("token has expired") from None
    except jwt.MissingRequiredClaimError as error:
        raise invalid_token(f"token is missing the {error.claim!r} claim") from None
    except (jwt.InvalidTokenError, ValidationError):
        raise invalid_token("token is invalid") from None
    return Principal(
        subject=claims.sub,
        tenant_id=claims.tenant_id,
        kind="jwt",
        roles=frozenset(claims.roles),
        permissions=frozenset(claims.permissions),
    )


class ApiKeyVerifier:
    """Checks presented keys against ops.api_keys, trusting a verified key for `ttl` seconds."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._verified: dict[str, tuple[str, str, float]] = {}
        self._lock = threading.Lock()

    def cached(self, key: str) -> Principal | None:
        """The principal of a key verified less than `ttl` seconds ago (no I/O), else None."""
        parsed = parse_api_key(key)
        entry = self._verified.get(parsed.key_id) if parsed is not None else None
        if parsed is None or entry is None or entry[2] <= self._clock():
            return None
        if not hmac.compare_digest(hash_secret(parsed.secret), entry[1]):
            return None
        return Principal(subject=f"apikey:{parsed.key_id}", tenant_id=entry[0], kind="api_key")

    async def verify(self, key: str, db: KeyReader) -> Principal:
        """Look the key up: its principal, or 401 for malformed, unknown, wrong or revoked keys."""
        parsed = parse_api_key(key)
        if parsed is None:
            raise invalid_token("API key is invalid")
        presented = hash_secret(parsed.secret)
        result = await db.execute(
            sa.select(api_keys.c.tenant_id, api_keys.c.key_hash, api_keys.c.revoked_at).where(
                api_keys.c.key_id == parsed.key_id
            )
        )
        row = result.first()
        stored = row.key_hash if row is not None else _DUMMY_HASH
        if not hmac.compare_digest(presented, stored) or row is None:
            raise invalid_token("API key is invalid")
        if row.revoked_at is not None:
            raise invalid_token("API key has been revoked")
        if self._ttl > 0:
            with self._lock:
                self._verified[parsed.key_id] = (row.tenant_id, stored, self._clock() + self._ttl)
        return Principal(subject=f"apikey:{parsed.key_id}", tenant_id=row.tenant_id, kind="api_key")


@dataclass(frozen=True, slots=True)
class RateDecision:
    """The outcome of taking one token from a caller's bucket."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: int
    retry_after: int

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class RateLimiter:
    """An in-process token bucket per caller: `rate` tokens a second, at most `burst` saved up."""

    MAX_BUCKETS = 10_000

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.time) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, caller: str) -> RateDecision:
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(caller, (float(self._burst), now))
            tokens = min(float(self._burst), tokens + (now - last) * self._rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            if len(self._buckets) >= self.MAX_BUCKETS and caller not in self._buckets:
                self._buckets.clear()
            self._buckets[caller] = (tokens, now)
        full_in = (self._burst - tokens) / self._rate
        return RateDecision(
            allowed=allowed,
            limit=self._burst,
            remaining=int(tokens),
            reset_at=math.ceil(now + full_in),
            retry_after=0 if allowed else max(1, math.ceil((1.0 - tokens) / self._rate)),
        )


def rate_limited(decision: RateDecision) -> ApiError:
    return ApiError(
        429,
        f"rate limit exceeded: at most {decision.limit} requests in a burst; retry after {decision.retry_after}s",
        code=ErrorCode.RATE_LIMIT_EXCEEDED,
        headers=decision.headers(),
    )
