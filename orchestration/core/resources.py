"""Dagster resources shared by every domain: the warehouse and the landing zone."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import dagster as dg
import pandas as pd
import sqlalchemy as sa
from pydantic import PrivateAttr
from sqlalchemy.engine import Engine
from upath import UPath

from orchestration.core import postgres, provenance, warehouse  # noqa: F401  (provenance registers the run)
from orchestration.core.events import Event
from orchestration.core.lineage import Lineage
from orchestration.core.objectstore import as_root
from orchestration.core.settings import get_settings

_ENGINES: dict[str, Engine] = {}
_LOCK = threading.Lock()


def engine_for(url: str) -> Engine:
    """One pooled engine per URL per process (sensors and steps reuse it)."""
    with _LOCK:
        if url not in _ENGINES:
            _ENGINES[url] = sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
        return _ENGINES[url]


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse Postgres. Leave `database_url` empty to use DATABASE_URL or the embedded server."""

    database_url: str | None = None
    schema_map: dict[str, str] | None = None
    """Write and read these schemas instead (`calcbridge reproduce` runs a partition into scratch schemas)."""

    _url: str | None = PrivateAttr(default=None)

    def url(self) -> str:
        if self._url is None:
            self._url = self.database_url or postgres.render(postgres.warehouse_url(get_settings()))
        return self._url

    @property
    def engine(self) -> Engine:
        engine = engine_for(self.url())
        return engine.execution_options(schema_translate_map=self.schema_map) if self.schema_map else engine

    def replace_partition(
        self, table: sa.Table, frame: pd.DataFrame, *, tenant_id: str | None, partition_key: str
    ) -> int:
        """Replace all rows of (table, tenant, partition) in one transaction, loading with COPY."""
        return self.replace_partitions([(table, frame)], tenant_id=tenant_id, partition_key=partition_key)[table]

    def replace_partitions(
        self,
        frames: warehouse.Frames,
        *,
        tenant_id: str | None,
        partition_key: str,
        scopes: Mapping[sa.Table, sa.ColumnElement[bool]] | None = None,
        events: Sequence[Event] = (),
        lineage: Lineage | None = None,
    ) -> dict[sa.Table, int]:
        """Replace (tenant, partition) in every table of `frames` in one transaction (see core/warehouse.py).

        `events` are announced in the same transaction (the outbox, core/events.py). Without a `lineage`, the
        running step's (`core/provenance.py`) is recorded.
        """
        return warehouse.replace_partitions(
            self.engine,
            frames,
            tenant_id=tenant_id,
            partition_key=partition_key,
            scopes=scopes,
            events=events,
            lineage=lineage,
        )


class LandingZoneResource(dg.ConfigurableResource):
    """Where files land and where they are archived by content hash: folders or `s3://bucket/prefix` URLs.

    Empty values use the settings (CALCBRIDGE_LANDING_ROOT, CALCBRIDGE_ARCHIVE_ROOT, ...).
    """

    landing_root: str | None = None
    archive_root: str | None = None
    settle_seconds: float | None = None
    max_files_per_tick: int | None = None
    tick_seconds: float | None = None
    sweep_keys: int | None = None

    @property
    def landing(self) -> Path | UPath:
        return as_root(self.landing_root) if self.landing_root else get_settings().landing

    @property
    def archive(self) -> Path | UPath:
        return as_root(self.archive_root) if self.archive_root else get_settings().archive

    @property
    def settle(self) -> float:
        return get_settings().landing_settle_seconds if self.settle_seconds is None else self.settle_seconds

    @property
    def tick_files(self) -> int:
        """At most this many files archived per sensor tick."""
        return self.max_files_per_tick or get_settings().landing_max_files_per_tick

    @property
    def tick_budget(self) -> float:
        """Seconds after which a sensor tick starts archiving no further file."""
        return self.tick_seconds or get_settings().landing_tick_seconds

    @property
    def tick_sweep_keys(self) -> int:
        """Keys an object-store landing zone re-lists per tick (core/landing_objects.py)."""
        return self.sweep_keys or get_settings().landing_sweep_keys
