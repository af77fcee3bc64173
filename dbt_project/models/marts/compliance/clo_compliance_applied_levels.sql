{{ config(materialized='view') }}
-- One row per test of each workbook's own compliance run: the trigger and target levels applied to that workbook,
-- where each came from (sidecar > structure_sheet > profile:<id> > default) and the level of the profile the deal
-- falls back to beside it. Every run, current or replaced (is_current as in stg_clo_compliance_results): these are
-- the levels of the workbook's own deal inputs. A view: a new run is served as soon as it is written.
with results as (
    select * from {{ ref('stg_clo_compliance_results') }}
),

final as (
    select
        result_key,
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
        profile_id,
        trigger_level,
        trigger_source,
        profile_trigger_level,
        trigger_level <> profile_trigger_level as trigger_differs_from_profile,
        target_level,
        target_source,
        profile_target_level,
        target_level <> profile_target_level as target_differs_from_profile,
        is_current,
        executed_at
    from results
)

select * from final
