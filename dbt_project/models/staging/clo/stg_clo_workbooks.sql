-- One row per landed workbook with its key, status and the metrics recorded while processing it.
with source as (
    select * from {{ source('clo_raw', 'clo_workbooks') }}
),

final as (
    select
        tenant_id || ':' || workbook_id as workbook_key,
        tenant_id,
        partition_key,
        workbook_id,
        name,
        file_name,
        status,
        error_code,
        error_message,
        file_size,
        sha256,
        report_date,
        report_date_source,
        source,
        mapping_profile_id,
        tags,
        metadata,
        sidecar,
        sidecar -> 'deal' ->> 'name' as deal_name,
        sidecar ->> 'compliance_profile' as compliance_profile,
        sheets,
        processing_stats,
        data_quality_score,
        (processing_stats -> 'metrics' ->> 'ccc_par_pct')::numeric as ccc_par_pct,
        (processing_stats -> 'metrics' ->> 'defaulted_pct')::numeric as defaulted_pct,
        (processing_stats -> 'metrics' ->> 'wa_spread')::numeric as wa_spread,
        (processing_stats -> 'metrics' ->> 'wa_price')::numeric as wa_price,
        landed_at,
        processed_at,
        mapping_profile_version
    from source
)

select * from final
