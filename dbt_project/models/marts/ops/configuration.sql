-- The configuration the platform runs with, as the API serves it: a view, so an edit to assets_config/ is
-- served as soon as the ops/configuration asset has validated it (no dbt run in between).
{{ config(materialized='view') }}

select
    configuration_key,
    kind,
    name,
    tenant_id,
    position,
    document,
    source,
    config_sha256
from {{ ref('stg_configuration') }}
