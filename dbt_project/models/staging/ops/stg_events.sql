-- One row per event the pipelines announced (the outbox), with the columns the WebSocket stream filters on.
with events as (
    select * from {{ source('ops', 'events') }}
),

final as (
    select
        event_id,
        event_uuid,
        tenant_id,
        type,
        workbook_id,
        payload,
        created_at
    from events
)

select * from final
