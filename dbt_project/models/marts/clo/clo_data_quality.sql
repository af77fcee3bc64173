-- The five data-quality dimensions, the overall 0-100 score and the weights it was computed with, one row per
-- workbook (served by /workbooks/{id}/data-quality and /workbooks/{id}/insights).
select
    workbook_key,
    tenant_id,
    partition_key,
    workbook_id,
    overall_score,
    completeness,
    accuracy,
    consistency,
    timeliness,
    uniqueness,
    issues,
    -- The scorer records its weights in details; a workbook without holdings has none (every score is 0).
    coalesce(details -> 'weights', '{}'::jsonb) as weights,
    details,
    computed_at
from {{ ref('stg_clo_data_quality') }}
