{#- The landing domains; keep in step with orchestration.core.settings.DOMAINS. -#}
{% macro landing_domains() -%}
    {{ return(['clo', 'trustee', 'geneva', 'bloomberg', 'resolutions', 'scenarios', 'equity', 'covenants', 'performance', 'pnl']) }}
{%- endmacro %}
