-- One row per webhook delivery attempt, with the key the API pages by (delivery id and attempt number).
with deliveries as (
    select * from {{ source('webhooks_ops', 'webhook_deliveries') }}
),

final as (
    select
        delivery_id || '.' || attempt::text as attempt_id,
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
    from deliveries
)

select * from final
