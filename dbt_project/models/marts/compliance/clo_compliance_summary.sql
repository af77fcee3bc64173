{{ config(materialized='view') }}
-- One row per workbook's compliance run: the status counts of its own test rows (so the counts always equal the
-- list they count), each test's point for the history route, the headline intermediates, and is_current (the run
-- is its deal's current run for the report date; a later run for the same date replaces it). A view: always current.
-- The counts are correlated subqueries on the run's rows (primary-key lookups): evaluated only for the runs a
-- query returns, and not at all when it does not select them.
{%- set results = source('compliance_analytics', 'clo_compliance_results') %}
with runs as (
    select * from {{ ref('stg_clo_compliance_metrics') }}
),

final as (
    select
        runs.tenant_id || ':' || runs.workbook_id as workbook_key,
        runs.tenant_id,
        runs.partition_key,
        runs.workbook_id,
        runs.report_date,
        runs.deal_id,
        (
            select count(*) from {{ results }} as r
            where r.tenant_id = runs.tenant_id and r.partition_key = runs.partition_key
        ) as total_tests,
        (
            select count(*) from {{ results }} as r
            where r.tenant_id = runs.tenant_id and r.partition_key = runs.partition_key and r.status = 'passed'
        ) as passed,
        (
            select count(*) from {{ results }} as r
            where r.tenant_id = runs.tenant_id and r.partition_key = runs.partition_key and r.status = 'warning'
        ) as warning,
        (
            select count(*) from {{ results }} as r
            where r.tenant_id = runs.tenant_id and r.partition_key = runs.partition_key and r.status = 'failed'
        ) as failed,
        (
            select coalesce(
                json_object_agg(
                    r.test_id,
                    json_build_object(
                        'date', to_char(r.report_date, 'YYYY-MM-DD'), 'value', r.current_value, 'status', r.status
                    )
                    order by r.sort_order
                ),
                '{}'::json
            )
            from {{ results }} as r
            where r.tenant_id = runs.tenant_id and r.partition_key = runs.partition_key
        ) as test_points,
        runs.total_par,
        runs.performing_par,
        runs.collateral_principal_amount,
        runs.adjusted_collateral_principal_amount,
        runs.ccc_pct,
        runs.warf,
        runs.warf_rounded_up,
        runs.was_bps,
        runs.wal_years,
        runs.diversity_score,
        runs.metrics,
        runs.deal,
        runs.executed_at,
        runs.is_current
    from runs
)

select * from final
