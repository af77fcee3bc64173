-- One end-of-day bar per ticker per day (market-wide). Served by /market-data/prices.
{{ config(materialized='view') }}

with prices as (
    select * from {{ ref('stg_equity_market_prices') }}
),

final as (
    select
        price_key,
        ticker,
        price_date as as_of_date,
        open,
        high,
        low,
        close,
        volume,
        source
    from prices
)

select * from final
