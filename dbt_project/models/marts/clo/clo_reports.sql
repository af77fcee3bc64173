-- Rendered reports, one per workbook, template and format (served by /reports and /workbooks/{id}/reports).
-- A view: a report is served as soon as the reports asset has rendered it, and its bytes are stored once.
{{ config(materialized='view') }}

select
    tenant_id || ':' || report_id as report_key,
    workbook_key,
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
from {{ ref('stg_clo_reports') }}
