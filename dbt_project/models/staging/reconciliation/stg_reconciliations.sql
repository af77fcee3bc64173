-- One row per reconciliation run (one per statement and statement domain), as the run wrote it.
with source as (
    select * from {{ source('reconciliation_analytics', 'reconciliations') }}
),

final as (
    select
        tenant_id || ':' || reconciliation_id as reconciliation_key,
        tenant_id,
        partition_key,
        reconciliation_id,
        source_type,
        workbook_id,
        workbook_partition_key,
        statement_file_name,
        statement_sha256,
        report_date,
        status,
        tolerance_profile,
        matching_fields,
        comparison_fields,
        summary as stored_summary,
        statement_landed_at,
        executed_at
    from source
)

select * from final
