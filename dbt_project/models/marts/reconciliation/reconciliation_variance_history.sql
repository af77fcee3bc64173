{{ config(materialized='view') }}

-- Every event of every variance's history (served oldest first: recorded_at, seq, source descending).
with events as (
    select * from {{ ref('stg_reconciliation_variance_events') }}
),

final as (
    select
        event_key,
        tenant_id,
        partition_key,
        reconciliation_id,
        variance_id,
        seq,
        status,
        resolution_type,
        explanation,
        action,
        resolved_by,
        rule_id,
        source,
        recorded_at
    from events
)

select * from final
