-- One row per portfolio, factor and trading day; NaN figures become null.
with factors as (
    select * from {{ source('equity_analytics', 'equity_portfolio_factors') }}
),

final as (
    select
        tenant_id || ':' || portfolio_id || ':' || factor || ':' || as_of_date::text as portfolio_factor_key,
        tenant_id,
        portfolio_id,
        as_of_date,
        factor,
        etf,
        {{ equity_finite('portfolio_beta') }} as portfolio_beta,
        {{ equity_finite('dollar_exposure') }} as dollar_exposure,
        positions_with_beta,
        status,
        reason
    from factors
)

select * from final
