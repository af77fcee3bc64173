-- One row per position per trading day: position Greeks (per-contract Greeks x quantity x multiplier).
-- One plain select (no CTE): Postgres inlines it into equity_position_daily, so a read there that takes no
-- Greeks column drops the left join to this table altogether.
select
    tenant_id || ':' || portfolio_id || ':' || position_id || ':' || as_of_date::text as position_day_key,
    tenant_id,
    partition_key,
    portfolio_id,
    position_id,
    as_of_date,
    ticker,
    position_type,
    source,
    position_delta,
    position_gamma,
    position_theta,
    position_vega,
    position_rho,
    delta_adjusted_exposure
from {{ source('equity_analytics', 'equity_position_greeks') }}
