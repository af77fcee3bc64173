-- The positions each portfolio holds now (rows of its latest effective file). A view: always current.
{{ config(materialized='view') }}

with positions as (
    select * from {{ ref('stg_equity_positions') }}
),

final as (
    select
        position_key,
        tenant_id,
        portfolio_id,
        position_id,
        ticker,
        underlying,
        position_type,
        quantity,
        entry_price,
        entry_date,
        multiplier,
        tags,
        effective_from
    from positions
    where is_current
)

select * from final
