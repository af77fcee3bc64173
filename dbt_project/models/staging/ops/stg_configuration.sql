-- One row per configuration document the ops/configuration asset validated (tenant_id '*' = every tenant).
with configuration as (
    select * from {{ source('ops', 'configuration') }}
),

final as (
    select
        kind || ':' || tenant_id || ':' || name as configuration_key,
        kind,
        name,
        tenant_id,
        position,
        document,
        source,
        config_sha256
    from configuration
)

select * from final
