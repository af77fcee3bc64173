"""The covenants domain's resources: where model files live and where the external datasets are read from."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration.core.settings import PROJECT_ROOT, get_settings
from orchestration.covenants.config import load_covenants_config

SHARED_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"
"""Public evaluation datasets next to the checkout, when present."""


class ModelStoreResource(dg.ConfigurableResource):
    """Folder of versioned UBJSON model files; empty means `<CALCBRIDGE_HOME>/models`."""

    root: str | None = None

    @property
    def path(self) -> Path:
        return Path(self.root) if self.root else get_settings().home / "models"


class ExternalDataResource(dg.ConfigurableResource):
    """Folder of the bankruptcy datasets; empty means `external_data_dir` in covenants.yaml, else ../shared/data."""

    directory: str | None = None

    @property
    def path(self) -> Path:
        if self.directory:
            return Path(self.directory)
        configured = load_covenants_config().external_data_dir
        return Path(configured) if configured else SHARED_DATA_DIR
