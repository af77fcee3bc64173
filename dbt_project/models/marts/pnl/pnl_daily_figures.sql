-- One row per tenant, portfolio, figure, offsetting flag and day: the day's amount (facts of one file
-- summed; when several files carry the same key and day, the latest landed file wins). The periods of
-- /portfolio/profitloss are summed from it in pnl_period_figures.
with facts as (
    select * from {{ ref('stg_pnl_facts') }}
),

per_file as (
    select
        tenant_id,
        partition_key,
        portfolio_id,
        figure,
        is_offsetting,
        fact_date,
        max(landed_at) as landed_at,
        sum(amount) as amount
    from facts
    group by tenant_id, partition_key, portfolio_id, figure, is_offsetting, fact_date
),

ranked as (
    select
        *,
        row_number() over (
            partition by tenant_id, portfolio_id, figure, is_offsetting, fact_date
            order by landed_at desc nulls last, partition_key desc
        ) as file_rank
    from per_file
),

latest as (
    select * from ranked where file_rank = 1
),

final as (
    select
        md5(concat_ws('|', tenant_id, portfolio_id, figure, is_offsetting::text, fact_date::text)) as pnl_daily_figure_id,
        tenant_id,
        portfolio_id,
        figure,
        is_offsetting,
        fact_date,
        partition_key,
        amount
    from latest
)

select * from final
