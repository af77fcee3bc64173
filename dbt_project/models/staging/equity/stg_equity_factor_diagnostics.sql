-- One row per factor ETF per trading day (market-wide rows, tenant _market); a NaN VIF becomes null.
with diagnostics as (
    select * from {{ source('equity_analytics', 'equity_factor_diagnostics') }}
),

final as (
    select
        factor || ':' || as_of_date::text as factor_diagnostic_key,
        as_of_date,
        factor,
        etf,
        {{ equity_finite('vif') }} as vif,
        correlations,
        n_obs
    from diagnostics
    where tenant_id = '_market'
)

select * from final
