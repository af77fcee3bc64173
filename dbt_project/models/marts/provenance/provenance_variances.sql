-- Provenance (issue 18): where each variance's two sides come from - the statement partition it was found in, the
-- position (statement cells) and the internal holding with its workbook's partition (holding cells, holdings lineage).
{{ config(materialized='view') }}

with variances as (
    select * from {{ ref('stg_reconciliation_variances') }}
),

workbooks as (
    select tenant_id, workbook_id, partition_key from {{ source('clo_raw', 'clo_workbooks') }}
),

final as (
    select
        variances.variance_key,
        variances.tenant_id,
        variances.partition_key,
        variances.reconciliation_id,
        variances.variance_id,
        variances.field,
        variances.position_key,
        variances.holding_id,
        variances.external_row,
        variances.workbook_id,
        workbooks.partition_key as workbook_partition_key
    from variances
    left join workbooks
        on workbooks.tenant_id = variances.tenant_id
        and workbooks.workbook_id = variances.workbook_id
)

select * from final
