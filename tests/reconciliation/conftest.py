"""Reconciliation fixtures: land files in any domain the way the sensor does, and materialize partitions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.clo.assets import clo_file_assets
from orchestration.compliance.assets import compliance_file_assets
from orchestration.core import landing_log
from orchestration.core.resources import WarehouseResource
from orchestration.reconciliation.assets import reconciliation_assets, variance_resolutions
from orchestration.reports.assets import workbook_reports


@dataclass
class Lander:
    """A private landing zone; one landing evaluation per file, cursors kept per domain."""

    platform: Any
    root: Path
    cursors: dict[str, str | None] = field(default_factory=dict)

    def land(self, tenant: str, domain: str, name: str, content: bytes | str, sidecar: dict | None = None) -> str:
        path = self.root / "landing" / tenant / domain / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if sidecar is not None:
            path.with_name(f"{name}.meta.json").write_text(json.dumps(sidecar))
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        evaluation = landing_log.evaluate(
            self.platform.warehouse,
            domain,
            self.cursors.get(domain),
            landing_root=self.root / "landing",
            archive_root=self.root / "archive",
            settle_seconds=0,
        )
        self.cursors[domain] = evaluation.cursor
        (request,) = evaluation.requests
        self.platform.instance.add_dynamic_partitions(f"{domain}_files", [request.partition_key])
        return request.partition_key

    def run(self, assets: list[dg.AssetsDefinition], key: str, **kwargs: Any) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            assets,
            partition_key=key,
            instance=self.platform.instance,
            resources={"warehouse": WarehouseResource()},
            tags={"tenant": key.split(".")[0]},
            **kwargs,
        )

    def workbook(self, tenant: str, name: str, content: bytes | str, sidecar: dict | None = None) -> str:
        key = self.land(tenant, "clo", name, content, sidecar)
        assert self.run([*clo_file_assets, *compliance_file_assets], key).success
        return key

    def reconcile(
        self, tenant: str, domain: str, name: str, content: bytes | str, sidecar: dict | None = None, **kwargs: Any
    ) -> tuple[str, dg.ExecuteInProcessResult]:
        key = self.land(tenant, domain, name, content, sidecar)
        return key, self.run([reconciliation_assets[domain]], key, **kwargs)

    def resolve(self, tenant: str, name: str, content: bytes | str) -> tuple[str, dg.ExecuteInProcessResult]:
        key = self.land(tenant, "resolutions", name, content)
        return key, self.run([variance_resolutions], key)

    def report(self, workbook_key: str) -> dg.ExecuteInProcessResult:
        return self.run([workbook_reports], workbook_key)
