-- One row per position per trading day: valuation, P&L, tags and (when computed) its position Greeks.
-- Served by /positions and /positions/{id}. A view: a re-run daily partition shows at once.
{{ config(materialized='view') }}

with valuations as (
    select * from {{ ref('stg_equity_position_valuations') }}
),

greeks as (
    select * from {{ ref('stg_equity_position_greeks') }}
),

final as (
    select
        valuations.position_day_key,
        valuations.tenant_id,
        valuations.portfolio_id,
        valuations.position_id,
        valuations.as_of_date,
        valuations.ticker,
        valuations.underlying,
        valuations.position_type,
        valuations.quantity,
        valuations.multiplier,
        valuations.entry_price,
        valuations.entry_date,
        valuations.price,
        valuations.price_source,
        valuations.market_value,
        valuations.exposure,
        valuations.cost_basis,
        valuations.unrealized_pnl,
        valuations.daily_pnl,
        valuations.daily_pnl_fallback,
        valuations.mtd_pnl,
        valuations.ytd_pnl,
        valuations.mtd_pnl_fallback,
        valuations.ytd_pnl_fallback,
        valuations.expired,
        valuations.realized_pnl,
        valuations.exposure_pct_gross,
        valuations.tags,
        greeks.source as greeks_source,
        greeks.position_delta as greeks_delta,
        greeks.position_gamma as greeks_gamma,
        greeks.position_theta as greeks_theta,
        greeks.position_vega as greeks_vega,
        greeks.position_rho as greeks_rho,
        greeks.delta_adjusted_exposure as greeks_delta_adjusted_exposure
    from valuations
    -- on the Greeks table's primary key, as the daily assets write both (partition_key = the trading day), so
    -- Postgres drops the join from reads that take no greeks_* column
    left join greeks
        on valuations.tenant_id = greeks.tenant_id
        and valuations.partition_key = greeks.partition_key
        and valuations.position_id = greeks.position_id
)

select * from final
