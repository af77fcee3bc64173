-- One row per landed positions file; is_current marks each portfolio's governing (latest effective) file.
with portfolios as (
    select * from {{ source('equity_raw', 'equity_portfolios') }}
),

final as (
    select
        tenant_id || ':' || partition_key as portfolio_file_key,
        tenant_id,
        partition_key,
        portfolio_id,
        name,
        base_currency,
        file_name,
        effective_from,
        position_count,
        landed_at,
        row_number() over (
            partition by tenant_id, portfolio_id order by effective_from desc, landed_at desc
        ) = 1 as is_current
    from portfolios
)

select * from final
