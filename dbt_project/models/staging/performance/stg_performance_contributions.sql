-- analytics.performance_contributions as written by the performance assets, typed and unchanged.
with source as (
    select * from {{ source('performance_analytics', 'performance_contributions') }}
),

final as (
    select * from source
)

select * from final
