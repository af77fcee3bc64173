-- One row per position of a reconciliation; review_status is as of the run (resolutions do not change it).
with source as (
    select * from {{ source('reconciliation_analytics', 'reconciliation_positions') }}
),

final as (
    select
        tenant_id || ':' || reconciliation_id || ':' || position_key as position_record_key,
        tenant_id,
        partition_key,
        reconciliation_id,
        position_key,
        match_status,
        matched_on,
        holding_id,
        external_row,
        cusip,
        isin,
        loanx_id,
        figi,
        asset_id,
        issuer_name,
        internal_par,
        external_par,
        variance_count,
        review_status,
        source_cells
    from source
)

select * from final
