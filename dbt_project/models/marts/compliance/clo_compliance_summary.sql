-- One row per workbook: its latest compliance run's counts and headline figures, for dashboards and reports.
with runs as (
    select * from {{ ref('stg_clo_compliance_metrics') }}
    where is_current
),

final as (
    select
        tenant_id || ':' || workbook_id as workbook_key,
        tenant_id,
        partition_key,
        workbook_id,
        report_date,
        deal_id,
        total_tests,
        passed,
        warning,
        failed,
        total_par,
        performing_par,
        collateral_principal_amount,
        adjusted_collateral_principal_amount,
        ccc_pct,
        warf,
        warf_rounded_up,
        was_bps,
        wal_years,
        diversity_score,
        executed_at
    from runs
)

select * from final
