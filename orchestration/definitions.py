"""The one Definitions object: every domain package's `defs()` merged, plus one file job per landing domain.

A domain plugs in by listing its package in `DOMAIN_PACKAGES`. Its `definitions.defs()` holds everything it
defines; every asset it puts on a landing domain's file partitions (`core.partitions.FILE_PARTITIONS`) joins
that domain's `<domain>_files_job`, the job the landing sensor launches once per landed file.
"""

from types import ModuleType

import dagster as dg

from orchestration.clo import definitions as clo
from orchestration.compliance import definitions as compliance
from orchestration.core import definitions as core
from orchestration.core.executors import with_step_executor
from orchestration.core.partitions import FILE_PARTITIONS, file_job_name
from orchestration.core.provenance import with_code_versions
from orchestration.covenants import definitions as covenants
from orchestration.equity import definitions as equity
from orchestration.ops import definitions as ops
from orchestration.performance import definitions as performance
from orchestration.reconciliation import definitions as reconciliation
from orchestration.reports import definitions as reports

DOMAIN_PACKAGES = (core, ops, clo, compliance, reconciliation, reports, equity, covenants, performance)
"""Every package's definitions module; each has `defs() -> dg.Definitions`."""

CODE_CONFIGS: dict[ModuleType, tuple[str, ...]] = {
    core: (),
    ops: ("webhooks",),
    clo: ("mappings",),
    compliance: ("compliance", "alerts", "mappings"),
    reconciliation: ("reconciliation", "mappings"),
    reports: ("reports",),
    equity: ("factors.yaml", "tags.yaml"),
    covenants: ("covenants.yaml", "ml"),
    performance: (),
}
"""The `assets_config/` files each package's assets read: part of their code version (core/provenance.py)."""


def _versioned(package: ModuleType) -> dg.Definitions:
    """A package's definitions, every asset given the code version of the package's pure modules and config."""
    return with_code_versions(package.defs(), package.__name__.rpartition(".")[0], CODE_CONFIGS[package])


def _merged() -> dg.Definitions:
    """Every package's definitions in one (built in a function: a code location allows one module-level Definitions)."""
    return dg.Definitions.merge(*(_versioned(package) for package in DOMAIN_PACKAGES))


_assets = [a for a in _merged().assets or [] if isinstance(a, dg.AssetsDefinition)]


def file_assets(domain: str) -> list[dg.AssetsDefinition]:
    """Every asset on `domain`'s file partitions, whichever package defines it: what one landed file produces."""
    return [a for a in _assets if a.partitions_def == FILE_PARTITIONS[domain]]


file_jobs = {
    domain: dg.define_asset_job(
        name=file_job_name(domain),
        selection=dg.AssetSelection.assets(*file_assets(domain)),
        partitions_def=partitions,
        description=f"Everything one file landed in {domain}/ produces; one run per file partition.",
        tags={"domain": domain},
    )
    for domain, partitions in FILE_PARTITIONS.items()
}

defs = with_step_executor(dg.Definitions.merge(_merged(), dg.Definitions(jobs=list(file_jobs.values()))))
"""Every job runs in-process by default; `CALCBRIDGE_EXECUTOR=celery` makes each step a Celery task (docs/deploy.md)."""
