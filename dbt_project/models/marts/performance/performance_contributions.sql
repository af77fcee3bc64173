-- Linked contribution lines with position names and group keys: one row per portfolio, period, basis,
-- weighting, linking and position (the NET basis adds the __FEES__ line).
with current_portfolios as (
    select tenant_id, partition_key, portfolio_key from {{ ref('performance_portfolios') }}
),

lines as (
    select * from {{ ref('stg_performance_contributions') }}
),

positions as (
    select * from {{ ref('stg_performance_positions') }}
),

final as (
    select
        md5(concat_ws('|', lines.tenant_id, lines.portfolio_id, lines.period_name, lines.metric_basis,
            lines.weighting, lines.linking, lines.position_id)) as contribution_id,
        current_portfolios.portfolio_key,
        lines.tenant_id,
        lines.partition_key,
        lines.portfolio_id,
        lines.period_name,
        lines.metric_basis,
        lines.weighting,
        lines.linking,
        lines.position_id,
        positions.name as position_name,
        positions.group_keys,
        lines.contribution
    from lines
    inner join current_portfolios
        on current_portfolios.tenant_id = lines.tenant_id
        and current_portfolios.partition_key = lines.partition_key
    left join positions
        on positions.tenant_id = lines.tenant_id
        and positions.partition_key = lines.partition_key
        and positions.position_id = lines.position_id
)

select * from final
