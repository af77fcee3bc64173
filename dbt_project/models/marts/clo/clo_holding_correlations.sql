-- Pearson r (Postgres corr) and pair count of every pair of numeric holding fields, per workbook; `is_latest`
-- marks the tenant's latest processed workbook (by report date, then landing). Served by /insights/correlations.
-- The fields are the correlation fields of orchestration/clo/insights.py (CORRELATION_FIELDS, same order; a
-- test keeps them equal). Every workbook has every pair; r is null with fewer than two pairs or a constant field.
{%- set fields = ['spread', 'price', 'coupon', 'par_amount'] -%}
{%- set pairs = [] -%}
{%- for a in fields -%}
    {%- for b in fields[loop.index:] -%}
        {%- do pairs.append((a, b)) -%}
    {%- endfor -%}
{%- endfor %}

with workbooks as (
    select
        workbook_key,
        tenant_id,
        workbook_id,
        report_date,
        status = 'processed' and row_number() over (
            partition by tenant_id, status = 'processed'
            order by report_date desc nulls last, created_at desc, workbook_id desc
        ) = 1 as is_latest
    from {{ ref('clo_workbooks') }}
),

stats as (
    select
        workbook_key,
        {%- for a, b in pairs %}
        corr({{ a }}, {{ b }}) as r_{{ loop.index }},
        count(*) filter (where {{ a }} is not null and {{ b }} is not null) as n_{{ loop.index }}
        {{- "," if not loop.last }}
        {%- endfor %}
    from {{ ref('clo_holdings') }}
    group by workbook_key
),

final as (
    select
        workbooks.workbook_key || ':' || pairs.field_a || ':' || pairs.field_b as correlation_key,
        workbooks.workbook_key,
        workbooks.tenant_id,
        workbooks.workbook_id,
        workbooks.report_date,
        workbooks.is_latest,
        pairs.pair_index,
        pairs.field_a,
        pairs.field_b,
        round(pairs.r::numeric, 6) as pearson_r,
        coalesce(pairs.n, 0) as n
    from workbooks
    left join stats on workbooks.workbook_key = stats.workbook_key
    cross join lateral (
        values
        {%- for a, b in pairs %}
            ({{ loop.index }}, '{{ a }}', '{{ b }}', stats.r_{{ loop.index }}, stats.n_{{ loop.index }})
            {{- "," if not loop.last }}
        {%- endfor %}
    ) as pairs (pair_index, field_a, field_b, r, n)
)

select * from final
