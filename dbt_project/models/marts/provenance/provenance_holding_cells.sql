-- Provenance (issue 18): each holding's source cells - per mapped field the A1 reference it was read from
-- ("Holdings!C17"), the column's header and the transform applied - with the holding's identity. Read directly from
-- analytics.clo_holdings (a view: re-mapped holdings are explained at once); keyed like the table.
{{ config(materialized='view') }}

select
    tenant_id || ':' || partition_key || ':' || holding_id as holding_cells_key,
    tenant_id,
    partition_key,
    workbook_id,
    holding_id,
    sheet,
    row_index,
    cusip,
    isin,
    issuer_name,
    source_cells
from {{ source('clo_analytics', 'clo_holdings') }}
