-- One row per covenant version (per landed file); is_current marks the latest-landed version.
with source as (
    select * from {{ source('covenants_raw', 'covenants_definitions') }}
),

versioned as (
    select
        tenant_id || ':' || covenant_id as covenant_key,
        tenant_id || ':' || deal_id as deal_key,
        tenant_id,
        covenant_id,
        deal_id,
        partition_key,
        name,
        formula,
        threshold_value_scaled,
        threshold_direction,
        frequency,
        landed_at,
        row_number() over (
            partition by tenant_id, covenant_id order by landed_at desc, partition_key desc
        ) = 1 as is_current,
        count(*) over (partition by tenant_id, covenant_id) as version_count
    from source
),

final as (
    select * from versioned
)

select * from final
