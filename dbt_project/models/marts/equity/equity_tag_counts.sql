-- One row per tenant and tag: how many of the tenant's current positions (each portfolio's governing file,
-- equity_current_positions) carry the tag. Served by /tags and /positions/{id}/tags.
{{ config(materialized='view') }}

with positions as (
    select * from {{ ref('equity_current_positions') }}
),

tagged as (
    select distinct
        positions.tenant_id,
        positions.position_key,
        tag.value as tag
    from positions
    cross join lateral jsonb_array_elements_text(positions.tags) as tag (value)
),

final as (
    select
        tenant_id || ':' || tag as tag_key,
        tenant_id,
        tag,
        count(*) as position_count
    from tagged
    group by tenant_id, tag
)

select * from final
