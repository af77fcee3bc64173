-- The events the API streams over /ws: a view, so an event is readable the moment its transaction commits
-- (the NOTIFY that wakes the API fires at that commit; no dbt run may stand in between).
{{ config(materialized='view') }}

select
    event_id,
    event_uuid,
    tenant_id,
    type,
    workbook_id,
    payload,
    created_at
from {{ ref('stg_events') }}
