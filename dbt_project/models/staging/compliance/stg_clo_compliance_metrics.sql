{{ config(materialized='ephemeral') }}
-- One row per compliance run (one per workbook) with its headline intermediates pulled out of the JSON.
-- is_current marks the current run of each report date: the deal's latest run for that date (a re-run for the
-- same date, e.g. a corrected workbook, replaces the earlier one). Same order as stg_clo_compliance_results.
with source as (
    select * from {{ source('compliance_analytics', 'clo_compliance_metrics') }}
),

final as (
    select
        tenant_id || ':' || partition_key as run_key,
        tenant_id,
        partition_key,
        workbook_id,
        report_date,
        deal_id,
        (metrics ->> 'total_par')::numeric as total_par,
        (metrics ->> 'performing_par')::numeric as performing_par,
        (metrics ->> 'collateral_principal_amount')::numeric as collateral_principal_amount,
        (metrics ->> 'adjusted_collateral_principal_amount')::numeric as adjusted_collateral_principal_amount,
        (metrics ->> 'ccc_pct')::numeric as ccc_pct,
        (metrics ->> 'warf')::numeric as warf,
        (metrics ->> 'warf_rounded_up')::int as warf_rounded_up,
        (metrics ->> 'was_bps')::numeric as was_bps,
        (metrics ->> 'wal_years')::numeric as wal_years,
        (metrics ->> 'diversity_score')::numeric as diversity_score,
        metrics,
        deal,
        executed_at,
        row_number() over (
            partition by tenant_id, deal_id, report_date order by executed_at desc, partition_key desc
        ) = 1 as is_current
    from source
)

select * from final
