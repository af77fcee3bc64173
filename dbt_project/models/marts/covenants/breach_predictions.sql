-- Each deal's latest breach-risk prediction, per tenant (served by /ml/predictions/{deal_id}).
with predictions as (
    select * from {{ ref('stg_breach_predictions') }}
),

final as (
    select
        deal_key,
        tenant_id,
        deal_id,
        period_start,
        period_end,
        model_id,
        probability,
        risk_tier,
        top_features,
        predicted_at,
        partition_key
    from predictions
    where is_current
)

select * from final
