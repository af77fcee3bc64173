"""The landing spine's definitions: `landed_files` per domain, the landing log and one landing sensor per domain.

Each landing sensor launches its domain's `<domain>_files_job`, which the platform builds from every asset on
that domain's file partitions (`orchestration/definitions.py`).
"""

import dagster as dg

from orchestration.core.partitions import file_job_name
from orchestration.core.settings import DOMAINS
from orchestration.ops.assets import landed_files_assets, ops_landing_log
from orchestration.ops.sensors import build_landing_sensor


def defs() -> dg.Definitions:
    """Built in a function: a code location module may hold only one module-level Definitions."""
    return dg.Definitions(
        assets=[ops_landing_log, *landed_files_assets.values()],
        sensors=[build_landing_sensor(d, file_job_name(d)) for d in DOMAINS],
    )
