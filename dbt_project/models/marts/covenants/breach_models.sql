-- Every registered model with its metrics and whether it is active (served by /ml/models and /ml/jobs). A view:
-- a finished training run's model is served as soon as the run registers it, before any dbt run.
{{ config(materialized='view') }}

with models as (
    select * from {{ ref('stg_breach_models') }}
),

final as (
    select
        model_key,
        tenant_id,
        model_id,
        scope,
        dataset,
        run_id,
        source_partition,
        trained_at,
        model_path,
        active_model_path,
        result,
        feature_importances,
        test_auc,
        promoted,
        promotion_reason,
        is_active
    from models
)

select * from final
