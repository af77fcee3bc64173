-- Mapping diagnostics per workbook (served by /mappings/diagnostics).
select
    diagnostics.workbook_key,
    diagnostics.tenant_id,
    diagnostics.workbook_id,
    diagnostics.sheet,
    diagnostics.header_row,
    diagnostics.profile_id,
    diagnostics.mode,
    diagnostics.detected_mappings,
    diagnostics.unmapped_columns,
    diagnostics.unmapped_target_fields,
    diagnostics.validation_failures,
    diagnostics.column_types,
    diagnostics.schema_drift,
    diagnostics.skipped_rows,
    diagnostics.normalisations,
    diagnostics.created_at
from {{ ref('stg_clo_mapping_diagnostics') }} as diagnostics
inner join {{ ref('stg_clo_workbooks') }} as workbooks on diagnostics.workbook_key = workbooks.workbook_key
where workbooks.status = 'processed'
