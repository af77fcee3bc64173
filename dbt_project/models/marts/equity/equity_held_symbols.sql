-- One row per tenant and symbol held in any of its positions files (ticker or option underlying): the
-- symbols whose prices /market-data/prices serves the tenant, besides the factor ETFs.
{{ config(materialized='view') }}

with positions as (
    select * from {{ ref('stg_equity_positions') }}
),

symbols as (
    select tenant_id, ticker as symbol from positions
    union
    select tenant_id, underlying as symbol from positions
),

final as (
    select
        tenant_id || ':' || symbol as held_symbol_key,
        tenant_id,
        symbol
    from symbols
)

select * from final
