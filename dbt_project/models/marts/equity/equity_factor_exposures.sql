-- One row per portfolio, factor and trading day: portfolio beta and dollar exposure (null with a reason when
-- unavailable). Served by /risk/factors.
{{ config(materialized='view') }}

select * from {{ ref('stg_equity_portfolio_factors') }}
