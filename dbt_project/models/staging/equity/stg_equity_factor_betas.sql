-- One row per position, factor and trading day; NaN statistics become null (no figure, not a number).
with betas as (
    select * from {{ source('equity_analytics', 'equity_factor_betas') }}
),

final as (
    select
        tenant_id || ':' || portfolio_id || ':' || position_id || ':' || factor || ':' || as_of_date::text
            as factor_beta_key,
        tenant_id,
        portfolio_id,
        position_id,
        as_of_date,
        ticker,
        method,
        factor,
        etf,
        {{ equity_finite('beta') }} as beta,
        {{ equity_finite('alpha') }} as alpha,
        {{ equity_finite('r_squared') }} as r_squared,
        {{ equity_finite('t_stat') }} as t_stat,
        {{ equity_finite('std_error') }} as std_error,
        n_obs,
        status,
        reason
    from betas
)

select * from final
