{{ config(materialized='view') }}
-- Every alert firing in the shape /alerts/history serves. A view: a firing is listed as soon as it is recorded.
with firings as (
    select * from {{ ref('stg_clo_alert_history') }}
)

select
    alert_event_id as firing_id,
    tenant_id,
    rule_id as alert_id,
    rule_name as alert_name,
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
from firings
