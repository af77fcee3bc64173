-- One row per portfolio per trading day.
with snapshots as (
    select * from {{ source('equity_analytics', 'equity_portfolio_snapshots') }}
),

final as (
    select
        tenant_id || ':' || portfolio_id || ':' || as_of_date::text as snapshot_key,
        tenant_id,
        portfolio_id,
        as_of_date,
        total_market_value,
        long_exposure,
        short_exposure,
        gross_exposure,
        net_exposure,
        cost_basis,
        daily_pnl,
        mtd_pnl,
        ytd_pnl,
        unrealized_pnl,
        position_count,
        counts_by_type,
        greeks,
        factor_betas,
        risk_metrics
    from snapshots
)

select * from final
