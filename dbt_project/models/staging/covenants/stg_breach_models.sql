-- One row per registered model (tenant breach models and public external ones), with whether it is active.
-- A model is written with promoted = true exactly when it was promoted (and recorded in
-- analytics.covenants_model_promotions), so the active one is the latest promoted model of its scope.
with models as (
    select * from {{ source('covenants_analytics', 'covenants_models') }}
),

latest_promoted as (
    select distinct on (tenant_id, scope)
        tenant_id,
        scope,
        model_id as active_model_id
    from models
    where promoted
    order by tenant_id, scope, trained_at desc, model_id desc
),

final as (
    select
        models.tenant_id || ':' || models.scope || ':' || models.model_id as model_key,
        models.tenant_id,
        models.model_id,
        models.scope,
        case when models.scope like 'external:%' then split_part(models.scope, ':', 2) end as dataset,
        models.run_id,
        models.source_partition,
        models.trained_at,
        models.model_path,
        models.active_model_path,
        models.result,
        models.feature_importances,
        models.test_auc,
        models.promoted,
        models.promotion_reason,
        coalesce(latest_promoted.active_model_id = models.model_id, false) as is_active
    from models
    left join latest_promoted
        on models.tenant_id = latest_promoted.tenant_id
        and models.scope = latest_promoted.scope
)

select * from final
