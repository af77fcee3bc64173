-- One row per position per group it falls in on a trading day: its type (group_by = 'type') and each of its
-- tags, or '(untagged)' when it has none (group_by = 'tag'). Grouped positions filtered by type or tag on
-- /positions are summed from these rows; unfiltered groups are read from equity_position_groups.
-- Each branch reads the positions mart itself (no CTE referenced twice, which Postgres would materialize
-- whole): a tenant, portfolio and day filter reaches the base tables' indexes.
{{ config(materialized='view') }}

with by_type as (
    select
        position_day_key,
        tenant_id,
        portfolio_id,
        as_of_date,
        'type'::text as group_by,
        position_type as group_key,
        position_id,
        ticker,
        position_type,
        tags,
        market_value,
        exposure,
        daily_pnl
    from {{ ref('equity_position_daily') }}
),

by_tag as (
    select
        positions.position_day_key,
        positions.tenant_id,
        positions.portfolio_id,
        positions.as_of_date,
        'tag'::text as group_by,
        tag.value as group_key,
        positions.position_id,
        positions.ticker,
        positions.position_type,
        positions.tags,
        positions.market_value,
        positions.exposure,
        positions.daily_pnl
    from {{ ref('equity_position_daily') }} as positions
    cross join lateral (
        select distinct elements.value
        from jsonb_array_elements_text(
            case when jsonb_array_length(positions.tags) = 0 then '["(untagged)"]'::jsonb else positions.tags end
        ) as elements (value)
    ) as tag
),

members as (
    select * from by_type
    union all
    select * from by_tag
),

final as (
    select
        position_day_key || ':' || group_by || ':' || group_key as member_key,
        tenant_id,
        portfolio_id,
        as_of_date,
        group_by,
        group_key,
        position_id,
        ticker,
        position_type,
        tags,
        market_value,
        exposure,
        daily_pnl
    from members
)

select * from final
