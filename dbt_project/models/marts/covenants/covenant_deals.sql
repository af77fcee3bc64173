-- The current version of every deal, per tenant (served by /deals).
with deals as (
    select * from {{ ref('stg_covenant_deals') }}
),

covenant_counts as (
    select deal_key, count(*) as covenant_count
    from {{ ref('stg_covenant_definitions') }}
    where is_current
    group by deal_key
),

final as (
    select
        deals.deal_key,
        deals.tenant_id,
        deals.deal_id,
        deals.name,
        deals.borrower,
        deals.sector,
        deals.region,
        deals.commitment_amount_cents,
        deals.currency,
        deals.maturity_date,
        coalesce(covenant_counts.covenant_count, 0) as covenant_count,
        deals.version_count,
        deals.partition_key,
        deals.landed_at
    from deals
    left join covenant_counts on deals.deal_key = covenant_counts.deal_key
    where deals.is_current
)

select * from final
