{{ config(materialized='view') }}

-- Every variance with its current status: the latest event of its history applied over its opening state
-- (orchestration.reconciliation.store.current_variances_subquery). A view, so a landed resolution shows at
-- once. The lateral picks one event per variance through the history's (tenant, variance, recorded_at, seq)
-- index, and a filter on tenant and reconciliation reaches the variances' own index.
with variances as (
    select * from {{ ref('stg_reconciliation_variances') }}
),

final as (
    select
        variances.variance_key,
        variances.tenant_id,
        variances.partition_key,
        variances.reconciliation_id,
        variances.variance_id,
        variances.position_key,
        variances.cusip,
        variances.isin,
        variances.issuer_name,
        variances.category,
        variances.field,
        variances.internal_value,
        variances.external_value,
        variances.internal_number,
        variances.external_number,
        variances.difference,
        variances.difference_pct,
        variances.within_tolerance,
        variances.needs_review,
        coalesce(latest.status, variances.initial_status) as status,
        coalesce(latest.resolution_type, variances.resolution_type) as resolution_type,
        coalesce(latest.explanation, variances.explanation) as explanation,
        coalesce(latest.action, variances.action) as action,
        latest.resolved_by,
        latest.recorded_at as resolved_at,
        variances.auto_rule_id,
        coalesce(latest.rule_id, variances.auto_rule_id) as rule_id
    from variances
    left join lateral (
        select events.*
        from {{ ref('stg_reconciliation_variance_events') }} as events
        where events.tenant_id = variances.tenant_id
            and events.variance_id = variances.variance_id
        order by events.recorded_at desc, events.seq desc, events.source desc, events.event_key desc
        limit 1
    ) as latest on true
)

select * from final
