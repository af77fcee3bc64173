"""Per-app shared state: settings, the pooled warehouse engine, the Dagster instance, auth caches, metrics."""

from __future__ import annotations

import os
import threading

import dagster as dg
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from api.auth import ApiKeyVerifier, RateLimiter
from api.errors import ApiError, ErrorCode
from api.metrics import Metrics
from api.pagination import CountCache
from api.settings import ApiSettings
from orchestration.core.postgres import DRIVER, DatabaseNotRunningError, dagster_url, render, warehouse_url
from orchestration.core.settings import PROJECT_ROOT, get_settings


def api_database_url(settings: ApiSettings) -> URL:
    """The explicit API URL, or the platform's warehouse (raises DatabaseNotRunningError when embedded and down)."""
    if settings.database_url:
        url = make_url(settings.database_url)
        return url.set(drivername=DRIVER) if url.drivername in ("postgresql", "postgres") else url
    return warehouse_url(get_settings())


def open_instance() -> dg.DagsterInstance:
    """DAGSTER_HOME's instance; without DAGSTER_HOME, the platform's own, found the way the CLI sets it up.

    That is `CALCBRIDGE_HOME/dagster_home` (the project's dagster.yaml when the CLI has not copied it there) on
    the platform's Dagster database, so `uvicorn api.main:app` alone still reads the runs `calcbridge` records.
    """
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    settings = get_settings()
    os.environ.setdefault("DAGSTER_PG_URL", render(dagster_url(settings)))
    home = settings.dagster_home if (settings.dagster_home / "dagster.yaml").is_file() else PROJECT_ROOT
    return dg.DagsterInstance.from_config(str(home))


def unavailable(what: str) -> ApiError:
    return ApiError(503, f"{what} is unavailable", code=ErrorCode.SERVICE_UNAVAILABLE, headers={"Retry-After": "5"})


class Runtime:
    """Created once per app; the engine and the instance are opened on first use so the app starts without them."""

    def __init__(self, settings: ApiSettings, instance: dg.DagsterInstance | None = None) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.keys = ApiKeyVerifier(settings.api_key_cache_seconds)
        self.counts = CountCache(settings.count_cache_seconds)
        self.limiter = (
            RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst) if settings.rate_limited else None
        )
        self._engine: Engine | None = None
        self._instance = instance
        self._owns_instance = instance is None
        self._lock = threading.Lock()

    def _create_engine(self) -> Engine:
        options = f"-c default_transaction_read_only=on -c statement_timeout={self.settings.statement_timeout_ms}"
        return sa.create_engine(
            api_database_url(self.settings),
            pool_size=self.settings.pool_size,
            max_overflow=self.settings.max_overflow,
            pool_pre_ping=True,
            pool_recycle=1800,
            # Every route is one statement, so autocommit gives each a consistent snapshot with no
            # BEGIN/ROLLBACK round trips; the session itself is read-only.
            isolation_level="AUTOCOMMIT",
            connect_args={
                "connect_timeout": self.settings.connect_timeout_seconds,
                "application_name": "calcbridge-api",
                "options": options,
            },
        )

    @property
    def engine(self) -> Engine:
        """The pooled warehouse engine, or 503 when the warehouse cannot even be located."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    try:
                        self._engine = self._create_engine()
                    except DatabaseNotRunningError:
                        raise unavailable("the warehouse") from None
        return self._engine

    @property
    def instance(self) -> dg.DagsterInstance:
        """The Dagster instance (`open_instance`), or 503 when it cannot be opened."""
        if self._instance is None:
            with self._lock:
                if self._instance is None:
                    try:
                        self._instance = open_instance()
                    except Exception:
                        raise unavailable("the Dagster instance") from None
        return self._instance

    def dispose(self) -> None:
        """Close pooled connections (and the instance when this runtime opened it)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        if self._instance is not None and self._owns_instance:
            self._instance.dispose()
            self._instance = None
