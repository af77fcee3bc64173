-- One row per deal version (per landed file); is_current marks the latest-landed version.
with source as (
    select * from {{ source('covenants_raw', 'covenants_deals') }}
),

versioned as (
    select
        tenant_id || ':' || deal_id as deal_key,
        tenant_id,
        deal_id,
        partition_key,
        name,
        borrower,
        sector,
        region,
        commitment_amount_cents,
        currency,
        maturity_date,
        landed_at,
        row_number() over (
            partition by tenant_id, deal_id order by landed_at desc, partition_key desc
        ) = 1 as is_current,
        count(*) over (partition by tenant_id, deal_id) as version_count
    from source
),

final as (
    select * from versioned
)

select * from final
