-- Insights of processed workbooks with the report date (served by /insights and /workbooks/{id}/insights).
with insights as (
    select * from {{ ref('stg_clo_insights') }}
),

workbooks as (
    select workbook_key, report_date, name, status from {{ ref('stg_clo_workbooks') }}
),

final as (
    select
        insights.tenant_id || ':' || insights.insight_id as insight_key,
        insights.workbook_key,
        insights.tenant_id,
        insights.workbook_id,
        insights.insight_id,
        insights.type,
        insights.severity,
        -- Most severe first: the order /workbooks/{id}/insights and /patterns list them in.
        case insights.severity when 'critical' then 3 when 'warning' then 2 when 'info' then 1 else 0 end
            as severity_rank,
        insights.title,
        insights.description,
        insights.affected_positions,
        insights.data,
        insights.recommendation,
        insights.status,
        insights.created_at,
        workbooks.report_date,
        workbooks.name as workbook_name
    from insights
    inner join workbooks on insights.workbook_key = workbooks.workbook_key
    where workbooks.status = 'processed'
)

select * from final
