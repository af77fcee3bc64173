-- One row per tenant portfolio: its current positions file, how many positions that file holds, and the
-- latest trading day with a snapshot. Served by /portfolios and used to resolve `portfolio_id`.
{{ config(materialized='view') }}

with portfolios as (
    select * from {{ ref('stg_equity_portfolios') }}
    where is_current
),

positions as (
    select
        tenant_id,
        portfolio_id,
        count(*) as position_count
    from {{ ref('equity_current_positions') }}
    group by tenant_id, portfolio_id
),

snapshot_days as (
    select
        tenant_id,
        portfolio_id,
        max(as_of_date) as as_of_date
    from {{ ref('stg_equity_portfolio_snapshots') }}
    group by tenant_id, portfolio_id
),

final as (
    select
        portfolios.tenant_id || ':' || portfolios.portfolio_id as portfolio_key,
        portfolios.tenant_id,
        portfolios.portfolio_id,
        portfolios.name,
        portfolios.base_currency,
        portfolios.effective_from,
        coalesce(positions.position_count, 0) as position_count,
        snapshot_days.as_of_date
    from portfolios
    left join positions
        on portfolios.tenant_id = positions.tenant_id
        and portfolios.portfolio_id = positions.portfolio_id
    left join snapshot_days
        on portfolios.tenant_id = snapshot_days.tenant_id
        and portfolios.portfolio_id = snapshot_days.portfolio_id
)

select * from final
