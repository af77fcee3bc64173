"""Equity fixtures: land positions files the way the sensor does, and run the daily chain over a range."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from orchestration.core import landing_log
from orchestration.core.resources import WarehouseResource
from orchestration.equity.assets import daily_assets, equity_file_assets
from orchestration.equity.definitions import RANGE_END_TAG, RANGE_START_TAG
from orchestration.equity.resources import PriceSourceResource

UNKNOWN = "ZZZQ"


@dataclass
class Lander:
    """Drops positions files into a private landing zone and runs the equity assets."""

    platform: Any
    root: Path
    cursor: str | None = None
    keys: list[str] = field(default_factory=list)

    def land(self, tenant: str, name: str, content: str, sidecar: str | None = None) -> str:
        path = self.root / "landing" / tenant / "equity" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if sidecar is not None:
            path.with_name(name + ".meta.json").write_text(sidecar)
        path.write_text(content)
        evaluation = landing_log.evaluate(
            self.platform.warehouse,
            "equity",
            self.cursor,
            landing_root=self.root / "landing",
            archive_root=self.root / "archive",
            settle_seconds=0,
        )
        self.cursor = evaluation.cursor
        (request,) = evaluation.requests
        self.platform.instance.add_dynamic_partitions("equity_files", [request.partition_key])
        self.keys.append(request.partition_key)
        return request.partition_key

    def resources(self) -> dict[str, Any]:
        return {"warehouse": WarehouseResource(), "price_source": PriceSourceResource(unknown_tickers=[UNKNOWN])}

    def positions(self, key: str, **kwargs: Any) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            equity_file_assets,
            partition_key=key,
            instance=self.platform.instance,
            resources=self.resources(),
            **kwargs,
        )

    def daily(self, start: dt.date, end: dt.date, **kwargs: Any) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            daily_assets,
            instance=self.platform.instance,
            resources=self.resources(),
            tags={RANGE_START_TAG: start.isoformat(), RANGE_END_TAG: end.isoformat()},
            **kwargs,
        )

    def day(self, day: dt.date, **kwargs: Any) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            daily_assets,
            partition_key=day.isoformat(),
            instance=self.platform.instance,
            resources=self.resources(),
            **kwargs,
        )


@pytest.fixture(scope="module")
def lander(platform, tmp_path_factory) -> Lander:
    return Lander(platform=platform, root=tmp_path_factory.mktemp("equity"))


@pytest.fixture
def tenant() -> str:
    return f"eq-{uuid.uuid4().hex[:8]}"
