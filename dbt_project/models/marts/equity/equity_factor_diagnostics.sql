-- One row per factor ETF per trading day (market-wide): VIF and correlation row. Served by /risk/factors.
{{ config(materialized='view') }}

select * from {{ ref('stg_equity_factor_diagnostics') }}
