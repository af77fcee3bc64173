-- analytics.performance_period_returns as written by the performance assets, typed and unchanged.
with source as (
    select * from {{ source('performance_analytics', 'performance_period_returns') }}
),

final as (
    select * from source
)

select * from final
