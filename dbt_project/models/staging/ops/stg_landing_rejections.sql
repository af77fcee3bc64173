-- One row per landed file a sensor rejected (unknown extension, unreadable, invalid sidecar...).
with landing_log as (
    select * from {{ source('ops', 'landing_log') }}
),

final as (
    select
        md5('rejected:' || landing_id::text)::uuid::text as upload_id,
        landing_id,
        tenant_id,
        domain,
        file_name,
        relative_path,
        sha256,
        size_bytes,
        reason_code,
        reason,
        landed_at
    from landing_log
    where status = 'rejected'
)

select * from final
