{#- Generic tests of the reconciliation marts (named for the domain: dbt deps is offline, no dbt_utils). -#}

{#- Fails on every row where the column is not the sum of `parts` (columns of the same row). -#}
{% test reconciliation_sum_of(model, column_name, parts) %}
select *
from {{ model }}
where {{ column_name }} is distinct from ({{ parts | join(' + ') }})
{% endtest %}

{#- Fails on every run whose counts in `fields` differ from the summary the run stored (`stored`: a model with
    reconciliation_key and stored_summary): the counts resolutions do not change must agree with it. -#}
{% test reconciliation_agrees_with_stored_summary(model, stored, fields) %}
select summaries.reconciliation_key
from {{ model }} as summaries
join {{ stored }} as stored on stored.reconciliation_key = summaries.reconciliation_key
where false
{%- for field in fields %}
    or summaries.{{ field }} is distinct from (stored.stored_summary ->> '{{ field }}')::bigint
{%- endfor %}
    or summaries.variances_by_category::jsonb is distinct from stored.stored_summary -> 'variances_by_category'
{% endtest %}
