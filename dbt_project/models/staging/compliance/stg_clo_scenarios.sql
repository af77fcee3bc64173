-- One row per scenario version; is_current marks the latest version of each scenario.
with source as (
    select * from {{ source('compliance_analytics', 'clo_scenarios') }}
),

changes as (
    select tenant_id, partition_key, count(*) as change_count, sum(par_delta) as par_delta
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
        source.workbook_id,
        source.status,
        jsonb_array_length(source.errors) as error_count,
        coalesce(changes.change_count, 0) as change_count,
        coalesce(changes.par_delta, 0) as par_delta,
        source.calculated_at,
        source.landed_at,
        row_number() over (partition by source.tenant_id, source.scenario_id order by source.version desc) = 1
            as is_current
    from source
    left join changes
        on changes.tenant_id = source.tenant_id and changes.partition_key = source.partition_key
)

select * from final
