-- One row per portfolio per trading day of risk metrics (empyrical). Served by /risk/metrics.
{{ config(materialized='view') }}

select * from {{ ref('stg_equity_risk_metrics') }}
