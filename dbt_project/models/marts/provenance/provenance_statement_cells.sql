-- Provenance (issue 18): each reconciliation position's statement cells - per field the cell, XML path or line it
-- was read from, its column and transform (null on a position found only in the workbook) - with the internal holding
-- it matched. Read directly from analytics.reconciliation_positions (a view).
{{ config(materialized='view') }}

select
    tenant_id || ':' || reconciliation_id || ':' || position_key as statement_cells_key,
    tenant_id,
    partition_key,
    reconciliation_id,
    position_key,
    match_status,
    holding_id,
    external_row,
    source_cells
from {{ source('reconciliation_analytics', 'reconciliation_positions') }}
