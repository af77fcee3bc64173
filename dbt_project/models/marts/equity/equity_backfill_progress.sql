-- One row per historical backfill a new portfolio triggered. Served by /market-data/backfill-progress.
{{ config(materialized='view') }}

select * from {{ ref('stg_equity_backfill_progress') }}
