-- Canonical holdings with the workbook key and a lowest-rating CCC flag used by the marts' metrics.
with source as (
    select * from {{ source('clo_analytics', 'clo_holdings') }}
),

final as (
    select
        tenant_id || ':' || workbook_id as workbook_key,
        source.*,
        (
            coalesce(rating_sp in ('CCC+', 'CCC', 'CCC-', 'CC', 'C'), false)
            or coalesce(rating_moodys in ('Caa1', 'Caa2', 'Caa3', 'Ca', 'C'), false)
        ) and not is_defaulted as is_ccc
    from source
)

select * from final
