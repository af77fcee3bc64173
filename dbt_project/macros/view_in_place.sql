{#-
  Views replaced in place on Postgres, so the views built on them survive.

  dbt's default view materialization builds the new view under a temporary name, renames the old one away and
  drops it with CASCADE: every view built on it (a mart view over a staging view) is dropped too, and stays
  missing until it is rebuilt, or for good when a failing test skips the rebuild. Here the new view is built
  under the temporary name first, as dbt does; when it keeps every existing column (same position, name and
  type; new columns only at the end) the temporary view is dropped and the old one is replaced with
  `create or replace view`, which keeps its identity and therefore its dependents. Any other change takes
  dbt's path (rename, then drop with CASCADE).
-#}
{%- materialization view, adapter='postgres' -%}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='view') -%}
  {%- set intermediate_relation = make_intermediate_relation(target_relation) -%}
  {%- set preexisting_intermediate_relation = load_cached_relation(intermediate_relation) -%}
  {%- set backup_relation_type = 'view' if existing_relation is none else existing_relation.type -%}
  {%- set backup_relation = make_backup_relation(target_relation, backup_relation_type) -%}
  {%- set preexisting_backup_relation = load_cached_relation(backup_relation) -%}
  {% set grant_config = config.get('grants') %}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ drop_relation_if_exists(preexisting_intermediate_relation) }}
  {{ drop_relation_if_exists(preexisting_backup_relation) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% call statement('main') -%}
    {{ get_create_view_as_sql(intermediate_relation, sql) }}
  {%- endcall %}

  {%- set in_place = existing_relation is not none and existing_relation.is_view -%}
  {%- if in_place -%}
    {%- set changed_columns -%}
      select count(*) from (
        select attnum, attname, atttypid, atttypmod from pg_catalog.pg_attribute
        where attrelid = '{{ existing_relation }}'::regclass and attnum > 0 and not attisdropped
        except
        select attnum, attname, atttypid, atttypmod from pg_catalog.pg_attribute
        where attrelid = '{{ intermediate_relation }}'::regclass and attnum > 0 and not attisdropped
      ) as kept_columns_that_differ
    {%- endset -%}
    {%- set in_place = run_query(changed_columns).columns[0].values()[0] == 0 -%}
  {%- endif -%}

  {% if in_place %}
    {{ adapter.drop_relation(intermediate_relation) }}
    {% call statement('replace_in_place') -%}
      create or replace view {{ target_relation }} as (
        {{ sql }}
      );
    {%- endcall %}
  {% else %}
    {% if existing_relation is not none %}
      {% set existing_relation = load_cached_relation(existing_relation) %}
      {% if existing_relation is not none %}
        {{ adapter.rename_relation(existing_relation, backup_relation) }}
      {% endif %}
    {% endif %}
    {{ adapter.rename_relation(intermediate_relation, target_relation) }}
  {% endif %}

  {% set should_revoke = should_revoke(existing_relation, full_refresh_mode=True) %}
  {% do apply_grants(target_relation, grant_config, should_revoke=should_revoke) %}
  {% do persist_docs(target_relation, model) %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ drop_relation_if_exists(backup_relation) }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({'relations': [target_relation]}) }}
{%- endmaterialization -%}
