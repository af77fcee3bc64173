"""CLO fixtures: land workbooks the way the sensor does and run the CLO multi-asset for a partition."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from orchestration.clo.assets import clo_file_assets
from orchestration.core import landing_log
from orchestration.core.resources import WarehouseResource


@dataclass
class Lander:
    """Drops files into a private landing zone and evaluates the clo landing once per file."""

    platform: Any
    root: Path
    cursor: str | None = None
    keys: list[str] = field(default_factory=list)

    def land(self, tenant: str, name: str, content: bytes | str, sidecar: dict[str, Any] | None = None) -> str:
        path = self.root / "landing" / tenant / "clo" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if sidecar is not None:
            path.with_name(f"{name}.meta.json").write_text(json.dumps(sidecar))
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        evaluation = landing_log.evaluate(
            self.platform.warehouse,
            "clo",
            self.cursor,
            landing_root=self.root / "landing",
            archive_root=self.root / "archive",
            settle_seconds=0,
        )
        self.cursor = evaluation.cursor
        (request,) = evaluation.requests
        self.platform.instance.add_dynamic_partitions("clo_files", [request.partition_key])
        self.keys.append(request.partition_key)
        return request.partition_key

    def run(self, key: str, **kwargs: Any) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            clo_file_assets,
            partition_key=key,
            instance=self.platform.instance,
            resources={"warehouse": WarehouseResource()},
            tags={"tenant": key.split(".")[0], "domain": "clo"},
            **kwargs,
        )


@pytest.fixture
def lander(platform, tmp_path) -> Lander:
    return Lander(platform=platform, root=tmp_path)


@pytest.fixture
def tenant() -> str:
    return f"clo-{uuid.uuid4().hex[:8]}"
