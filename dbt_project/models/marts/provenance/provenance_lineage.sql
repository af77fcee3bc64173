-- Provenance (issue 18): who wrote each (table, tenant, partition) - run, asset, code and data version, the landed
-- files read, the digests behind the code version, the conventions in force. A view over ops.lineage, so a write is
-- explained as soon as it commits. Read by GET /api/v1/provenance/{kind}/{id} by (table_name, tenant_id,
-- partition_key): every data row's own (tenant_id, partition_key) is its key here ('*' = a shared trading day).
{{ config(materialized='view') }}

select
    lineage_key,
    table_name,
    tenant_id,
    partition_key,
    asset_key,
    run_id,
    code_version,
    data_version,
    sources,
    inputs,
    conventions,
    materialized_at
from {{ ref('stg_lineage') }}
