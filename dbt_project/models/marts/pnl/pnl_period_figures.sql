-- A calendar period's P&L as of any day: one row per tenant, portfolio, line (each figure, and the total
-- line: figures summed, offsetting figures subtracted, seed 003), calendar month, quarter or year, and
-- as-of span. `amount` is the line's facts summed from period_start to any as-of day in
-- [as_of_from, as_of_to]; as_of_to is null on the period's last span, whose amount is the whole period.
-- Before a period's first fact its amount is 0 (no row). GET /api/v1/portfolio/profitloss reads the row
-- whose span holds endDate for every column: months and quarters to date, MTD (the month holding endDate)
-- and YTD (the year holding endDate).
with daily as (
    select * from {{ ref('pnl_daily_figures') }}
),

figure_lines as (
    select
        tenant_id,
        portfolio_id,
        'figure'::text as line_kind,
        figure,
        is_offsetting,
        fact_date,
        amount
    from daily
),

total_lines as (
    select
        tenant_id,
        portfolio_id,
        'total'::text as line_kind,
        null::text as figure,
        null::boolean as is_offsetting,
        fact_date,
        sum(case when is_offsetting then -amount else amount end) as amount
    from daily
    group by tenant_id, portfolio_id, fact_date
),

lines as (
    select * from figure_lines
    union all
    select * from total_lines
),

period_kinds as (
    select period_kind, period_length
    from (
        values ('month'::text, interval '1 month'), ('quarter'::text, interval '3 months'), ('year'::text, interval '1 year')
    ) as kinds(period_kind, period_length)
),

in_periods as (
    select
        lines.*,
        period_kinds.period_kind,
        period_kinds.period_length,
        date_trunc(period_kinds.period_kind, lines.fact_date)::date as period_start
    from lines
    cross join period_kinds
),

spans as (
    select
        tenant_id,
        portfolio_id,
        line_kind,
        figure,
        is_offsetting,
        period_kind,
        period_start,
        (period_start + period_length - interval '1 day')::date as period_end,
        fact_date as as_of_from,
        lead(fact_date) over by_period - 1 as as_of_to,
        sum(amount) over (by_period rows between unbounded preceding and current row) as amount
    from in_periods
    window by_period as (
        partition by tenant_id, portfolio_id, line_kind, figure, is_offsetting, period_kind, period_start
        order by fact_date
    )
),

final as (
    select
        md5(concat_ws('|', tenant_id, portfolio_id, line_kind, figure, is_offsetting::text, period_kind,
            period_start::text, as_of_from::text)) as pnl_period_figure_id,
        tenant_id,
        portfolio_id,
        line_kind,
        figure,
        is_offsetting,
        period_kind,
        case period_kind
            when 'month' then to_char(period_start, 'YYYY-MM')
            when 'quarter' then to_char(period_start, 'YYYY') || '-Q' || extract(quarter from period_start)::integer::text
            else to_char(period_start, 'YYYY')
        end as period_label,
        period_start,
        period_end,
        as_of_from,
        as_of_to,
        amount
    from spans
)

select * from final
