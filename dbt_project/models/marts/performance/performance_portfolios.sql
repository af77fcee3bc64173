-- The portfolios the API serves: the latest performance file per tenant and portfolio.
with portfolios as (
    select * from {{ ref('stg_performance_portfolios') }}
),

final as (
    select
        tenant_id || '/' || portfolio_id as portfolio_key,
        tenant_id,
        portfolio_id,
        partition_key,
        file_name,
        landed_at,
        base_currency,
        precision_mode,
        as_of,
        inception_date,
        first_date,
        last_date,
        daily_rows,
        position_count,
        position_group_keys,
        benchmark_group_keys,
        period_names,
        config,
        notes,
        residuals
    from portfolios
    where is_current
)

select * from final
