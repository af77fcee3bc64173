-- analytics.performance_positions as written by the performance assets, typed and unchanged.
with source as (
    select * from {{ source('performance_analytics', 'performance_positions') }}
),

final as (
    select * from source
)

select * from final
