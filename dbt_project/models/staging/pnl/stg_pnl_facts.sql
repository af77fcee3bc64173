-- One row per P&L fact of a landed file, with the file's landing time (later files win in the marts).
with facts as (
    select * from {{ source('pnl_raw', 'pnl_facts') }}
),

landed as (
    select * from {{ ref('stg_landed_files') }}
    where domain = 'pnl'
),

final as (
    select
        facts.tenant_id,
        facts.partition_key,
        facts.line_number,
        facts.portfolio_id,
        facts.date as fact_date,
        facts.figure,
        facts.amount,
        facts.is_offsetting,
        landed.landed_at
    from facts
    left join landed
        on landed.tenant_id = facts.tenant_id
        and landed.partition_key = facts.partition_key
)

select * from final
