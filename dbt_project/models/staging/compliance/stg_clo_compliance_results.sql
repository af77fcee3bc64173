-- One row per test per compliance run; is_current marks the latest run of each (tenant, workbook, test).
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
        executed_at,
        row_number() over (
            partition by tenant_id, workbook_id, test_id order by executed_at desc, partition_key desc
        ) = 1 as is_current
    from source
)

select * from final
