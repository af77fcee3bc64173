-- The portfolios the API serves: the latest performance file per tenant and portfolio, with the
-- latest as_of among the tenant's portfolios (the as_of of the portfolio list).
with portfolios as (
    select * from {{ ref('stg_performance_portfolios') }}
    where is_current
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
        residuals,
        max(as_of) over (partition by tenant_id) as tenant_as_of
    from portfolios
)

select * from final
