-- Canonical holdings with the workbook key, the effective Moody's rating and the one CCC rule
-- (orchestration/core/ratings.py, through the rating_scale seed): Moody's, else S&P, else Fitch, else
-- Caa3; in the CCC bucket when that rating is Caa1 or lower and the holding is performing.
with source as (
    select * from {{ source('clo_analytics', 'clo_holdings') }}
),

scale as (
    select * from {{ ref('rating_scale') }}
),

unrated as (
    select moodys_equivalent from scale where agency = 'none'
),

rated as (
    select
        source.*,
        coalesce(
            moodys.moodys_equivalent,
            sp.moodys_equivalent,
            fitch.moodys_equivalent,
            (select moodys_equivalent from unrated)
        ) as effective_rating
    from source
    left join scale as moodys on moodys.agency = 'moodys' and moodys.token = source.rating_moodys
    left join scale as sp on sp.agency = 'sp' and sp.token = source.rating_sp
    left join scale as fitch on fitch.agency = 'fitch' and fitch.token = source.rating_fitch
),

final as (
    select
        rated.tenant_id || ':' || rated.workbook_id as workbook_key,
        rated.*,
        coalesce(effective.is_ccc, false) and not rated.is_defaulted as is_ccc
    from rated
    left join scale as effective on effective.agency = 'moodys' and effective.token = rated.effective_rating
)

select * from final
