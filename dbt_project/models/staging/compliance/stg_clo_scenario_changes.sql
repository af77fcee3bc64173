{{ config(materialized='ephemeral') }}
-- The trades (changes) of each scenario version, in execution order.
with source as (
    select * from {{ source('compliance_analytics', 'clo_scenario_changes') }}
),

final as (
    select
        tenant_id || ':' || partition_key || ':' || order_index as scenario_change_key,
        tenant_id,
        partition_key,
        scenario_id,
        version,
        order_index,
        change_type,
        target_cusip,
        change_data,
        par_delta
    from source
)

select * from final
