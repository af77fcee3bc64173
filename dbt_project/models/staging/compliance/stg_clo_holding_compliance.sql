{{ config(materialized='ephemeral') }}
-- Per-holding compliance fields, one row per holding per compliance run.
with source as (
    select * from {{ source('compliance_analytics', 'clo_holding_compliance') }}
),

final as (
    select
        tenant_id || ':' || partition_key || ':' || holding_id as holding_compliance_key,
        tenant_id,
        partition_key,
        workbook_id,
        holding_id,
        effective_rating,
        rating_source,
        rating_factor,
        in_ccc_bucket,
        years_to_maturity,
        moodys_derived_rating,
        moodys_derived_source,
        sp_basis_rating,
        is_discount_obligation,
        par_in_ccc_excess,
        carrying_value
    from source
)

select * from final
