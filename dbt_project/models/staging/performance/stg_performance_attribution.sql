-- analytics.performance_attribution as written by the performance assets, typed and unchanged.
with source as (
    select * from {{ source('performance_analytics', 'performance_attribution') }}
),

final as (
    select * from source
)

select * from final
