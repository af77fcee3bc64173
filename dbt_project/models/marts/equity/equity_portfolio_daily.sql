-- One row per portfolio per trading day with its daily and cumulative return (P&L / previous gross value).
-- A view: a re-run daily partition shows at once.
{{ config(materialized='view') }}

with snapshots as (
    select * from {{ ref('stg_equity_portfolio_snapshots') }}
),

returns as (
    select
        *,
        daily_pnl / nullif(
            lag(gross_exposure) over (partition by tenant_id, portfolio_id order by as_of_date), 0
        ) as daily_return
    from snapshots
),

final as (
    select
        *,
        exp(sum(ln(greatest(1 + coalesce(daily_return, 0), 1e-12))) over (
            partition by tenant_id, portfolio_id order by as_of_date
        )) - 1 as cumulative_return
    from returns
)

select * from final
