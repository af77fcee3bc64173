"""The one Definitions object: every domain's assets, jobs, sensors and resources, with global policies.

A domain plugs in with two lines here: its file-partitioned assets go into `DOMAIN_FILE_ASSETS` (the
`<domain>_files_job` runs them for each landed file) and everything else it defines (assets on other
partitions, jobs, schedules, sensors, resources) into `DOMAIN_DEFINITIONS` as a `dg.Definitions`.
"""

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.clo.assets import clo_file_assets
from orchestration.compliance.assets import compliance_file_assets, scenario_file_assets
from orchestration.compliance.definitions import compliance_definitions
from orchestration.core.dbt import DBT_EXECUTABLE, dbt_models, dbt_project
from orchestration.core.partitions import FILE_PARTITIONS
from orchestration.core.resources import LandingZoneResource, WarehouseResource
from orchestration.core.settings import DOMAINS
from orchestration.covenants.assets import covenants_file_assets
from orchestration.covenants.definitions import covenants_definitions
from orchestration.equity.assets import equity_file_assets
from orchestration.equity.definitions import equity_definitions
from orchestration.ops.assets import landed_files_assets, ops_landing_log
from orchestration.ops.sensors import build_landing_sensor
from orchestration.performance.assets import performance_file_assets, pnl_file_assets
from orchestration.reconciliation.assets import resolutions_file_assets, statement_file_assets
from orchestration.reports.assets import report_file_assets
from orchestration.reports.definitions import reports_definitions

DOMAIN_FILE_ASSETS: dict[str, list[dg.AssetsDefinition]] = {
    "clo": [landed_files_assets["clo"], *clo_file_assets, *report_file_assets, *compliance_file_assets],
    "trustee": [landed_files_assets["trustee"], *statement_file_assets["trustee"]],
    "geneva": [landed_files_assets["geneva"], *statement_file_assets["geneva"]],
    "bloomberg": [landed_files_assets["bloomberg"], *statement_file_assets["bloomberg"]],
    "resolutions": [landed_files_assets["resolutions"], *resolutions_file_assets],
    "scenarios": [landed_files_assets["scenarios"], *scenario_file_assets],
    "equity": [landed_files_assets["equity"], *equity_file_assets],
    "covenants": [landed_files_assets["covenants"], *covenants_file_assets],
    "performance": [landed_files_assets["performance"], *performance_file_assets],
    "pnl": [landed_files_assets["pnl"], *pnl_file_assets],
}
"""Per domain, the Python assets partitioned by that domain's file partitions."""

DOMAIN_DEFINITIONS: list[dg.Definitions] = [
    covenants_definitions(),
    equity_definitions(),
    reports_definitions(),
    compliance_definitions(),
]
"""Each domain's other definitions, merged into the one Definitions below."""

file_jobs = {
    domain: dg.define_asset_job(
        name=f"{domain}_files_job",
        selection=dg.AssetSelection.assets(*DOMAIN_FILE_ASSETS[domain]),
        partitions_def=FILE_PARTITIONS[domain],
        description=f"Everything one file landed in {domain}/ produces; one run per file partition.",
        tags={"domain": domain},
    )
    for domain in DOMAINS
}

dbt_build_job = dg.define_asset_job(
    name="dbt_build_job",
    selection=dg.AssetSelection.assets(dbt_models),
    description="Build every dbt model and run its tests (staging views, marts).",
)

dbt_automation_sensor = dg.AutomationConditionSensorDefinition(
    "dbt_automation_sensor",
    target=dg.AssetSelection.assets(dbt_models),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Rebuilds dbt models after their upstream Python assets materialize.",
)


def _platform_definitions() -> dg.Definitions:
    """The spine every domain shares (built in a function: a code location allows one module-level Definitions)."""
    return dg.Definitions(
        assets=[ops_landing_log, *(a for assets in DOMAIN_FILE_ASSETS.values() for a in assets), dbt_models],
        jobs=[*file_jobs.values(), dbt_build_job],
        sensors=[*(build_landing_sensor(d, file_jobs[d].name) for d in DOMAINS), dbt_automation_sensor],
        resources={
            "warehouse": WarehouseResource(),
            "landing_zone": LandingZoneResource(),
            "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
        },
    )


defs = dg.Definitions.merge(_platform_definitions(), *DOMAIN_DEFINITIONS)
