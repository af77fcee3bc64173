-- The current value of every measurement (deal, period, metric), per tenant (served by /measurements).
with measurements as (
    select * from {{ ref('stg_covenant_measurements') }}
),

final as (
    select
        measurement_key,
        deal_key,
        tenant_id,
        deal_id,
        period_start,
        period_end,
        metric_name,
        metric_value_scaled,
        period_start || ':' || period_end || ':' || metric_name as sort_key,
        version_count,
        partition_key,
        landed_at
    from measurements
    where is_current
)

select * from final
