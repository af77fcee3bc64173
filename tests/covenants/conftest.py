"""Covenants fixtures: land files the way the sensor does, and run the covenants assets for a partition."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from orchestration.core import landing_log
from orchestration.core.resources import WarehouseResource
from orchestration.covenants.assets import covenants_file_assets
from orchestration.covenants.resources import ExternalDataResource, ModelStoreResource


@dataclass
class Lander:
    """Drops files into a private landing zone and evaluates the covenants landing once per file."""

    platform: Any
    root: Path
    store: Path
    cursor: str | None = None
    keys: list[str] = field(default_factory=list)

    def land(self, tenant: str, name: str, content: bytes | str) -> str:
        path = self.root / "landing" / tenant / "covenants" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        evaluation = landing_log.evaluate(
            self.platform.warehouse,
            "covenants",
            self.cursor,
            landing_root=self.root / "landing",
            archive_root=self.root / "archive",
            settle_seconds=0,
        )
        self.cursor = evaluation.cursor
        (request,) = evaluation.requests
        self.platform.instance.add_dynamic_partitions("covenants_files", [request.partition_key])
        self.keys.append(request.partition_key)
        return request.partition_key

    def resources(self) -> dict[str, Any]:
        return {
            "warehouse": WarehouseResource(),
            "model_store": ModelStoreResource(root=str(self.store)),
            "external_data": ExternalDataResource(directory=str(self.root / "external")),
        }

    def run(
        self, key: str, assets: list[dg.AssetsDefinition] | None = None, **kwargs: Any
    ) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            assets or covenants_file_assets,
            partition_key=key,
            instance=self.platform.instance,
            resources=self.resources(),
            tags={"tenant": key.split(".")[0], "domain": "covenants"},
            **kwargs,
        )


@pytest.fixture
def lander(platform, tmp_path) -> Lander:
    return Lander(platform=platform, root=tmp_path, store=tmp_path / "models")


@pytest.fixture
def tenant() -> str:
    return f"cov-{uuid.uuid4().hex[:8]}"
