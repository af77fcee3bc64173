{{ config(materialized='view') }}
-- When each alert rule last fired for each deal of a tenant, and how often it has fired. A view: always current.
with firings as (
    select * from {{ ref('stg_clo_alert_history') }}
)

select
    tenant_id || ':' || deal_id || ':' || rule_id as rule_deal_key,
    tenant_id,
    deal_id,
    rule_id as alert_id,
    max(fired_at) as last_fired_at,
    count(*) as firing_count
from firings
group by tenant_id, deal_id, rule_id
