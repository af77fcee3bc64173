{{ config(materialized='ephemeral') }}
-- Explained compliance (issue 18): per test of each compliance run, its numerator's parts, largest first. A row
-- with a holding is that holding's part; without one it is the rest (holdings > 0: the holdings after the 20th,
-- summed) or a term that is no holding's (holdings = 0: principal cash, senior fees).
with source as (
    select * from {{ source('compliance_analytics', 'clo_compliance_contributions') }}
),

final as (
    select
        tenant_id || ':' || partition_key || ':' || test_id || ':' || rank as contribution_key,
        tenant_id || ':' || partition_key || ':' || test_id as result_key,
        tenant_id,
        partition_key,
        workbook_id,
        test_id,
        rank,
        case when holding_id is not null then 'holding' when holdings > 0 then 'rest' else 'term' end as row_kind,
        holding_id,
        holdings,
        contribution,
        share,
        measure
    from source
)

select * from final
