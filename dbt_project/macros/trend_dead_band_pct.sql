{#- The trend's dead band in % of |trigger| as ops/configuration validated it: a scalar subquery, so a query
    that does not select the column never reads the configuration (the planner drops unused subquery outputs). -#}
{% macro trend_dead_band_pct() -%}
    (
        select (document ->> 'value')::numeric
        from {{ ref('configuration') }}
        where kind = 'compliance_setting' and name = 'trend_dead_band_pct' and tenant_id = '*'
    )
{%- endmacro %}
