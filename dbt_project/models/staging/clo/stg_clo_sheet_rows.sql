-- Sheet rows with the workbook key (a view: the API pages raw rows through it by sheet and row number).
select
    tenant_id || ':' || workbook_id as workbook_key,
    tenant_id,
    partition_key,
    workbook_id,
    sheet_name,
    row_index,
    cells
from {{ source('clo_raw', 'clo_sheet_rows') }}
