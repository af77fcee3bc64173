"""Provenance in Dagster terms: code versions on every asset, and the running asset's lineage for each write.

`with_code_versions` gives each asset of a domain package its `code_version` (`core/versions.py`: the digest
of the package's pure modules and its `assets_config/` files) and records what that digest covers in the
asset's metadata, so the UI marks partitions stale after a code or config change. `current` builds the
`Lineage` of the write the running step makes: run id, asset key, code version, the files it read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg

from orchestration.core import versions
from orchestration.core.landing_log import LandedRecord
from orchestration.core.lineage import Lineage, SourceFile, register_resolver

CODE_METADATA = "calcbridge/code_version_of"
"""Asset metadata key: {package, configs}, what the asset's code version is the digest of."""
_DIGESTS: dict[str, dict[str, str]] = {}
"""Per package, the file digests its code version was computed from when this process loaded the definitions:
the code this process runs, so a write records digests that agree with its code version."""


def with_code_versions(defs: dg.Definitions, package: str, configs: Sequence[str] = ()) -> dg.Definitions:
    """The package's definitions with every asset lacking one given the package's code version."""
    digests = versions.inputs(package, configs)
    _DIGESTS.setdefault(package, digests)  # the first load is the code this process runs
    version = versions.version_of(digests)
    covered = {"package": package, "configs": [f"assets_config/{c}" for c in configs], "files": len(digests)}

    def versioned(spec: dg.AssetSpec) -> dg.AssetSpec:
        if spec.code_version is not None:
            return spec
        return spec.replace_attributes(code_version=version).merge_attributes(metadata={CODE_METADATA: covered})

    executable = [a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition) and a.is_executable]
    others = [a for a in defs.assets or [] if not any(a is e for e in executable)]
    return dg.Definitions(
        assets=[*dg.map_asset_specs(versioned, executable), *others],
        asset_checks=defs.asset_checks,
        jobs=defs.jobs,
        schedules=defs.schedules,
        sensors=defs.sensors,
        resources=defs.resources,
        executor=defs.executor,
        loggers=defs.loggers,
        metadata=defs.metadata,
    )


def source_file(record: LandedRecord) -> SourceFile:
    """The landed file behind a file partition, as lineage names it."""
    return SourceFile(
        tenant_id=record.tenant_id,
        domain=record.domain,
        partition_key=record.partition_key,
        file_name=record.file_name,
        sha256=record.sha256,
        landed_at=record.landed_at,
    )


def data_version(sources: Sequence[SourceFile], code_version: str | None) -> str | None:
    """The data version of a partition written from files: their sha256 with the code version that read them.

    The same bytes through the same code give the same version; new bytes or new code give a new one, which
    is what marks the assets downstream stale.
    """
    if not sources:
        return None
    body = "|".join([*(s.sha256 for s in sources), code_version or ""])
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def _context() -> dg.OpExecutionContext | None:
    try:
        return dg.OpExecutionContext.get()
    except dg.DagsterInvariantViolationError:
        return None


def current(
    asset_key: dg.AssetKey | None = None,
    sources: Sequence[SourceFile] = (),
    conventions: Mapping[str, Any] | None = None,
    asset_keys: Mapping[str, dg.AssetKey] | None = None,
) -> Lineage | None:
    """The lineage of a write made by the running step (None outside a run: the write records it as such).

    `asset_key` defaults to the step's asset (its first, for a multi-asset); `asset_keys` maps a table's full
    name to the asset that owns it.
    """
    context = _context()
    if context is None or not context.has_assets_def:
        return None
    assets_def = context.assets_def
    key = asset_key or next(iter(sorted(context.selected_asset_keys, key=lambda k: k.to_user_string())))
    code_version = assets_def.code_versions_by_key.get(key)
    covered = assets_def.specs_by_key[key].metadata.get(CODE_METADATA) if key in assets_def.specs_by_key else None
    digests = _digests(covered) if isinstance(covered, dict) else {}
    return Lineage(
        asset_key=key.to_user_string(),
        run_id=context.run_id,
        code_version=code_version,
        data_version=data_version(sources, code_version),
        sources=tuple(sources),
        inputs=digests,
        conventions=dict(conventions or {}),
        asset_keys={table: k.to_user_string() for table, k in (asset_keys or {}).items()},
    )


def _digests(covered: Mapping[str, Any]) -> dict[str, str]:
    """The digests behind a code version: as loaded by this process, else computed now."""
    package = str(covered["package"])
    if package not in _DIGESTS:
        configs = [str(c).removeprefix("assets_config/") for c in covered.get("configs", [])]
        _DIGESTS[package] = versions.inputs(package, configs)
    return _DIGESTS[package]


register_resolver(current)
