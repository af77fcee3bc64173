-- One row per tenant and tag on any of the tenant's position files: how many of its current positions (each
-- portfolio's governing file, equity_current_positions) carry the tag (0 when none does), and the tag's colour
-- (tags.yaml through marts.configuration, else derived from its name). Served by /tags (tags with a current
-- position) and /positions/{id}/tags.
{{ config(materialized='view') }}

with positions as (
    select * from {{ ref('stg_equity_positions') }}
),

colors as (
    select name as tag, document ->> 'color' as color
    from {{ ref('configuration') }}
    where kind = 'equity_tag_color' and tenant_id = '*'
),

tagged as (
    select distinct
        positions.tenant_id,
        positions.position_key,
        positions.is_current,
        tag.value as tag
    from positions
    cross join lateral jsonb_array_elements_text(positions.tags) as tag (value)
),

counts as (
    select
        tenant_id,
        tag,
        count(distinct position_key) filter (where is_current) as position_count
    from tagged
    group by tenant_id, tag
),

final as (
    select
        counts.tenant_id || ':' || counts.tag as tag_key,
        counts.tenant_id,
        counts.tag,
        counts.position_count,
        coalesce(colors.color, {{ derived_tag_color('counts.tag') }}) as color
    from counts
    left join colors on colors.tag = counts.tag
)

select * from final
