"""Apply the warehouse migrations (Alembic) programmatically: `calcbridge db up` and tests call this."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import URL

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
"""`orchestration/migrations/`: outside core, because its environment loads every domain's tables."""
PYTHON_OWNED_SCHEMAS = frozenset({"raw", "analytics", "ops"})
"""dbt owns staging and marts; autogenerate must never propose dropping its objects."""


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic hook: compare only objects in the schemas Python owns."""
    if type_ == "table" and name == "alembic_version":
        return False
    schema = getattr(obj, "schema", None) or getattr(getattr(obj, "table", None), "schema", None)
    return schema in PYTHON_OWNED_SCHEMAS


def alembic_config(url: URL | str) -> Config:
    """An Alembic config pointing at our migrations folder and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    rendered = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
    config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def upgrade(url: URL | str, revision: str = "heads") -> None:
    """Bring the warehouse schema to `revision` (idempotent) in one transaction."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            config = alembic_config(url)
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    finally:
        engine.dispose()
