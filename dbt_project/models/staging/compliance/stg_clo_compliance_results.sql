{{ config(materialized='ephemeral') }}
-- One row per test per compliance run. is_current marks the rows of each report date's current run: the deal's
-- latest run for that date (ordered as stg_clo_compliance_metrics.is_current), so a re-run replaces a whole run.
-- trigger_source / target_source and the fallback profile's levels are null in rows written before migration 0013.
with source as (
    select * from {{ source('compliance_analytics', 'clo_compliance_results') }}
),

final as (
    select
        tenant_id || ':' || partition_key || ':' || test_id as result_key,
        tenant_id,
        partition_key,
        workbook_id,
        report_date,
        deal_id,
        test_id,
        sort_order,
        name,
        category,
        direction,
        unit,
        status,
        current_value,
        trigger_level,
        target_level,
        cushion,
        cushion_pct,
        trend,
        trigger_source,
        target_source,
        profile_id,
        profile_trigger_level,
        profile_target_level,
        executed_at,
        partition_key = first_value(partition_key) over (
            partition by tenant_id, deal_id, report_date order by executed_at desc, partition_key desc
        ) as is_current
    from source
)

select * from final
