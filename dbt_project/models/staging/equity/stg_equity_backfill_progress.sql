-- One row per historical backfill a new portfolio triggered (seed 004's historical_backfill_progress).
with progress as (
    select * from {{ source('equity_ops', 'equity_backfill_progress') }}
),

final as (
    select
        backfill_id,
        tenant_id,
        portfolio_id,
        total_symbols,
        processed_symbols,
        failed_symbols,
        status,
        start_date,
        end_date,
        started_at,
        completed_at,
        error_details,
        created_at
    from progress
)

select * from final
