"""API settings (env prefix `CALCBRIDGE_API_`), validated so no environment runs on a placeholder secret."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from orchestration.core.settings import get_settings

PLACEHOLDER_SECRET = "change-me"  # noqa: S105 - the old placeholder: refused in every environment
MIN_SECRET_LENGTH = 32
SECRET_FILE = "api_jwt_secret"  # noqa: S105 - a file name, not a secret
"""The installation's JWT secret, under CALCBRIDGE_HOME (mode 0600), for development and test runs."""


def installation_secret(home: Path) -> str:
    """The installation's random JWT secret, created (mode 0600, exclusively) the first time it is asked for.

    `calcbridge up` and an API started without CALCBRIDGE_API_JWT_SECRET share it, so tokens minted for one
    installation are worthless on another, and no secret anyone can read in the source works anywhere.
    """
    path = home / SECRET_FILE
    home.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written whole under a temporary name, then linked into place: a concurrent first start (two uvicorn
        # workers) either links its own or finds the other's complete file, never a half-written one.
        fd, temporary = tempfile.mkstemp(dir=home, prefix=f".{SECRET_FILE}.")  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    secret = path.read_text(encoding="utf-8").strip()
    if len(secret) < MIN_SECRET_LENGTH:
        raise ValueError(f"{path} holds no usable secret: delete it to create a new one")
    return secret


def package_version() -> str:
    """The installed calcbridge version, or 0.0.0 when running from an uninstalled checkout."""
    try:
        return version("calcbridge")
    except PackageNotFoundError:
        return "0.0.0"


class ApiSettings(BaseSettings):
    """Everything the API reads from the environment; invalid combinations fail at construction."""

    model_config = SettingsConfigDict(env_prefix="CALCBRIDGE_API_", extra="ignore")

    env: Literal["development", "test", "production"] = Field(
        default="development", description="In production the JWT secret must be given explicitly."
    )
    jwt_secret: SecretStr | None = Field(
        default=None,
        description=(
            "HS256 key for bearer tokens (32+ characters). Unset: the installation's own random secret "
            "(CALCBRIDGE_HOME/api_jwt_secret, created on first use) outside production; required in production."
        ),
    )
    database_url: str | None = Field(
        default=None, description="Warehouse URL; unset means the platform's (embedded server or DATABASE_URL)."
    )
    pool_size: int = Field(default=10, ge=1, le=200, description="Connections kept open per worker.")
    max_overflow: int = Field(default=10, ge=0, le=200, description="Extra connections allowed under bursts.")
    connect_timeout_seconds: int = Field(default=3, ge=1, le=60, description="Postgres connect timeout.")
    statement_timeout_ms: int = Field(default=10_000, ge=0, description="Server-side cap on one query (0: none).")
    daemon_stale_seconds: float = Field(
        default=120.0, gt=0, description="A daemon heartbeat older than this makes /readyz degraded."
    )
    require_daemon: bool = Field(default=True, description="/readyz is 503 while the Dagster daemon is stale.")
    rate_limit_per_second: float = Field(
        default=200.0, ge=0, description="Token refill per caller per second (0 disables rate limiting)."
    )
    rate_limit_burst: int = Field(default=500, ge=0, description="Bucket size per caller (0 disables).")
    tenant_rate_limit_per_second: float = Field(
        default=1000.0,
        ge=0,
        description="Token refill per tenant per second, over all its callers (0 disables the tenant limit).",
    )
    tenant_rate_limit_burst: int = Field(default=2000, ge=0, description="Bucket size per tenant (0 disables).")
    api_key_cache_seconds: float = Field(
        default=5.0, ge=0, description="How long a verified API key is trusted before it is looked up again."
    )
    count_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long a collection's total_count is reused before it is recounted (0: never).",
    )
    ws_heartbeat_seconds: float = Field(
        default=30.0, gt=0, le=3600, description="The WebSocket /ws sends {type: heartbeat} this often."
    )
    ws_max_connections_per_tenant: int = Field(
        default=20,
        ge=1,
        le=10_000,
        description="Open /ws connections a tenant may hold per API process (4429 past it).",
    )
    ws_queue_size: int = Field(
        default=1000,
        ge=1,
        description="Messages a /ws client may fall behind before it is closed (1013) to resume with since=.",
    )
    ws_late_commit_seconds: float = Field(
        default=30.0,
        ge=0,
        description=(
            "How long the /ws dispatcher still looks for an event that commits after a later-numbered one of the "
            "same tenant (concurrent writes), so it is streamed rather than skipped."
        ),
    )
    version: str = Field(default_factory=package_version, description="Reported by /status and /health.")

    @model_validator(mode="after")
    def _require_a_real_secret(self) -> Self:
        if self.jwt_secret is None:
            if self.env == "production":
                raise ValueError(
                    "CALCBRIDGE_API_JWT_SECRET must be set to a random secret of at least "
                    f"{MIN_SECRET_LENGTH} characters when CALCBRIDGE_API_ENV=production (every worker must share it)"
                )
            self.jwt_secret = SecretStr(installation_secret(get_settings().home))
        secret = self.jwt_secret.get_secret_value()
        if secret == PLACEHOLDER_SECRET or len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"CALCBRIDGE_API_JWT_SECRET must be a random secret of at least {MIN_SECRET_LENGTH} characters "
                "(the placeholder is refused in every environment; unset it outside production to use the "
                "installation's own secret)"
            )
        return self

    @property
    def secret(self) -> str:
        """The JWT secret (always set once validated)."""
        assert self.jwt_secret is not None
        return self.jwt_secret.get_secret_value()

    @property
    def rate_limited(self) -> bool:
        return self.rate_limit_per_second > 0 and self.rate_limit_burst > 0

    @property
    def tenant_rate_limited(self) -> bool:
        return self.tenant_rate_limit_per_second > 0 and self.tenant_rate_limit_burst > 0


@lru_cache(maxsize=1)
def get_api_settings() -> ApiSettings:
    """The process-wide settings (cached; call `get_api_settings.cache_clear()` after changing env)."""
    return ApiSettings()
