-- One row per position per trading day: market value, exposure, P&L and the tags it carried that day.
with valuations as (
    select * from {{ source('equity_analytics', 'equity_position_valuations') }}
),

final as (
    select
        tenant_id || ':' || portfolio_id || ':' || position_id || ':' || as_of_date::text as position_day_key,
        tenant_id,
        partition_key,
        portfolio_id,
        position_id,
        as_of_date,
        ticker,
        underlying,
        position_type,
        quantity,
        multiplier,
        entry_price,
        entry_date,
        price,
        price_source,
        market_value,
        exposure,
        cost_basis,
        unrealized_pnl,
        daily_pnl,
        daily_pnl_fallback,
        mtd_pnl,
        ytd_pnl,
        mtd_pnl_fallback,
        ytd_pnl_fallback,
        expired,
        realized_pnl,
        exposure_pct_gross,
        tags
    from valuations
)

select * from final
