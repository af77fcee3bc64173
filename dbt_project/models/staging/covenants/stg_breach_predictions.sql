-- One row per deal prediction per landed file; is_current marks each deal's latest prediction.
with source as (
    select * from {{ source('covenants_analytics', 'covenants_breach_predictions') }}
),

versioned as (
    select
        tenant_id || ':' || deal_id as deal_key,
        tenant_id,
        deal_id,
        partition_key,
        period_start,
        period_end,
        model_id,
        probability,
        risk_tier,
        top_features,
        predicted_at,
        row_number() over (
            partition by tenant_id, deal_id order by predicted_at desc, partition_key desc
        ) = 1 as is_current
    from source
),

final as (
    select * from versioned
)

select * from final
