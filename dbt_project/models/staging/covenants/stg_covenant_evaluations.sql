-- One row per evaluation (per landed file that affected the covenant and period); is_current marks the latest.
with source as (
    select * from {{ source('covenants_analytics', 'covenants_evaluations') }}
),

versioned as (
    select
        tenant_id || ':' || covenant_id || ':' || period_start || ':' || period_end as evaluation_key,
        tenant_id || ':' || deal_id as deal_key,
        tenant_id,
        covenant_id,
        deal_id,
        partition_key,
        period_start,
        period_end,
        calculated_value_scaled,
        threshold_value_scaled,
        threshold_direction,
        tolerance_scaled,
        status,
        reason,
        formula,
        evaluated_at,
        row_number() over (
            partition by tenant_id, covenant_id, period_start, period_end
            order by evaluated_at desc, partition_key desc
        ) = 1 as is_current,
        count(*) over (partition by tenant_id, covenant_id, period_start, period_end) as evaluation_count
    from source
),

final as (
    select * from versioned
)

select * from final
