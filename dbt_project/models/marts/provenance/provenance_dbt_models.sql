-- Provenance (issue 18): every dbt model as last built, with the checksum of its SQL and the nodes it reads
-- (depends_on: unique ids of models and sources). The provenance route walks depends_on from the mart it reads for
-- a figure up to the sources. A view over ops.dbt_models.
{{ config(materialized='view') }}

select
    unique_id,
    name,
    relation,
    checksum,
    materialized,
    depends_on,
    run_id,
    built_at
from {{ ref('stg_dbt_models') }}
