-- Attribution totals: one row per portfolio, period, group key, model and linking.
with current_portfolios as (
    select tenant_id, partition_key, portfolio_key from {{ ref('performance_portfolios') }}
),

source_rows as (
    select * from {{ ref('stg_performance_attribution_totals') }}
),

final as (
    select
        md5(concat_ws('|', source_rows.tenant_id, source_rows.portfolio_id, source_rows.period_name, source_rows.group_key, source_rows.model, source_rows.linking)) as attribution_total_id,
        current_portfolios.portfolio_key,
        source_rows.*
    from source_rows
    inner join current_portfolios
        on current_portfolios.tenant_id = source_rows.tenant_id
        and current_portfolios.partition_key = source_rows.partition_key
)

select * from final
