"""The ops definitions: landing, configuration, webhook deliveries and dead-letter announcements.

Landing: files, log, one sensor per domain; configuration: asset, job, sensor; webhooks: sensor, job; the
dead-letter queue: a sensor that publishes dlq.item_added.

Each landing sensor launches its domain's `<domain>_files_job`, which the platform builds from every asset on
that domain's file partitions (`orchestration/definitions.py`). The webhook sensor launches one
`webhook_delivery_job` run per (event, subscription): one run is one delivery, so a delivery the receiver never
took is one failed run, one dead-letter item (WEBHOOK_DELIVERY_FAILED), re-runnable on its own.
"""

import time

import dagster as dg

from orchestration.core.materialize import input_errors
from orchestration.core.partitions import file_job_name
from orchestration.core.resources import WarehouseResource
from orchestration.core.settings import DOMAINS
from orchestration.ops import deliveries, subscriptions
from orchestration.ops.assets import CONFIGURATION_KEY, configuration, landed_files_assets, ops_landing_log
from orchestration.ops.sensors import (
    DELIVERY_OP,
    build_configuration_sensor,
    build_dlq_sensor,
    build_landing_sensor,
    build_webhook_sensor,
)

configuration_job = dg.define_asset_job(
    name="configuration_job",
    selection=dg.AssetSelection.assets(CONFIGURATION_KEY),
    description="Validate assets_config/ and replace ops.configuration (what the API serves as configuration).",
    tags={"domain": "ops"},
)

EVENTS = dg.AssetSpec(
    ["ops", "events"],
    group_name="ops",
    description=(
        "ops.events: the events outbox (issue 17), appended by every domain's write in the same transaction as the "
        "rows each event announces; the dbt model events serves /ws, the webhook sensor delivers from it."
    ),
    kinds={"postgres"},
)

WEBHOOK_DELIVERIES = dg.AssetSpec(
    ["ops", "webhook_deliveries"],
    group_name="ops",
    description=(
        "ops.webhook_deliveries: every webhook delivery attempt, appended by webhook_delivery_job (an op job, not "
        "an asset); the dbt model webhook_deliveries serves it at /api/v1/webhooks/deliveries."
    ),
    kinds={"postgres"},
)
"""The attempts table as an external asset, so the dbt models that read it hang off a described, grouped node."""


class WebhookDeliveryConfig(dg.Config):
    """Which outbox event to deliver to which subscription."""

    event_id: int
    webhook_id: str


class WebhookSenderResource(dg.ConfigurableResource):
    """How a delivery waits between attempts and how long one POST may take.

    `wait=False` records the retry delays without sleeping them (tests).
    """

    timeout_seconds: float = 10.0
    wait: bool = True

    def sleep(self, seconds: float) -> None:
        if self.wait:
            time.sleep(seconds)


@dg.op(
    name=DELIVERY_OP,
    description="POST one outbox event to one subscription, signed, with the seed's retry policy.",
)
def deliver_webhook(
    context: dg.OpExecutionContext,
    config: WebhookDeliveryConfig,
    warehouse: WarehouseResource,
    webhook_sender: WebhookSenderResource,
) -> dg.Output[str]:
    """Every attempt goes to ops.webhook_deliveries; a delivery that ends undelivered fails the run (typed)."""
    with input_errors():
        subscription = subscriptions.find(subscriptions.load_subscriptions(), config.webhook_id)
        event = deliveries.load_event(warehouse.engine, config.event_id)
        if subscription is None or event is None or not subscription.matches(event.tenant_id, event.type, event.data):
            reason = f"subscription {config.webhook_id} no longer takes event {config.event_id} (removed or edited)"
            context.log.warning(reason)
            return dg.Output("skipped", metadata={"skipped": reason})
        delivery = deliveries.deliver(
            warehouse.engine,
            event,
            subscription,
            run_id=context.run_id,
            sleep=webhook_sender.sleep,
            timeout=webhook_sender.timeout_seconds,
        )
    return dg.Output(
        delivery.status,
        metadata={
            "delivery_id": delivery.delivery_id,
            "attempts": len(delivery.attempts),
            "http_status": delivery.http_status,
            "delays": dg.MetadataValue.json(delivery.delays),
        },
    )


@dg.job(
    name=subscriptions.WEBHOOK_JOB_NAME,
    description="Deliver one outbox event to one webhook subscription (requested by webhook_delivery_sensor).",
    tags={"domain": "webhooks"},
)
def webhook_delivery_job() -> None:
    deliver_webhook()


def defs() -> dg.Definitions:
    """Built in a function: a code location module may hold only one module-level Definitions."""
    return dg.Definitions(
        assets=[ops_landing_log, configuration, EVENTS, WEBHOOK_DELIVERIES, *landed_files_assets.values()],
        jobs=[configuration_job, webhook_delivery_job],
        sensors=[
            *(build_landing_sensor(d, file_job_name(d)) for d in DOMAINS),
            build_configuration_sensor(configuration_job.name),
            build_webhook_sensor(webhook_delivery_job.name),
            build_dlq_sensor(),
        ],
        resources={"webhook_sender": WebhookSenderResource()},
    )
