"""Platform settings shared by the CLI, Dagster code and dbt: paths, database and landing zone."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, PositiveInt
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The checkout (or image) root: where dagster.yaml, dbt_project/ and assets_config/ live."""

DOMAINS: tuple[str, ...] = (
    "clo",
    "trustee",
    "geneva",
    "bloomberg",
    "resolutions",
    "scenarios",
    "equity",
    "covenants",
    "performance",
    "pnl",
)
"""Every landing domain; `landing/<tenant>/<domain>/<file>`."""

TENANT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
"""Tenant ids are lowercase slugs, so they are safe in paths, partition keys and run tags.

Test with `is_tenant_id` (a full match): Python's `$` also matches before a trailing newline. The pattern text
stays `^…$` because pydantic's (Rust) engine reads it, where `$` is the end of the text.
"""


def is_tenant_id(value: str) -> bool:
    """Whether all of `value` is a tenant id (a lowercase slug; a trailing newline is not allowed)."""
    return TENANT_PATTERN.fullmatch(value) is not None


_EXTENSION = re.compile(r"\.[a-z0-9]{1,10}")


def _size_limit_key(key: str) -> str:
    """A landing size-limit key is `<domain>`, `.<ext>` or `<domain>/.<ext>` (`scenarios/.yaml`)."""
    domain, slash, ext = key.partition("/")
    if slash:
        valid = domain in DOMAINS and _EXTENSION.fullmatch(ext) is not None
    else:
        valid = _EXTENSION.fullmatch(key) is not None if key.startswith(".") else key in DOMAINS
    if not valid:
        raise ValueError(f"size limit key {key!r} is not <domain>, .<ext> or <domain>/.<ext> (domains: {DOMAINS})")
    return key


SizeLimitKey = Annotated[str, AfterValidator(_size_limit_key)]


class PlatformSettings(BaseSettings):
    """Settings read from the environment (prefix `CALCBRIDGE_`, plus plain `DATABASE_URL`)."""

    model_config = SettingsConfigDict(env_prefix="CALCBRIDGE_", extra="ignore")

    home: Path = Field(
        default=PROJECT_ROOT / ".calcbridge", description="State folder: pg, landing, archive, dagster_home."
    )
    database_url: str | None = Field(
        default=None,
        validation_alias="DATABASE_URL",
        description="External Postgres for the warehouse; unset means the embedded server under `home/pg`.",
    )
    dagster_database: str = Field(default="dagster", description="Database for Dagster's run/event/schedule storage.")
    warehouse_database: str = Field(default="calcbridge", description="Warehouse database on the embedded server.")
    landing_root: Path | None = Field(default=None, description="Landing zone root; default `home/landing`.")
    archive_root: Path | None = Field(default=None, description="Content-addressed archive; default `home/archive`.")
    landing_settle_seconds: float = Field(
        default=1.0, ge=0, description="A file younger than this is left for the next tick (still being written)."
    )
    landing_max_bytes: dict[SizeLimitKey, PositiveInt] = Field(
        default_factory=dict,
        description=(
            'Size limits over the defaults of `core.landing` (env: JSON, e.g. `{"scenarios/.yaml": 65536}`); '
            "a key is `<domain>/.<ext>`, `<domain>` or `.<ext>`, the most specific wins. JSON and YAML parsers "
            "keep their own bounds (`core.safe_parse`), so raising these past them lands files no parser reads."
        ),
    )

    @property
    def pg_dir(self) -> Path:
        return self.home / "pg"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster_home"

    @property
    def landing(self) -> Path:
        return self.landing_root or self.home / "landing"

    @property
    def archive(self) -> Path:
        return self.archive_root or self.home / "archive"


@lru_cache(maxsize=1)
def get_settings() -> PlatformSettings:
    """The process-wide settings (cached; tests call `get_settings.cache_clear()` after changing env)."""
    return PlatformSettings()
