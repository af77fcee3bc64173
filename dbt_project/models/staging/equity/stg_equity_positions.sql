-- One row per position per landed file; is_current marks rows of the portfolio's latest effective file.
with positions as (
    select * from {{ source('equity_raw', 'equity_positions') }}
),

portfolios as (
    select * from {{ ref('stg_equity_portfolios') }}
),

final as (
    select
        positions.tenant_id || ':' || positions.partition_key || ':' || positions.position_id as position_key,
        positions.tenant_id,
        positions.partition_key,
        positions.portfolio_id,
        positions.position_id,
        positions.ticker,
        positions.underlying,
        positions.position_type,
        positions.quantity,
        positions.entry_price,
        positions.entry_date,
        positions.multiplier,
        positions.option_type,
        positions.strike,
        positions.expiry,
        positions.tags,
        positions.effective_from,
        positions.landed_at,
        coalesce(portfolios.is_current, false) as is_current
    from positions
    left join portfolios
        on positions.tenant_id = portfolios.tenant_id
        and positions.partition_key = portfolios.partition_key
)

select * from final
