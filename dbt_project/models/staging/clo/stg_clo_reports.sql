-- Rendered workbook reports with the workbook key (a view: a report is readable as soon as it is rendered).
select
    tenant_id || ':' || workbook_id as workbook_key,
    tenant_id,
    partition_key,
    report_id,
    workbook_id,
    template,
    format,
    file_name,
    media_type,
    content,
    size_bytes,
    sha256,
    sections,
    reconciliation_id,
    report_date,
    generated_at
from {{ source('clo_analytics', 'clo_workbook_reports') }}
