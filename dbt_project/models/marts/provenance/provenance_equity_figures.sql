-- Provenance (issue 18): every equity figure the API serves per trading day - a position's valuation, a position's
-- beta to a factor, a portfolio's risk metrics - with its table and partition (the trading day, shared by every
-- tenant in ops.lineage) and the positions file that governed its portfolio that day: the latest effective on or
-- before the day (by effective_from, then landed_at), else the earliest (orchestration.equity.positions.positions_on).
-- A view: filters on kind, tenant and the figure's columns reach each table's primary key.
{{ config(materialized='view') }}

with figures as (
    select
        'position_valuation'::text as kind,
        'analytics.equity_position_valuations'::text as table_name,
        tenant_id,
        partition_key,
        portfolio_id,
        position_id,
        null::text as factor,
        as_of_date
    from {{ source('equity_analytics', 'equity_position_valuations') }}
    union all
    select
        'beta'::text,
        'analytics.equity_factor_betas'::text,
        tenant_id,
        partition_key,
        portfolio_id,
        position_id,
        factor,
        as_of_date
    from {{ source('equity_analytics', 'equity_factor_betas') }}
    union all
    select
        'risk_metric'::text,
        'analytics.equity_risk_metrics'::text,
        tenant_id,
        partition_key,
        portfolio_id,
        null::text,
        null::text,
        as_of_date
    from {{ source('equity_analytics', 'equity_risk_metrics') }}
),

final as (
    select
        concat_ws(':', figures.kind, figures.tenant_id, figures.portfolio_id, figures.position_id, figures.factor,
            figures.as_of_date::text) as figure_key,
        figures.kind,
        figures.table_name,
        figures.tenant_id,
        figures.partition_key,
        figures.portfolio_id,
        figures.position_id,
        figures.factor,
        figures.as_of_date,
        governing.partition_key as positions_partition_key
    from figures
    left join lateral (
        select files.partition_key
        from {{ source('equity_raw', 'equity_portfolios') }} as files
        where files.tenant_id = figures.tenant_id
            and files.portfolio_id = figures.portfolio_id
        order by
            files.effective_from <= figures.as_of_date desc,
            case when files.effective_from <= figures.as_of_date then files.effective_from end desc nulls last,
            case when files.effective_from <= figures.as_of_date then files.landed_at end desc nulls last,
            files.effective_from,
            files.landed_at
        limit 1
    ) as governing on true
)

select * from final
