"""Shared fixtures: a real embedded Postgres in a temporary folder, migrated, and a real Dagster instance."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from orchestration.core import migrate, postgres
from orchestration.core.settings import PROJECT_ROOT, PlatformSettings, get_settings

SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
"""This process's name under pytest-xdist (`gw0`, `gw1`, ...; `main` without it): each has its own platform."""

os.environ["DBT_TARGET_PATH"] = f"target/pytest-{WORKER}"  # dbt runs by parallel workers never share artifacts


def pytest_configure(config: pytest.Config) -> None:
    """Parse the dbt project once before any worker starts, so workers find a current manifest."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        from orchestration.core.dbt import DBT_PROJECT_DIR, prepare_manifest

        prepare_manifest(force=False)
        for stale in DBT_PROJECT_DIR.glob("target/pytest-*/dbt_models-*"):  # earlier runs' per-build artifacts
            shutil.rmtree(stale, ignore_errors=True)


@dataclass
class Platform:
    """One test session's platform: settings, warehouse engine and Dagster instance on the same server."""

    settings: PlatformSettings
    warehouse: Engine
    instance: dg.DagsterInstance

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, **postgres.runtime_env(self.settings)}

    def run_dbt(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the real dbt CLI against the test warehouse; fail the test with dbt's output on error."""
        from orchestration.core.dbt import run_dbt

        return run_dbt(list(args), env=self.env)

    def run_cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `calcbridge` in a subprocess with this platform's environment."""
        result = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            timeout=600,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"calcbridge {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result


def _materialize_configuration(platform: Platform) -> None:
    """ops/configuration and its views, as `calcbridge process` does first: marts that read it need it to exist."""
    from orchestration.core.resources import WarehouseResource
    from orchestration.ops.assets import configuration

    result = dg.materialize([configuration], instance=platform.instance, resources={"warehouse": WarehouseResource()})
    assert result.success
    platform.run_dbt("run", "--select", "stg_configuration", "configuration")


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """Start an embedded Postgres under a temporary CALCBRIDGE_HOME, migrate it, open a Dagster instance."""
    home = tmp_path_factory.mktemp("calcbridge")
    saved = {k: os.environ.get(k) for k in ("CALCBRIDGE_HOME", "DAGSTER_HOME", "DAGSTER_PG_URL", "DATABASE_URL")}
    os.environ["CALCBRIDGE_HOME"] = str(home)
    for key in ("DAGSTER_PG_URL", "DATABASE_URL"):  # the suite always runs on its own embedded server
        os.environ.pop(key, None)
    get_settings.cache_clear()
    settings = get_settings()
    postgres.ensure_databases(settings)
    migrate.upgrade(postgres.warehouse_url(settings))
    os.environ.update(postgres.runtime_env(settings))
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "dagster.yaml", settings.dagster_home / "dagster.yaml")
    engine = sa.create_engine(postgres.warehouse_url(settings))
    instance = dg.DagsterInstance.get()
    platform = Platform(settings=settings, warehouse=engine, instance=instance)
    try:
        _materialize_configuration(platform)
        yield platform
    finally:
        instance.dispose()
        engine.dispose()
        postgres.stop_embedded(settings)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()
