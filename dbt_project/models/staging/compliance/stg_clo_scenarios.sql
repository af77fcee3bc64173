{{ config(materialized='ephemeral') }}
-- One row per scenario version (one per landed scenario file). is_current marks the latest version of each
-- scenario; is_latest_on_workbook the latest of its versions that resolved to the same workbook. Test counts
-- are counted from the stored test lists, so they always equal the lists served beside them.
with source as (
    select * from {{ source('compliance_analytics', 'clo_scenarios') }}
),

trades as (
    select tenant_id, partition_key, count(*) as trade_count, sum(par_delta) as par_delta
    from {{ source('compliance_analytics', 'clo_scenario_changes') }}
    group by tenant_id, partition_key
),

final as (
    select
        source.tenant_id || ':' || source.scenario_id || ':' || source.version as scenario_version_key,
        source.tenant_id,
        source.partition_key,
        source.scenario_id,
        source.version,
        source.name,
        source.description,
        source.workbook_id,
        source.file_name,
        source.status,
        source.errors,
        jsonb_array_length(source.errors) as error_count,
        -- the changes the file lists (a failed version lists them too, without trades)
        case
            when jsonb_typeof(source.document -> 'changes') = 'array'
                then jsonb_array_length(source.document -> 'changes')
            else 0
        end as change_count,
        coalesce(trades.trade_count, 0) as trade_count,
        coalesce(trades.par_delta, 0) as par_delta,
        source.results -> 'tests' as scenario_tests,
        source.results -> 'base_tests' as base_tests,
        source.comparison,
        source.calculated_at,
        source.landed_at,
        row_number() over (partition by source.tenant_id, source.scenario_id order by source.version desc) = 1
            as is_current,
        row_number() over (
            partition by source.tenant_id, source.scenario_id, source.workbook_id order by source.version desc
        ) = 1 as is_latest_on_workbook
    from source
    left join trades
        on trades.tenant_id = source.tenant_id and trades.partition_key = source.partition_key
)

select * from final
