{{ config(materialized='view') }}
-- Explained compliance (issue 18): per test of each workbook's compliance run, the holdings that contribute most to
-- its numerator (largest |contribution| first, ties by holding id), the rest summed on one row and the terms that
-- are no holding's (principal cash, senior fees), with each holding's identity and the workbook cells it was read
-- from (analytics.clo_holdings.source_cells, read directly: a view on a view would be dropped with it). A test's
-- rows sum to the numerator of its value. result_key joins clo_compliance_tests / clo_compliance_applied_levels.
-- A view: a new run's contributions are served as soon as they are written.
{%- set holdings = source('clo_analytics', 'clo_holdings') %}
with contributions as (
    select * from {{ ref('stg_clo_compliance_contributions') }}
),

final as (
    select
        contributions.contribution_key,
        contributions.result_key,
        contributions.tenant_id,
        contributions.partition_key,
        contributions.workbook_id,
        contributions.test_id,
        contributions.rank,
        contributions.row_kind,
        contributions.holding_id,
        contributions.holdings,
        contributions.contribution,
        contributions.share,
        contributions.measure,
        holdings.cusip,
        holdings.issuer_name,
        holdings.sheet,
        holdings.row_index,
        holdings.source_cells
    from contributions
    left join {{ holdings }} as holdings
        on holdings.tenant_id = contributions.tenant_id
        and holdings.partition_key = contributions.partition_key
        and holdings.holding_id = contributions.holding_id
)

select * from final
