-- One row per dbt model as last built: its relation, the checksum of its SQL and the nodes it reads.
with models as (
    select * from {{ source('provenance_ops', 'dbt_models') }}
),

final as (
    select
        unique_id,
        name,
        relation,
        checksum,
        materialized,
        depends_on,
        run_id,
        built_at
    from models
)

select * from final
