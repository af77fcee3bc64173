-- Every webhook delivery attempt as /api/v1/webhooks/deliveries serves it: a view, so an attempt is listed as soon
-- as the delivery run has recorded it (no dbt run in between).
{{ config(materialized='view') }}

select
    attempt_id,
    delivery_id,
    attempt,
    tenant_id,
    webhook_id,
    event_id,
    event_uuid,
    event_type,
    status,
    http_status,
    error,
    delay_seconds,
    run_id,
    attempted_at
from {{ ref('stg_webhook_deliveries') }}
