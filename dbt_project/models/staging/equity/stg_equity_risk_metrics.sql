-- One row per portfolio per trading day of risk metrics; NaN figures become null, `reasons` says why.
with metrics as (
    select * from {{ source('equity_analytics', 'equity_risk_metrics') }}
),

final as (
    select
        tenant_id || ':' || portfolio_id || ':' || as_of_date::text as risk_metrics_key,
        tenant_id,
        portfolio_id,
        as_of_date,
        n_returns,
        {{ equity_finite('daily_return') }} as daily_return,
        {{ equity_finite('beta_spy') }} as beta_spy,
        {{ equity_finite('annual_volatility') }} as annual_volatility,
        {{ equity_finite('sharpe_ratio') }} as sharpe_ratio,
        {{ equity_finite('max_drawdown') }} as max_drawdown,
        {{ equity_finite('var_95_parametric') }} as var_95_parametric,
        {{ equity_finite('var_95_historical') }} as var_95_historical,
        {{ equity_finite('var_95_factor') }} as var_95_factor,
        {{ equity_finite('var_95_factor_ewma') }} as var_95_factor_ewma,
        gross_market_value,
        risk_free_rate,
        status,
        reasons
    from metrics
)

select * from final
