-- One row per accepted landed file (= one Dagster partition), across every landing domain.
{% set parts = [] %}
{% for domain in landing_domains() %}
    {% do parts.append("select * from " ~ source('raw', domain ~ '_landed_files')) %}
{% endfor %}

with unioned as (
    {{ parts | join('\n    union all\n    ') }}
),

final as (
    select
        md5(domain || ':' || tenant_id || ':' || sha256)::uuid::text as upload_id,
        tenant_id,
        domain,
        partition_key,
        file_name,
        coalesce(nullif(trim(sidecar ->> 'name'), ''), file_name) as display_name,
        case
            when jsonb_typeof(sidecar -> 'tags') = 'array' then sidecar -> 'tags'
            else '[]'::jsonb
        end as tags,
        sha256,
        size_bytes,
        status,
        landed_at
    from unioned
)

select * from final
