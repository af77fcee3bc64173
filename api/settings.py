"""API settings (env prefix `CALCBRIDGE_API_`), validated so production never runs on a placeholder secret."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me"  # noqa: S105 - the placeholder the validator refuses outside development
MIN_SECRET_LENGTH = 32


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
        default="development", description="Outside development the JWT secret must be real."
    )
    jwt_secret: SecretStr = Field(
        default=SecretStr(PLACEHOLDER_SECRET), description="HS256 key for bearer tokens (32+ characters)."
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
    api_key_cache_seconds: float = Field(
        default=5.0, ge=0, description="How long a verified API key is trusted before it is looked up again."
    )
    count_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long a collection's total_count is reused before it is recounted (0: never).",
    )
    version: str = Field(default_factory=package_version, description="Reported by /status and /health.")

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Self:
        secret = self.jwt_secret.get_secret_value()
        if self.env != "development" and (secret == PLACEHOLDER_SECRET or len(secret) < MIN_SECRET_LENGTH):
            raise ValueError(
                f"CALCBRIDGE_API_JWT_SECRET must be set to a random secret of at least {MIN_SECRET_LENGTH} "
                f"characters when CALCBRIDGE_API_ENV={self.env} (the placeholder is only allowed in development)"
            )
        return self

    @property
    def rate_limited(self) -> bool:
        return self.rate_limit_per_second > 0 and self.rate_limit_burst > 0


@lru_cache(maxsize=1)
def get_api_settings() -> ApiSettings:
    """The process-wide settings (cached; call `get_api_settings.cache_clear()` after changing env)."""
    return ApiSettings()
