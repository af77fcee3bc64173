"""The ops definitions: landing (files, log, one sensor per domain) and the configuration (asset, job, sensor).

Each landing sensor launches its domain's `<domain>_files_job`, which the platform builds from every asset on
that domain's file partitions (`orchestration/definitions.py`).
"""

import dagster as dg

from orchestration.core.partitions import file_job_name
from orchestration.core.settings import DOMAINS
from orchestration.ops.assets import CONFIGURATION_KEY, configuration, landed_files_assets, ops_landing_log
from orchestration.ops.sensors import build_configuration_sensor, build_landing_sensor

configuration_job = dg.define_asset_job(
    name="configuration_job",
    selection=dg.AssetSelection.assets(CONFIGURATION_KEY),
    description="Validate assets_config/ and replace ops.configuration (what the API serves as configuration).",
    tags={"domain": "ops"},
)


def defs() -> dg.Definitions:
    """Built in a function: a code location module may hold only one module-level Definitions."""
    return dg.Definitions(
        assets=[ops_landing_log, configuration, *landed_files_assets.values()],
        jobs=[configuration_job],
        sensors=[
            *(build_landing_sensor(d, file_job_name(d)) for d in DOMAINS),
            build_configuration_sensor(configuration_job.name),
        ],
    )
