{#- The landing domains; keep in step with orchestration.core.settings.DOMAINS. -#}
{% macro landing_domains() -%}
    {{ return(['clo', 'trustee', 'equity', 'covenants', 'performance', 'pnl']) }}
{%- endmacro %}
