-- Every landed workbook as it is now, failed ones included (a view over raw). Routes serving what Python assets
-- write before any dbt build (reports, reconciliations) check here that the caller's tenant has the workbook.
{{ config(materialized='view') }}

select
    workbook_key,
    tenant_id,
    workbook_id,
    partition_key,
    name,
    status,
    report_date,
    landed_at
from {{ ref('stg_clo_workbooks') }}
