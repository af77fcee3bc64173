-- One row per portfolio, trading day and group (by position type, or by tag with '(untagged)' for positions
-- without one): how many positions, Σ market value, Σ exposure, Σ daily P&L and the position ids (by ticker,
-- then id, as /positions lists them). Served by /positions?groupBy=type|tag.
{{ config(materialized='view') }}

with members as (
    select * from {{ ref('equity_position_group_members') }}
),

final as (
    select
        tenant_id || ':' || portfolio_id || ':' || as_of_date::text || ':' || group_by || ':' || group_key
            as position_group_key,
        tenant_id,
        portfolio_id,
        as_of_date,
        group_by,
        group_key,
        count(*) as position_count,
        sum(market_value) as market_value,
        sum(exposure) as exposure,
        sum(daily_pnl) as daily_pnl,
        array_agg(position_id order by ticker, position_id) as position_ids
    from members
    group by tenant_id, portfolio_id, as_of_date, group_by, group_key
)

select * from final
