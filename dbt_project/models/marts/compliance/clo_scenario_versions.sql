{{ config(materialized='view') }}
-- Every scenario version (one per landed scenario file) with its validation errors, change and trade counts, the
-- status counts of its scenario and base test lists (counted from the lists themselves; null for a failed
-- version) and the stored seed comparison. A view: a new version is served as soon as it is written.
with versions as (
    select * from {{ ref('stg_clo_scenarios') }}
),

final as (
    select
        versions.scenario_version_key,
        versions.tenant_id,
        versions.partition_key,
        versions.scenario_id,
        versions.version,
        versions.name,
        versions.description,
        versions.workbook_id,
        versions.file_name,
        versions.status,
        versions.errors,
        versions.error_count,
        versions.change_count,
        versions.trade_count,
        versions.par_delta,
        scenario.total_tests,
        scenario.passed,
        scenario.warning,
        scenario.failed,
        base.passed as base_passed,
        base.warning as base_warning,
        base.failed as base_failed,
        versions.comparison,
        versions.calculated_at,
        versions.landed_at,
        versions.is_current,
        versions.is_latest_on_workbook
    from versions
    left join lateral (
        select
            count(*) as total_tests,
            count(*) filter (where t ->> 'status' = 'passed') as passed,
            count(*) filter (where t ->> 'status' = 'warning') as warning,
            count(*) filter (where t ->> 'status' = 'failed') as failed
        from jsonb_array_elements(
            case when jsonb_typeof(versions.scenario_tests) = 'array' then versions.scenario_tests else '[]' end
        ) as t
    ) as scenario on versions.scenario_tests is not null
    left join lateral (
        select
            count(*) filter (where t ->> 'status' = 'passed') as passed,
            count(*) filter (where t ->> 'status' = 'warning') as warning,
            count(*) filter (where t ->> 'status' = 'failed') as failed
        from jsonb_array_elements(
            case when jsonb_typeof(versions.base_tests) = 'array' then versions.base_tests else '[]' end
        ) as t
    ) as base on versions.base_tests is not null
)

select * from final
