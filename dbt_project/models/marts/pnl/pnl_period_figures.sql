-- One row per tenant, portfolio, figure, offsetting flag and calendar month or quarter: the amount.
with daily as (
    select * from {{ ref('pnl_daily_figures') }}
),

months as (
    select
        tenant_id,
        portfolio_id,
        figure,
        is_offsetting,
        'month'::text as period_kind,
        to_char(month_start, 'YYYY-MM') as period_label,
        month_start as period_start,
        (month_start + interval '1 month' - interval '1 day')::date as period_end,
        sum(amount) as amount
    from daily
    group by tenant_id, portfolio_id, figure, is_offsetting, month_start
),

quarters as (
    select
        tenant_id,
        portfolio_id,
        figure,
        is_offsetting,
        'quarter'::text as period_kind,
        to_char(quarter_start, 'YYYY') || '-Q' || extract(quarter from quarter_start)::int::text as period_label,
        quarter_start as period_start,
        (quarter_start + interval '3 months' - interval '1 day')::date as period_end,
        sum(amount) as amount
    from daily
    group by tenant_id, portfolio_id, figure, is_offsetting, quarter_start
),

unioned as (
    select * from months
    union all
    select * from quarters
),

final as (
    select
        md5(concat_ws('|', tenant_id, portfolio_id, figure, is_offsetting::text, period_kind, period_label)) as pnl_period_figure_id,
        *
    from unioned
)

select * from final
