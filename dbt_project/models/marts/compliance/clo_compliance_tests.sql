{{ config(materialized='view') }}
-- One row per test of each report date's current run (a re-run for the same date replaces the earlier run),
-- with the deal's earlier current values: the previous value and status (status_changed drives
-- compliance.failed / compliance.warning reporting), the last three values the trend reads (oldest first) and the
-- whole history up to this date (newest first), and the trend's dead band (the configured percentage of
-- |trigger|, 0.005 for a zero trigger). A view: a new run is served as soon as it is written.
with results as (
    select * from {{ ref('stg_clo_compliance_results') }}
    where is_current
),

points as (
    select
        *,
        jsonb_build_object(
            'date', to_char(report_date, 'YYYY-MM-DD'), 'value', current_value, 'status', status
        ) as point
    from results
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
        jsonb_agg(point) over (deal_test rows between 2 preceding and current row) as trend_values,
        {{ trend_dead_band_pct() }} as dead_band_pct,
        case
            when trigger_level <> 0 then abs(trigger_level) * {{ trend_dead_band_pct() }} / 100 else 0.005
        end as dead_band,
        jsonb_agg(point) over (
            partition by tenant_id, deal_id, test_id order by report_date desc
            rows between current row and unbounded following
        ) as history,
        executed_at
    from points
    window deal_test as (partition by tenant_id, deal_id, test_id order by report_date)
)

select * from final
