"""The landing sensors (one per domain: archive, add partitions, one run each) and the configuration sensor."""

import dagster as dg

from orchestration.core import landing_log
from orchestration.core.partitions import FILE_PARTITIONS
from orchestration.core.resources import LandingZoneResource, WarehouseResource
from orchestration.ops.configuration import config_sha256


def landing_sensor_name(domain: str) -> str:
    return f"{domain}_landing_sensor"


def to_sensor_result(domain: str, evaluation: landing_log.Evaluation) -> dg.SensorResult:
    """Turn a landing evaluation into partitions to add, run requests and the new cursor."""
    keys = sorted({r.partition_key for r in evaluation.requests})
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(run_key=r.run_key, partition_key=r.partition_key, tags=r.tags) for r in evaluation.requests
        ],
        dynamic_partitions_requests=[FILE_PARTITIONS[domain].build_add_request(keys)] if keys else [],
        cursor=evaluation.cursor,
    )


def build_landing_sensor(domain: str, job_name: str) -> dg.SensorDefinition:
    """A plain sensor with an explicit cursor; bad files are logged in ops.landing_log, never raised."""

    @dg.sensor(
        name=landing_sensor_name(domain),
        job_name=job_name,
        minimum_interval_seconds=15,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            f"Watches landing/<tenant>/{domain}/: archives each new file by sha256, adds a {domain}_files "
            "partition and requests one run per (tenant, content); rejects are logged in ops.landing_log."
        ),
    )
    def _sensor(
        context: dg.SensorEvaluationContext, warehouse: WarehouseResource, landing_zone: LandingZoneResource
    ) -> dg.SensorResult:
        evaluation = landing_log.evaluate(
            warehouse.engine,
            domain,
            context.cursor,
            landing_root=landing_zone.landing,
            archive_root=landing_zone.archive,
            settle_seconds=landing_zone.settle,
        )
        for rejected in evaluation.rejected:
            context.log.warning(f"rejected {rejected.candidate.relative_path}: {rejected.code} {rejected.reason}")
        return to_sensor_result(domain, evaluation)

    return _sensor


CONFIGURATION_SENSOR = "configuration_sensor"


def build_configuration_sensor(job_name: str) -> dg.SensorDefinition:
    """Re-materialize ops/configuration whenever a file under assets_config/ changes (its sha256 is the cursor)."""

    @dg.sensor(
        name=CONFIGURATION_SENSOR,
        job_name=job_name,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Hashes every file under assets_config/ and requests one ops/configuration run per new hash, so the "
            "served configuration follows the files (an invalid edit fails that run and keeps the last good one)."
        ),
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        sha256 = config_sha256()
        if sha256 == context.cursor:
            return dg.SensorResult(skip_reason=f"assets_config/ unchanged ({sha256[:12]})")
        return dg.SensorResult(run_requests=[dg.RunRequest(run_key=f"configuration:{sha256}")], cursor=sha256)

    return _sensor
