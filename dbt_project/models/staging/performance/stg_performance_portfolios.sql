-- One row per performance file, flagged is_current for the latest file landed per tenant and portfolio.
with portfolios as (
    select * from {{ source('performance_analytics', 'performance_portfolios') }}
),

landed as (
    select * from {{ ref('stg_landed_files') }}
    where domain = 'performance'
),

joined as (
    select
        portfolios.tenant_id,
        portfolios.partition_key,
        portfolios.portfolio_id,
        portfolios.base_currency,
        portfolios.precision_mode,
        portfolios.as_of,
        portfolios.inception_date,
        portfolios.first_date,
        portfolios.last_date,
        portfolios.daily_rows,
        portfolios.position_count,
        portfolios.position_group_keys,
        portfolios.benchmark_group_keys,
        portfolios.period_names,
        portfolios.config,
        portfolios.notes,
        portfolios.residuals,
        landed.file_name,
        landed.landed_at
    from portfolios
    left join landed
        on landed.tenant_id = portfolios.tenant_id
        and landed.partition_key = portfolios.partition_key
),

final as (
    select
        *,
        row_number() over (
            partition by tenant_id, portfolio_id
            order by landed_at desc nulls last, partition_key desc
        ) = 1 as is_current
    from joined
)

select * from final
