{#- A float8 column with NaN as null: the equity calculations write NaN where a statistic has no value. -#}
{% macro equity_finite(column) -%}
    nullif({{ column }}, 'NaN'::double precision)
{%- endmacro %}
