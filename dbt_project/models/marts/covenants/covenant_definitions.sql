-- The current version of every covenant, per tenant (served by /covenants).
with covenants as (
    select * from {{ ref('stg_covenant_definitions') }}
),

final as (
    select
        covenant_key,
        deal_key,
        tenant_id,
        covenant_id,
        deal_id,
        name,
        formula,
        threshold_value_scaled,
        threshold_direction,
        frequency,
        version_count,
        partition_key,
        landed_at
    from covenants
    where is_current
)

select * from final
