-- One row per measurement version (per landed file); is_current marks the latest-landed version.
with source as (
    select * from {{ source('covenants_raw', 'covenants_measurements') }}
),

versioned as (
    select
        tenant_id || ':' || deal_id || ':' || period_start || ':' || period_end || ':' || metric_name
            as measurement_key,
        tenant_id || ':' || deal_id as deal_key,
        tenant_id,
        deal_id,
        partition_key,
        period_start,
        period_end,
        metric_name,
        metric_value_scaled,
        landed_at,
        row_number() over (
            partition by tenant_id, deal_id, period_start, period_end, metric_name
            order by landed_at desc, partition_key desc
        ) = 1 as is_current,
        count(*) over (partition by tenant_id, deal_id, period_start, period_end, metric_name) as version_count
    from source
),

final as (
    select * from versioned
)

select * from final
