-- Every sheet's non-empty rows, cell values as JSON (served by /workbooks/{id}/sheets/{name}/data).
-- A view over raw: the cells are stored once, and the raw primary key (tenant, partition, sheet, row) serves
-- the keyset pages.
{{ config(materialized='view') }}

select
    workbook_key,
    tenant_id,
    partition_key,
    workbook_id,
    sheet_name,
    row_index,
    cells
from {{ ref('stg_clo_sheet_rows') }}
