{{ config(materialized='ephemeral') }}
-- Every alert firing (cooldowns honoured by the alert job) with how each channel was delivered.
with source as (
    select * from {{ source('compliance_ops', 'alert_history') }}
),

final as (
    select
        alert_event_id,
        tenant_id,
        rule_id,
        rule_name,
        workbook_id,
        partition_key,
        deal_id,
        metric,
        operator,
        threshold,
        value,
        severity,
        deliveries,
        fired_at
    from source
)

select * from final
