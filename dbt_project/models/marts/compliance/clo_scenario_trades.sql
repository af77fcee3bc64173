{{ config(materialized='view') }}
-- The trades (changes) of every scenario version in execution order, each with its served id
-- (scenario:version:order). A view: always current.
with changes as (
    select * from {{ ref('stg_clo_scenario_changes') }}
)

select
    scenario_change_key,
    scenario_id || ':' || version || ':' || order_index as trade_id,
    tenant_id,
    partition_key,
    scenario_id,
    version,
    order_index,
    change_type,
    target_cusip,
    change_data,
    par_delta
from changes
