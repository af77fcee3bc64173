-- One row per written (table, tenant, partition) with its run, asset, versions, files, inputs and conventions.
with lineage as (
    select * from {{ source('provenance_ops', 'lineage') }}
),

final as (
    select
        table_name || '|' || tenant_id || '|' || partition_key as lineage_key,
        table_name,
        tenant_id,
        partition_key,
        asset_key,
        run_id,
        code_version,
        data_version,
        sources,
        inputs,
        conventions,
        materialized_at
    from lineage
)

select * from final
