{#- Generic dbt tests of the performance and P&L marts (performance domain). -#}

{#- Each whole period's total line equals its figure lines summed, offsetting figures subtracted (seed 003). -#}
{% test pnl_totals_balance(model) %}
with whole as (
    select * from {{ model }} where as_of_to is null
),

figures as (
    select
        tenant_id, portfolio_id, period_kind, period_start,
        sum(case when is_offsetting then -amount else amount end) as amount
    from whole
    where line_kind = 'figure'
    group by tenant_id, portfolio_id, period_kind, period_start
),

totals as (
    select tenant_id, portfolio_id, period_kind, period_start, amount
    from whole
    where line_kind = 'total'
)

select *
from figures
full outer join totals using (tenant_id, portfolio_id, period_kind, period_start)
where figures.amount is distinct from totals.amount
{% endtest %}

{#- Every key set's groups add up to the selection's contribution lines (nothing lost, nothing twice). -#}
{% test performance_groups_balance(model, lines) %}
with grouped as (
    select tenant_id, partition_key, period_name, metric_basis, weighting, linking, key_set,
        sum(contribution) as contribution, sum(line_count) as line_count
    from {{ model }}
    group by tenant_id, partition_key, period_name, metric_basis, weighting, linking, key_set
),

lines as (
    select tenant_id, partition_key, period_name, metric_basis, weighting, linking,
        sum(contribution) as contribution, count(*) as line_count
    from {{ lines }}
    group by tenant_id, partition_key, period_name, metric_basis, weighting, linking
)

select grouped.*
from grouped
left join lines using (tenant_id, partition_key, period_name, metric_basis, weighting, linking)
where grouped.contribution is distinct from lines.contribution
    or grouped.line_count is distinct from lines.line_count
{% endtest %}
