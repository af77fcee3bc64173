"""Embedded PostgreSQL (pgserver) lifecycle and the connection URLs every component derives from it.

Default: a server whose data lives in `<home>/pg`, reachable only over its unix socket and left
running between commands so it is reused. `DATABASE_URL` replaces it with an external server.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from orchestration.core.settings import PlatformSettings, get_settings

DRIVER = "postgresql+psycopg"
"""Name psycopg 3 explicitly: SQLAlchemy's plain `postgresql://` default differs across versions."""
DAGSTER_DRIVER = "postgresql+psycopg2"


class DatabaseNotRunningError(RuntimeError):
    """The embedded server is not running and the caller asked not to start it."""


@dataclass(frozen=True)
class ServerStatus:
    """What `calcbridge db status` reports."""

    embedded: bool
    running: bool
    pid: int | None
    socket_dir: str | None
    url: str


def _postmaster_info(pg_dir: Path):  # noqa: ANN202 - pgserver's own type
    from pgserver.utils import PostmasterInfo

    if not (pg_dir / "postmaster.pid").exists():
        return None
    info = PostmasterInfo.read_from_pgdata(pg_dir)
    if info is None or not info.is_running():
        return None
    return info


def start_embedded(settings: PlatformSettings | None = None) -> Path:
    """Start (or reuse) the embedded server; return its socket directory."""
    import pgserver

    settings = settings or get_settings()
    settings.pg_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(settings.pg_dir, cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir
    assert socket_dir is not None, "pgserver on Linux always listens on a unix socket"
    return Path(socket_dir)


def stop_embedded(settings: PlatformSettings | None = None) -> bool:
    """Stop the embedded server if it runs; True when something was stopped."""
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]  # made by a factory at import

    settings = settings or get_settings()
    if _postmaster_info(settings.pg_dir) is None:
        return False
    user = "pgserver" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=settings.pg_dir, user=user)
    except subprocess.CalledProcessError:
        return False
    return True


def _embedded_url(database: str, settings: PlatformSettings, *, start: bool) -> URL:
    info = _postmaster_info(settings.pg_dir)
    if info is None:
        if not start:
            raise DatabaseNotRunningError(
                f"the embedded Postgres under {settings.pg_dir} is not running: run `calcbridge db up`"
            )
        socket_dir = start_embedded(settings)
    else:
        socket_dir = Path(info.socket_dir)
    return URL.create(DRIVER, username="postgres", database=database, query={"host": str(socket_dir)})


def _external_url(settings: PlatformSettings) -> URL:
    assert settings.database_url is not None
    url = make_url(settings.database_url)
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        url = url.set(drivername=DRIVER)
    return url


def warehouse_url(settings: PlatformSettings | None = None, *, start: bool = False) -> URL:
    """The warehouse database (schemas raw, staging, analytics, marts, ops)."""
    settings = settings or get_settings()
    if settings.database_url:
        return _external_url(settings)
    return _embedded_url(settings.warehouse_database, settings, start=start)


def dagster_url(settings: PlatformSettings | None = None, *, start: bool = False) -> URL:
    """Dagster's run/event/schedule storage: its own database on the warehouse's server."""
    settings = settings or get_settings()
    explicit = os.environ.get("DAGSTER_PG_URL")
    if explicit:
        return make_url(explicit)
    # dagster-postgres binds NOTIFY's payload client-side, which only psycopg2 does.
    url = warehouse_url(settings, start=start)
    return url.set(drivername=DAGSTER_DRIVER, database=settings.dagster_database)


def render(url: URL) -> str:
    """A URL as a string with its password kept (for child processes' environment)."""
    return url.render_as_string(hide_password=False)


def ensure_databases(settings: PlatformSettings | None = None) -> None:
    """Create the warehouse and Dagster databases when missing (needs CREATEDB on external servers)."""
    settings = settings or get_settings()
    wh = warehouse_url(settings, start=True)
    wanted = {wh.database, dagster_url(settings).database}
    admin = wh.set(database="postgres")
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            have: set[str] = set(conn.execute(sa.text("select datname from pg_database")).scalars())
            for name in sorted(n for n in wanted - have if n):
                conn.execute(sa.text(f'create database "{name}"'))  # identifiers cannot be bound
    finally:
        engine.dispose()


def status(settings: PlatformSettings | None = None) -> ServerStatus:
    """Report on the configured server without starting it."""
    settings = settings or get_settings()
    if settings.database_url:
        url = _external_url(settings)
        try:
            engine = sa.create_engine(url)
            with engine.connect() as conn:
                conn.execute(sa.text("select 1"))
            running = True
        except sa.exc.OperationalError:
            running = False
        return ServerStatus(False, running, None, None, url.render_as_string(hide_password=True))
    info = _postmaster_info(settings.pg_dir)
    if info is None:
        return ServerStatus(True, False, None, None, "")
    url = _embedded_url(settings.warehouse_database, settings, start=False)
    return ServerStatus(True, True, info.pid, str(info.socket_dir), render(url))


def dbt_env(settings: PlatformSettings | None = None) -> dict[str, str]:
    """Connection settings for dbt's profiles.yml (which reads them with `env_var`)."""
    url = warehouse_url(settings)
    host = url.query.get("host") or url.host or "localhost"
    return {
        "CALCBRIDGE_PG_HOST": str(host),
        "CALCBRIDGE_PG_PORT": str(url.port or 5432),
        "CALCBRIDGE_PG_USER": url.username or "postgres",
        "CALCBRIDGE_PG_PASSWORD": url.password or "",
        "CALCBRIDGE_PG_DATABASE": url.database or "calcbridge",
    }


def runtime_env(settings: PlatformSettings | None = None) -> dict[str, str]:
    """Everything a child process (Dagster, dbt, API) needs to reach the same databases and state."""
    settings = settings or get_settings()
    env = {
        "CALCBRIDGE_HOME": str(settings.home),
        "DAGSTER_HOME": str(settings.dagster_home),
        "DAGSTER_PG_URL": render(dagster_url(settings)),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    env.update(dbt_env(settings))
    return env
