{{ config(materialized='view') }}
-- Per-holding compliance fields of each workbook's compliance run, joined into the CLO holdings routes.
-- A view: the fields of a new run are served as soon as it is written.
with holdings as (
    select * from {{ ref('stg_clo_holding_compliance') }}
)

select
    holding_compliance_key,
    tenant_id,
    partition_key,
    workbook_id,
    holding_id,
    effective_rating,
    rating_source,
    rating_factor,
    in_ccc_bucket,
    years_to_maturity,
    moodys_derived_rating,
    moodys_derived_source,
    sp_basis_rating,
    is_discount_obligation,
    par_in_ccc_excess,
    carrying_value
from holdings
