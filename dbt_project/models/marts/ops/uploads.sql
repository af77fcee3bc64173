-- The uploads the API lists: accepted files and rejected ones, one row per landed file.
with landed as (
    select * from {{ ref('stg_landed_files') }}
),

rejections as (
    select * from {{ ref('stg_landing_rejections') }}
),

accepted_uploads as (
    select
        upload_id,
        tenant_id,
        domain,
        file_name,
        display_name,
        tags,
        sha256,
        size_bytes,
        partition_key,
        'accepted'::text as status,
        null::text as reason_code,
        null::text as reason,
        landed_at
    from landed
),

rejected_uploads as (
    select
        upload_id,
        tenant_id,
        domain,
        file_name,
        file_name as display_name,
        '[]'::jsonb as tags,
        sha256,
        size_bytes,
        null::text as partition_key,
        'rejected'::text as status,
        reason_code,
        reason,
        landed_at
    from rejections
),

final as (
    select * from accepted_uploads
    union all
    select * from rejected_uploads
)

select * from final
