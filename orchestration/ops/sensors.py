"""The ops sensors: landing (one per domain), configuration, webhook deliveries and dead-letter announcements.

The webhook sensor requests one `webhook_delivery_job` run per (outbox event, matching subscription); the
dead-letter sensor publishes `dlq.item_added` to the outbox for each run that fails for good.
"""

import uuid

import dagster as dg
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from orchestration.core import dlq, events, landing_log
from orchestration.core.partitions import FILE_PARTITIONS
from orchestration.core.resources import LandingZoneResource, WarehouseResource
from orchestration.core.settings import is_tenant_id
from orchestration.ops import deliveries, subscriptions
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
            f"Watches landing/<tenant>/{domain}/ (a folder or an s3:// prefix): archives each new file by sha256, "
            f"adds a {domain}_files partition and requests one run per (tenant, content); rejects are logged in "
            "ops.landing_log. At most CALCBRIDGE_LANDING_MAX_FILES_PER_TICK files, and none started after "
            "CALCBRIDGE_LANDING_TICK_SECONDS, per tick; the rest wait for the next."
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
            max_files=landing_zone.tick_files,
            tick_seconds=landing_zone.tick_budget,
            sweep_keys=landing_zone.tick_sweep_keys,
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


WEBHOOK_SENSOR = "webhook_delivery_sensor"
DELIVERY_OP = "deliver_webhook"
"""The op of `webhook_delivery_job` (its run config names it)."""


def delivery_request(due: deliveries.Due) -> dg.RunRequest:
    """One delivery run: event + subscription in its config, run key and tags naming both."""
    config = {"event_id": due.event.event_id, "webhook_id": due.webhook_id}
    return dg.RunRequest(run_key=due.run_key, run_config={"ops": {DELIVERY_OP: {"config": config}}}, tags=due.tags)


def build_webhook_sensor(job_name: str) -> dg.SensorDefinition:
    """Request a delivery run for every new outbox event an enabled subscription matches (cursor: event ids)."""

    @dg.sensor(
        name=WEBHOOK_SENSOR,
        job_name=job_name,
        minimum_interval_seconds=15,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Reads ops.events after its cursor and requests one webhook_delivery_job run per (event, subscription) "
            "of assets_config/webhooks/ and the alert rules' webhooks; run key webhook:<event uuid>:<webhook id>."
        ),
    )
    def _sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource) -> dg.SensorResult:
        found = deliveries.scan(warehouse.engine, context.cursor, subscriptions.load_subscriptions())
        return dg.SensorResult(run_requests=[delivery_request(d) for d in found.due], cursor=found.cursor)

    return _sensor


DLQ_SENSOR = "dlq_events_sensor"
DLQ_BATCH = 100


def dlq_event_uuid(run_id: str) -> str:
    """The one event uuid of a run's dlq.item_added, so announcing it twice inserts nothing."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"calcbridge:dlq.item_added:{run_id}"))


def announce_dead_letters(
    instance: dg.DagsterInstance, engine: Engine, cursor: str | None, limit: int = DLQ_BATCH
) -> tuple[list[str], str | None]:
    """Publish dlq.item_added for each run failure after `cursor` (a storage id) that is a dead letter.

    The tenant is the run's `tenant` tag (a run without one is no tenant's item: nobody's DLQ lists it); the
    payload is the item as `/api/v1/dlq` serves it. Returns the run ids announced and the next cursor.
    """
    after = int(cursor) if cursor else None
    failures = instance.fetch_run_status_changes(
        dg.RunStatusChangeRecordsFilter(event_type=dg.DagsterEventType.RUN_FAILURE, after_storage_id=after),
        limit=limit,
        ascending=True,
    ).records
    announced: list[str] = []
    for failure in failures:
        record = instance.get_run_record_by_id(failure.event_log_entry.run_id)
        if record is None or not dlq.is_dead_letter(record.dagster_run):
            continue
        run = record.dagster_run
        tenant = run.tags.get(dlq.TENANT_TAG)
        if not tenant or not is_tenant_id(tenant):
            continue
        item = dlq.item_payload(dlq.dead_letter(instance, record))
        event = events.Event("dlq.item_added", item, event_uuid=dlq_event_uuid(run.run_id))
        try:
            events.publish(engine, tenant, [event])
        except sa.exc.IntegrityError:  # announced already (uq_events_uuid)
            continue
        announced.append(run.run_id)
    return announced, str(failures[-1].storage_id) if failures else cursor


def build_dlq_sensor() -> dg.SensorDefinition:
    """Announce every run that lands in the dead-letter queue as a dlq.item_added event."""

    @dg.sensor(
        name=DLQ_SENSOR,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Follows Dagster's run failures (cursor: event storage id) and publishes dlq.item_added to ops.events "
            "for each run that will not be retried, tenant from its tags, payload as /api/v1/dlq serves it."
        ),
    )
    def _sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource) -> dg.SensorResult:
        announced, cursor = announce_dead_letters(context.instance, warehouse.engine, context.cursor)
        if announced:
            context.log.info(f"dlq.item_added for {len(announced)} run(s): {announced}")
        return dg.SensorResult(cursor=cursor)

    return _sensor
