-- The latest evaluation of every covenant and period, per tenant, with its headroom (served by /evaluations).
with evaluations as (
    select * from {{ ref('stg_covenant_evaluations') }}
),

covenants as (
    select * from {{ ref('stg_covenant_definitions') }}
    where is_current
),

final as (
    select
        evaluations.evaluation_key,
        evaluations.deal_key,
        evaluations.tenant_id,
        evaluations.covenant_id,
        evaluations.deal_id,
        covenants.name as covenant_name,
        evaluations.period_start,
        evaluations.period_end,
        evaluations.calculated_value_scaled,
        evaluations.threshold_value_scaled,
        evaluations.threshold_direction,
        evaluations.tolerance_scaled,
        -- How far the value is on the safe side of its threshold (negative: breached); null without a value.
        -- The status under any NEAR_BREACH band b: BREACH below 0, NEAR_BREACH up to b, OK above
        -- (orchestration.covenants.evaluation.covenant_status).
        case evaluations.threshold_direction
            when '<=' then evaluations.threshold_value_scaled::numeric - evaluations.calculated_value_scaled
            when '>=' then evaluations.calculated_value_scaled::numeric - evaluations.threshold_value_scaled
        end as headroom_scaled,
        evaluations.status,
        evaluations.reason,
        evaluations.formula,
        evaluations.evaluation_count,
        evaluations.period_start || ':' || evaluations.period_end || ':' || evaluations.covenant_id as sort_key,
        evaluations.partition_key,
        evaluations.evaluated_at
    from evaluations
    left join covenants on evaluations.tenant_id = covenants.tenant_id
        and evaluations.covenant_id = covenants.covenant_id
    where evaluations.is_current
)

select * from final
