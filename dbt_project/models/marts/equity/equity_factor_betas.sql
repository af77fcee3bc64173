-- One row per position, factor and trading day: univariate OLS beta with its diagnostics. Served by /risk/factors.
{{ config(materialized='view') }}

select * from {{ ref('stg_equity_factor_betas') }}
