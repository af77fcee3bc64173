-- Each workbook's current compliance results, with the deal's previous report date value and status
-- (status_changed drives compliance.failed / compliance.warning reporting).
with results as (
    select * from {{ ref('stg_clo_compliance_results') }}
    where is_current
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
        status,
        current_value,
        trigger_level,
        target_level,
        cushion,
        cushion_pct,
        trend,
        lag(current_value) over deal_test as previous_value,
        lag(status) over deal_test as previous_status,
        coalesce(lag(status) over deal_test <> status, false) as status_changed,
        executed_at
    from results
    window deal_test as (partition by tenant_id, deal_id, test_id order by report_date, executed_at)
)

select * from final
