-- One row per event of a variance's append-only history: opened, auto-resolved, or a landed resolution.
with source as (
    select * from {{ source('reconciliation_analytics', 'reconciliation_variance_events') }}
),

final as (
    select
        tenant_id || ':' || partition_key || ':' || event_id as event_key,
        tenant_id,
        partition_key,
        event_id,
        variance_id,
        reconciliation_id,
        seq,
        status,
        resolution_type,
        explanation,
        action,
        resolved_by,
        rule_id,
        source,
        recorded_at
    from source
)

select * from final
