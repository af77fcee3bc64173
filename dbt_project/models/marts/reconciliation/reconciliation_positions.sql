{{ config(materialized='view') }}

-- Every position of every reconciliation; one found on one side only carries that side and its par there.
with positions as (
    select * from {{ ref('stg_reconciliation_positions') }}
),

final as (
    select
        position_record_key,
        tenant_id,
        partition_key,
        reconciliation_id,
        position_key,
        match_status,
        matched_on,
        cusip,
        isin,
        loanx_id,
        figi,
        asset_id,
        issuer_name,
        internal_par,
        external_par,
        case match_status
            when 'unmatched_internal' then 'internal'
            when 'unmatched_external' then 'external'
        end as unmatched_side,
        case match_status
            when 'unmatched_internal' then internal_par
            when 'unmatched_external' then external_par
        end as unmatched_par,
        variance_count,
        review_status,
        source_cells
    from positions
)

select * from final
