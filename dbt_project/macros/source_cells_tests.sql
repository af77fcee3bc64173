{#- Generic test of the provenance source cells (issue 18, docs/clo.md "Source cells"). -#}

{#- Fails on every row whose source_cells is not a JSON object of {cell, transform} entries (text each), and, with
    `null_when`, on every row that meets the condition yet names cells (e.g. a position found only internally). -#}
{% test source_cells_well_formed(model, column_name, null_when=none) %}
select *
from {{ model }}
where (
    {{ column_name }} is not null
    and (
        jsonb_typeof({{ column_name }}) <> 'object'
        or exists (
            select 1
            from jsonb_each({{ column_name }}) as entry
            where jsonb_typeof(entry.value -> 'cell') is distinct from 'string'
                or jsonb_typeof(entry.value -> 'transform') is distinct from 'string'
        )
    )
)
{%- if null_when %}
    or ({{ null_when }} and {{ column_name }} is not null)
{%- endif %}
{% endtest %}
