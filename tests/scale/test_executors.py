"""CALCBRIDGE_EXECUTOR picks where every job's steps run: in the run's process, or Celery workers."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.core.executors import with_step_executor
from orchestration.core.settings import get_settings


@pytest.fixture
def settings_from(monkeypatch):
    def make(**env: str):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        return get_settings()

    yield make
    get_settings.cache_clear()


def test_the_default_keeps_dagsters_executor(settings_from):
    defs = dg.Definitions(jobs=[dg.define_asset_job("j", selection="*")])
    assert with_step_executor(defs, settings_from()) is defs


def test_celery_gives_every_job_the_celery_executor_with_the_broker(settings_from):
    @dg.asset
    def a() -> None:
        return None

    settings = settings_from(CALCBRIDGE_EXECUTOR="celery", CALCBRIDGE_CELERY_BROKER="redis://127.0.0.1:6399/0")
    defs = with_step_executor(dg.Definitions(assets=[a], jobs=[dg.define_asset_job("j", selection="*")]), settings)
    job = defs.resolve_job_def("j")
    assert job.executor_def.name == "celery"


def test_celery_without_a_broker_is_refused(settings_from):
    settings = settings_from(CALCBRIDGE_EXECUTOR="celery")
    with pytest.raises(ValueError, match="CALCBRIDGE_CELERY_BROKER"):
        with_step_executor(dg.Definitions(), settings)
