"""What every domain shares: the dbt models with their job and automation sensor, and the common resources."""

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.core.dbt import DBT_EXECUTABLE, dbt_models, dbt_project
from orchestration.core.resources import LandingZoneResource, WarehouseResource

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


def defs() -> dg.Definitions:
    """Built in a function: a code location module may hold only one module-level Definitions."""
    return dg.Definitions(
        assets=[dbt_models],
        jobs=[dbt_build_job],
        sensors=[dbt_automation_sensor],
        resources={
            "warehouse": WarehouseResource(),
            "landing_zone": LandingZoneResource(),
            "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
        },
    )
