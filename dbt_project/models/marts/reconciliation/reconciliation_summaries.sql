{{ config(materialized='view') }}

-- One row per reconciliation run with its counts as of now (orchestration.reconciliation.engine.summarize
-- and current_summary, in SQL). Position counts come from the run's positions; review counts and
-- variances by status from the variances' current status, so they move as resolutions land:
--   needs review    a variance outside tolerance that no auto rule resolved
--   requires_review positions with such a variance still open
--   reviewed        positions that had such variances, all of them closed now
-- with_variances = within_tolerance + auto_resolved + requires_review + reviewed at every moment.
-- Each lateral reads one run's rows through its index, so a filter on tenant and workbook or run stays cheap.
-- The two objects are json, not jsonb, so their keys keep the order written here.
with reconciliations as (
    select * from {{ ref('stg_reconciliations') }}
),

final as (
    select
        reconciliations.reconciliation_key,
        reconciliations.tenant_id,
        reconciliations.partition_key,
        reconciliations.reconciliation_id,
        reconciliations.source_type,
        reconciliations.workbook_id,
        reconciliations.statement_file_name,
        reconciliations.report_date,
        reconciliations.executed_at,
        reconciliations.status,
        reconciliations.tolerance_profile,
        reconciliations.matching_fields,
        reconciliations.comparison_fields,
        positions.total_positions,
        positions.matched,
        positions.unmatched_internal,
        positions.unmatched_external,
        positions.with_variances,
        positions.within_tolerance,
        positions.auto_resolved,
        review.requires_review,
        review.reviewed,
        counts.variances,
        counts.variances_par,
        counts.variances_price,
        counts.variances_rating,
        counts.variances_identity,
        counts.variances_accrued,
        counts.variances_open,
        counts.variances_explained,
        counts.variances_resolved,
        counts.variances_ignored,
        json_build_object(
            'par', counts.variances_par,
            'price', counts.variances_price,
            'rating', counts.variances_rating,
            'identity', counts.variances_identity,
            'accrued', counts.variances_accrued
        ) as variances_by_category,
        json_build_object(
            'open', counts.variances_open,
            'explained', counts.variances_explained,
            'resolved', counts.variances_resolved,
            'ignored', counts.variances_ignored
        ) as variances_by_status
    from reconciliations
    cross join lateral (
        select
            count(*) as total_positions,
            count(*) filter (where p.match_status = 'matched') as matched,
            count(*) filter (where p.match_status = 'unmatched_internal') as unmatched_internal,
            count(*) filter (where p.match_status = 'unmatched_external') as unmatched_external,
            count(*) filter (
                where p.review_status in ('within_tolerance', 'auto_resolved', 'requires_review')
            ) as with_variances,
            count(*) filter (where p.review_status = 'within_tolerance') as within_tolerance,
            count(*) filter (where p.review_status = 'auto_resolved') as auto_resolved
        from {{ ref('stg_reconciliation_positions') }} as p
        where p.tenant_id = reconciliations.tenant_id
            and p.reconciliation_id = reconciliations.reconciliation_id
    ) as positions
    cross join lateral (
        select
            count(*) filter (where per_position.still_open) as requires_review,
            count(*) filter (where per_position.needs and not per_position.still_open) as reviewed
        from (
            select
                bool_or(v.needs_review) as needs,
                bool_or(v.needs_review and v.status = 'open') as still_open
            from {{ ref('reconciliation_variances') }} as v
            where v.tenant_id = reconciliations.tenant_id
                and v.reconciliation_id = reconciliations.reconciliation_id
            group by v.position_key
        ) as per_position
    ) as review
    cross join lateral (
        select
            count(*) as variances,
            count(*) filter (where v.category = 'par') as variances_par,
            count(*) filter (where v.category = 'price') as variances_price,
            count(*) filter (where v.category = 'rating') as variances_rating,
            count(*) filter (where v.category = 'identity') as variances_identity,
            count(*) filter (where v.category = 'accrued') as variances_accrued,
            count(*) filter (where v.status = 'open') as variances_open,
            count(*) filter (where v.status = 'explained') as variances_explained,
            count(*) filter (where v.status = 'resolved') as variances_resolved,
            count(*) filter (where v.status = 'ignored') as variances_ignored
        from {{ ref('reconciliation_variances') }} as v
        where v.tenant_id = reconciliations.tenant_id
            and v.reconciliation_id = reconciliations.reconciliation_id
    ) as counts
)

select * from final
