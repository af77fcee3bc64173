-- One end-of-day bar per ticker per day (market-wide rows, tenant _market).
with prices as (
    select * from {{ source('equity_raw', 'equity_market_prices') }}
),

final as (
    select
        ticker || ':' || price_date::text as price_key,
        ticker,
        price_date,
        open,
        high,
        low,
        close,
        volume,
        source
    from prices
    where tenant_id = '_market'
)

select * from final
