"""Platform settings shared by the CLI, Dagster code and dbt: paths, database and landing zone."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, PositiveInt
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from upath import UPath

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


def _store_root(value: object) -> object:
    """A landing/archive root: a local folder, or `s3://bucket[/prefix]` (core/objectstore.py); other URLs refused."""
    from orchestration.core.objectstore import is_object_url

    if value is None or isinstance(value, Path):
        return None if value is None else str(value)
    text = str(value)
    if "://" in text and not is_object_url(text):
        raise ValueError(f"{text!r}: a root is a local folder or an s3://bucket/prefix URL")
    if is_object_url(text) and not text.split("://", 1)[1].strip("/"):
        raise ValueError(f"{text!r} names no bucket")
    return text


StoreRoot = Annotated[str | None, BeforeValidator(_store_root)]


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
    landing_root: StoreRoot = Field(
        default=None, description="Landing zone root: a folder or `s3://bucket/prefix`; default `home/landing`."
    )
    archive_root: StoreRoot = Field(
        default=None,
        description="Content-addressed archive: a folder or `s3://bucket/prefix`; default `home/archive`.",
    )
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

    landing_max_files_per_tick: PositiveInt = Field(
        default=1000,
        description=(
            "At most this many new files are archived per landing-sensor tick (the rest wait for the next one), "
            "so a burst cannot run a tick past Dagster's 60 s budget; `calcbridge process` takes every file."
        ),
    )
    landing_tick_seconds: float = Field(
        default=30.0,
        gt=0,
        description=(
            "A landing-sensor tick starts archiving no file after this many seconds (it always archives one): "
            "half of Dagster's 60 s sensor budget, whatever the store's latency."
        ),
    )
    landing_sweep_keys: PositiveInt = Field(
        default=5000,
        description=(
            "Object-store landing only: keys re-listed per tick by the rolling sweep that finds files whose "
            "name sorts before ones already seen (see core/landing_objects.py)."
        ),
    )
    executor: Literal["in_process", "celery"] = Field(
        default="in_process",
        description="Where a launched run's steps execute: its own process, or Celery workers (core/executors.py).",
    )
    celery_broker: str | None = Field(default=None, description="Celery broker URL, e.g. `redis://host:6379/0`.")
    celery_backend: str | None = Field(
        default=None, description="Celery result backend URL; default: the broker's URL."
    )

    @property
    def pg_dir(self) -> Path:
        return self.home / "pg"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster_home"

    @property
    def landing(self) -> Path | UPath:
        """The landing root: a `Path`, or a `UPath` for an object-store URL."""
        return _as_root(self.landing_root) if self.landing_root else self.home / "landing"

    @property
    def archive(self) -> Path | UPath:
        """The archive root: a `Path`, or a `UPath` for an object-store URL."""
        return _as_root(self.archive_root) if self.archive_root else self.home / "archive"


def _as_root(text: str) -> Path | UPath:
    from orchestration.core.objectstore import as_root

    return as_root(text)


@lru_cache(maxsize=1)
def get_settings() -> PlatformSettings:
    """The process-wide settings (cached; tests call `get_settings.cache_clear()` after changing env)."""
    return PlatformSettings()
