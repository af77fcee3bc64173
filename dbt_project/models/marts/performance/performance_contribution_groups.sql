-- Linked contribution summed per group: one row per current portfolio, period, basis, weighting, linking,
-- set of the portfolio's position group keys (key_set: the keys sorted by code point) and group (the
-- positions' values of those keys, UNCLASSIFIED where a position has none). The __FEES__ line stays its
-- own group. A view: a portfolio with k group keys has 2^k - 1 key sets, so only the set a query asks for
-- is summed (the filters on tenant, portfolio, selection and key_set reach the scans below the sums).
{{ config(materialized='view') }}

with portfolios as not materialized (
    -- used twice, inlined both times so that a query's tenant and portfolio filters reach the scan
    select tenant_id, partition_key, position_group_keys from {{ ref('performance_portfolios') }}
),

lines as (
    select * from {{ ref('performance_contributions') }}
),

group_keys as (
    select
        portfolios.tenant_id,
        portfolios.partition_key,
        listed.group_key,
        listed.key_number
    from portfolios
    cross join lateral jsonb_array_elements_text(portfolios.position_group_keys)
        with ordinality as listed(group_key, key_number)
),

masks as (
    -- bit n of a mask picks the portfolio's n-th group key: every mask from 1 to 2^k - 1 is one key set
    select
        portfolios.tenant_id,
        portfolios.partition_key,
        masks.mask
    from portfolios
    cross join lateral generate_series(
        1::bigint, (1::bigint << jsonb_array_length(portfolios.position_group_keys)) - 1
    ) as masks(mask)
),

key_sets as (
    select
        masks.tenant_id,
        masks.partition_key,
        array_agg(group_keys.group_key order by group_keys.group_key collate "C") as key_set
    from masks
    inner join group_keys
        on group_keys.tenant_id = masks.tenant_id
        and group_keys.partition_key = masks.partition_key
        and (masks.mask >> (group_keys.key_number::integer - 1)) & 1 = 1
    group by masks.tenant_id, masks.partition_key, masks.mask
),

labelled as (
    select
        lines.tenant_id,
        lines.partition_key,
        lines.portfolio_key,
        lines.portfolio_id,
        lines.period_name,
        lines.metric_basis,
        lines.weighting,
        lines.linking,
        key_sets.key_set,
        lines.position_id = '__FEES__' as is_fee_line,
        case
            when lines.position_id = '__FEES__' then '{}'::jsonb
            else (
                select jsonb_object_agg(set_key, coalesce(lines.group_keys ->> set_key, 'UNCLASSIFIED'))
                from unnest(key_sets.key_set) as set_key
            )
        end as group_values,
        lines.contribution
    from lines
    inner join key_sets
        on key_sets.tenant_id = lines.tenant_id
        and key_sets.partition_key = lines.partition_key
),

final as (
    select
        md5(concat_ws('|', tenant_id, portfolio_id, period_name, metric_basis, weighting, linking, key_set::text,
            is_fee_line::text, group_values::text)) as contribution_group_id,
        tenant_id,
        partition_key,
        portfolio_key,
        portfolio_id,
        period_name,
        metric_basis,
        weighting,
        linking,
        key_set,
        is_fee_line,
        group_values,
        count(*)::integer as line_count,
        sum(contribution) as contribution
    from labelled
    group by
        tenant_id, partition_key, portfolio_key, portfolio_id, period_name, metric_basis, weighting, linking,
        key_set, is_fee_line, group_values
)

select * from final
