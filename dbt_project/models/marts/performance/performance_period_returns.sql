-- Period returns of each current portfolio: one row per period, metric basis and annualization basis,
-- with the period's place in the portfolio's period list and its annualization note (convention 6).
with current_portfolios as (
    select tenant_id, partition_key, portfolio_key, period_names from {{ ref('performance_portfolios') }}
),

source_rows as (
    select * from {{ ref('stg_performance_period_returns') }}
),

final as (
    select
        md5(concat_ws('|', source_rows.tenant_id, source_rows.portfolio_id, source_rows.period_name, source_rows.metric_basis, source_rows.annualization_basis)) as period_return_id,
        current_portfolios.portfolio_key,
        source_rows.*,
        (
            select listed.period_number
            from jsonb_array_elements_text(current_portfolios.period_names)
                with ordinality as listed(period_name, period_number)
            where listed.period_name = source_rows.period_name
            limit 1
        )::integer as period_order,
        case
            when source_rows.is_shorter_than_one_year and source_rows.is_annualized
                then 'annualized_shorter_than_one_year: ' || source_rows.period_name
            when source_rows.is_shorter_than_one_year
                then 'not_annualized_shorter_than_one_year: ' || source_rows.period_name
        end as annualization_note
    from source_rows
    inner join current_portfolios
        on current_portfolios.tenant_id = source_rows.tenant_id
        and current_portfolios.partition_key = source_rows.partition_key
)

select * from final
