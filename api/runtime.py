"""Per-app shared state: settings, the pooled warehouse engine, the Dagster instance, auth caches, metrics."""

from __future__ import annotations

import asyncio
import os
import shlex
import threading
import weakref
from pathlib import Path
from typing import Any

import dagster as dg
import orjson
import yaml
from sqlalchemy import event
from sqlalchemy.engine import URL, Dialect, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from api.auth import ApiKeyVerifier, RateLimiter
from api.errors import unavailable
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


ASYNC_DRIVER = "postgresql+asyncpg"
"""The request path's driver: asyncpg prepares and caches every statement per connection, and its protocol
decoding is the cheapest of the Python drivers (bench/README.md has the comparison)."""


LIBPQ_SSL_MODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}


def _libpq_options(options: str) -> dict[str, str]:
    """`-c name=value`, `-cname=value` and `--name=value` of a libpq `options` string as server settings."""
    settings: dict[str, str] = {}
    words = iter(shlex.split(options))
    for word in words:
        if word == "-c":
            setting = next(words, "")
        elif word.startswith(("-c", "--")):
            setting = word[2:]
        else:
            raise ValueError(f"unsupported libpq option {word!r} in DATABASE_URL (use -c name=value)")
        name, sep, value = setting.partition("=")
        if not sep or not name:
            raise ValueError(f"libpq option {setting!r} is not name=value")
        settings[name.replace("-", "_")] = value
    return settings


def asyncpg_connect_args(url: URL) -> tuple[URL, dict[str, Any]]:
    """The URL for asyncpg and the connection arguments its libpq-style query parameters become.

    `DATABASE_URL` is written for libpq (psycopg, dbt, Dagster): `sslmode`, `connect_timeout`,
    `application_name` and `options=-c name=value ...` are moved out of the query into what asyncpg takes
    (`ssl`, `timeout`, `server_settings`); anything else stays in the query (the `host` of a Unix socket).
    """
    query = dict(url.query)
    args: dict[str, Any] = {}
    settings: dict[str, str] = {}
    if "sslmode" in query:
        mode = str(query.pop("sslmode"))
        if mode not in LIBPQ_SSL_MODES:
            raise ValueError(f"sslmode={mode!r} is not one of {sorted(LIBPQ_SSL_MODES)}")
        args["ssl"] = mode
    if "connect_timeout" in query:
        args["timeout"] = float(str(query.pop("connect_timeout")))
    if "application_name" in query:
        settings["application_name"] = str(query.pop("application_name"))
    if "options" in query:
        settings |= _libpq_options(str(query.pop("options")))
    if settings:
        args["server_settings"] = settings
    return url.set(drivername=ASYNC_DRIVER, query=query), args


DAGSTER_APPLICATION_NAME = "calcbridge-api-dagster"
"""`application_name` of the API's connections to the Dagster storage: it marks them for `_fail_fast`."""


def bounded_storage_url(url: str, settings: ApiSettings) -> str:
    """The Dagster storage URL with the API's bounds: a libpq connect timeout, the statement timeout and a name."""
    parsed = make_url(url)
    query = dict(parsed.query)
    query.setdefault("connect_timeout", str(settings.connect_timeout_seconds))
    if settings.statement_timeout_ms:
        options = f"{query.get('options', '')} -c statement_timeout={settings.statement_timeout_ms}"
        query["options"] = options.strip()
    query["application_name"] = DAGSTER_APPLICATION_NAME
    return render(parsed.set(query=query))


def storage_overrides(home: Path, settings: ApiSettings) -> dict[str, Any]:
    """dagster.yaml's Postgres storage with `bounded_storage_url`; empty for any other storage (nothing to bound)."""
    path = home / "dagster.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    storage = config.get("storage") if isinstance(config, dict) else None
    postgres = storage.get("postgres") if isinstance(storage, dict) else None
    if not isinstance(postgres, dict):
        return {}
    url = postgres.get("postgres_url")
    if isinstance(url, dict) and isinstance(url.get("env"), str):
        url = os.environ.get(url["env"])
    if not isinstance(url, str) or not url:
        return {}
    return {"storage": {"postgres": {**postgres, "postgres_url": bounded_storage_url(url, settings)}}}


def open_instance(settings: ApiSettings) -> dg.DagsterInstance:
    """DAGSTER_HOME's instance; without DAGSTER_HOME, the platform's own, found the way the CLI sets it up.

    That is `CALCBRIDGE_HOME/dagster_home` (the project's dagster.yaml when the CLI has not copied it there) on
    the platform's Dagster database, so `uvicorn api.main:app` alone still reads the runs `calcbridge` records.
    Its Postgres storage is opened with `bounded_storage_url`, so no storage read outlasts the API's timeouts.
    """
    if os.environ.get("DAGSTER_HOME"):
        home = Path(os.environ["DAGSTER_HOME"]).expanduser()
    else:
        platform = get_settings()
        os.environ.setdefault("DAGSTER_PG_URL", render(dagster_url(platform)))
        home = platform.dagster_home if (platform.dagster_home / "dagster.yaml").is_file() else PROJECT_ROOT
    # `local_temp` is Dagster's public way to load a home's dagster.yaml with overrides: with a directory given
    # it is a regular persistent instance (the same InstanceRef.from_dir that DagsterInstance.get() loads).
    return dg.DagsterInstance.local_temp(str(home), overrides=storage_overrides(home, settings))


@event.listens_for(Engine, "do_connect")
def _fail_fast(dialect: Dialect, _record: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]) -> Any:
    """Connect the API's Dagster storage without dagster-postgres's retries: 503 at once when it is unreachable.

    dagster-postgres retries a failed connect five times with exponential backoff (about 11 s in all) before it
    gives up, on every storage call. Raising something other than a driver error from here ends that loop at the
    first failure; other engines (their `application_name` differs) connect as usual.
    """
    if cparams.get("application_name") != DAGSTER_APPLICATION_NAME:
        return None
    try:
        return dialect.connect(*cargs, **cparams)
    except dialect.loaded_dbapi.Error:
        raise unavailable("the Dagster storage") from None


class Runtime:
    """Created once per app; the engines and the instance are opened on first use so the app starts without them."""

    def __init__(self, settings: ApiSettings, instance: dg.DagsterInstance | None = None) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.keys = ApiKeyVerifier(settings.api_key_cache_seconds)
        self.counts = CountCache(settings.count_cache_seconds)
        self.limiter = (
            RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst) if settings.rate_limited else None
        )
        self.tenant_limiter = (
            RateLimiter(settings.tenant_rate_limit_per_second, settings.tenant_rate_limit_burst)
            if settings.tenant_rate_limited
            else None
        )
        self._app_loop: asyncio.AbstractEventLoop | None = None
        self._async_engines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncEngine] = (
            weakref.WeakKeyDictionary()
        )
        self._instance = instance
        self._owns_instance = instance is None
        self._lock = threading.Lock()

    def _create_async_engine(self, *, pooled: bool) -> AsyncEngine:
        url, connect_args = asyncpg_connect_args(api_database_url(self.settings))
        settings = connect_args.setdefault("server_settings", {})
        settings.setdefault("application_name", "calcbridge-api")
        settings["default_transaction_read_only"] = "on"
        settings["statement_timeout"] = str(self.settings.statement_timeout_ms)
        connect_args.setdefault("timeout", self.settings.connect_timeout_seconds)
        pool: dict[str, Any] = (
            # No pre-ping round trip per request: `api.deps.Reader` retries once on a connection the server closed.
            {"pool_size": self.settings.pool_size, "max_overflow": self.settings.max_overflow, "pool_recycle": 1800}
            if pooled
            else {"poolclass": NullPool}
        )
        return create_async_engine(
            url,
            pool_pre_ping=False,
            isolation_level="AUTOCOMMIT",
            json_deserializer=orjson.loads,
            connect_args=connect_args,
            **pool,
        )

    def bind_loop(self) -> None:
        """Called at app start-up: the running loop (uvicorn's, one per worker) gets the connection pool."""
        self._app_loop = asyncio.get_running_loop()

    @property
    def async_engine(self) -> AsyncEngine:
        """The asyncpg engine for the running event loop (asyncpg connections belong to the loop that opened them).

        The app's own loop gets the pool; any other loop (a TestClient used without `with` runs one per request)
        gets an engine that closes its connection after each request, so nothing is left open on a dead loop.
        """
        loop = asyncio.get_running_loop()
        engine = self._async_engines.get(loop)
        if engine is None:
            try:
                engine = self._create_async_engine(pooled=loop is self._app_loop)
            except DatabaseNotRunningError:
                raise unavailable("the warehouse") from None
            self._async_engines[loop] = engine
        return engine

    async def dispose_async(self) -> None:
        """Close the running loop's pooled async connections (the app's shutdown)."""
        engine = self._async_engines.pop(asyncio.get_running_loop(), None)
        if engine is not None:
            await engine.dispose()

    @property
    def instance(self) -> dg.DagsterInstance:
        """The Dagster instance (`open_instance`), or 503 when it cannot be opened."""
        if self._instance is None:
            with self._lock:
                if self._instance is None:
                    try:
                        self._instance = open_instance(self.settings)
                    except Exception:
                        raise unavailable("the Dagster instance") from None
        return self._instance

    def dispose(self) -> None:
        """Close the Dagster instance when this runtime opened it (`dispose_async` closes the pool)."""
        if self._instance is not None and self._owns_instance:
            self._instance.dispose()
            self._instance = None
