{#- A tag's display colour when tags.yaml names none: '#' and the first six hex digits of sha256(tag), upper case
    (stable across runs and processes; the configured colours come from marts.configuration). -#}
{% macro derived_tag_color(tag) -%}
    '#' || upper(left(encode(sha256(convert_to({{ tag }}, 'UTF8')), 'hex'), 6))
{%- endmacro %}
