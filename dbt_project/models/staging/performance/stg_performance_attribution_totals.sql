-- analytics.performance_attribution_totals as written by the performance assets, typed and unchanged.
with source as (
    select * from {{ source('performance_analytics', 'performance_attribution_totals') }}
),

final as (
    select * from source
)

select * from final
