-- One row per workbook per tenant with metrics and data-quality summary (served by /workbooks).
with workbooks as (
    select * from {{ ref('stg_clo_workbooks') }}
),

holdings as (
    select
        workbook_key,
        count(*) as holding_count,
        coalesce(sum(par_amount), 0) as total_par,
        coalesce(sum(market_value), 0) as total_mv
    from {{ ref('stg_clo_holdings') }}
    group by workbook_key
),

quality as (
    select * from {{ ref('stg_clo_data_quality') }}
),

anomalies as (
    select workbook_key, count(*) as anomaly_count
    from {{ ref('stg_clo_anomalies') }}
    group by workbook_key
),

insights as (
    select workbook_key, count(*) as insight_count
    from {{ ref('stg_clo_insights') }}
    group by workbook_key
),

final as (
    select
        workbooks.workbook_key,
        workbooks.tenant_id,
        workbooks.workbook_id,
        workbooks.partition_key,
        workbooks.name,
        workbooks.file_name,
        workbooks.status,
        workbooks.error_code,
        workbooks.error_message,
        workbooks.file_size,
        workbooks.sha256,
        workbooks.report_date,
        workbooks.report_date_source,
        workbooks.source,
        workbooks.mapping_profile_id,
        workbooks.tags,
        workbooks.metadata,
        workbooks.deal_name,
        workbooks.compliance_profile,
        workbooks.sheets,
        workbooks.processing_stats,
        workbooks.data_quality_score,
        coalesce(holdings.holding_count, 0) as holding_count,
        -- A workbook that failed before any holdings were stored has no totals (null), not totals of 0.
        case when workbooks.status = 'failed' and holdings.workbook_key is null then null
            else coalesce(holdings.total_par, 0) end as total_par,
        case when workbooks.status = 'failed' and holdings.workbook_key is null then null
            else coalesce(holdings.total_mv, 0) end as total_mv,
        workbooks.ccc_par_pct,
        workbooks.defaulted_pct,
        workbooks.wa_spread,
        workbooks.wa_price,
        quality.issues as data_quality_issues,
        coalesce(anomalies.anomaly_count, 0) as anomaly_count,
        coalesce(insights.insight_count, 0) as insight_count,
        workbooks.landed_at as created_at,
        coalesce(workbooks.processed_at, workbooks.landed_at) as updated_at,
        workbooks.mapping_profile_version
    from workbooks
    left join holdings on workbooks.workbook_key = holdings.workbook_key
    left join quality on workbooks.workbook_key = quality.workbook_key
    left join anomalies on workbooks.workbook_key = anomalies.workbook_key
    left join insights on workbooks.workbook_key = insights.workbook_key
)

select * from final
