-- One row per portfolio, trading day with Greeks, and view: portfolio (every position), longs (delta-adjusted
-- exposure >= 0, a missing one counting as 0) and shorts (< 0), with the count, Σ position Greeks, Σ
-- delta-adjusted exposure and how many positions took the seed's mock Greeks. Served by /risk/greeks.
{{ config(materialized='view') }}

-- days and greeks each read staging once (a CTE referenced twice is materialized whole by Postgres), so a
-- tenant and portfolio filter reaches the base table's index.
with days as (
    select distinct tenant_id, portfolio_id, as_of_date
    from {{ ref('stg_equity_position_greeks') }}
),

greeks as (
    select
        *,
        coalesce(delta_adjusted_exposure, 0.0) as dae
    from {{ ref('stg_equity_position_greeks') }}
),

views as (
    select view_name from (values ('portfolio'), ('longs'), ('shorts')) as v (view_name)
),

final as (
    select
        days.tenant_id || ':' || days.portfolio_id || ':' || days.as_of_date::text || ':' || views.view_name
            as greeks_view_key,
        days.tenant_id,
        days.portfolio_id,
        days.as_of_date,
        views.view_name,
        count(greeks.position_id) as position_count,
        coalesce(sum(greeks.position_delta), 0.0) as delta,
        coalesce(sum(greeks.position_gamma), 0.0) as gamma,
        coalesce(sum(greeks.position_theta), 0.0) as theta,
        coalesce(sum(greeks.position_vega), 0.0) as vega,
        coalesce(sum(greeks.position_rho), 0.0) as rho,
        coalesce(sum(greeks.dae), 0.0) as delta_adjusted_exposure,
        count(greeks.position_id) filter (where greeks.source = 'mock') as mock_positions
    from days
    cross join views
    left join greeks
        on days.tenant_id = greeks.tenant_id
        and days.portfolio_id = greeks.portfolio_id
        and days.as_of_date = greeks.as_of_date
        and (
            views.view_name = 'portfolio'
            or (views.view_name = 'longs' and greeks.dae >= 0)
            or (views.view_name = 'shorts' and greeks.dae < 0)
        )
    group by days.tenant_id, days.portfolio_id, days.as_of_date, views.view_name
)

select * from final
