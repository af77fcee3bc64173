{{ config(materialized='view') }}
-- One row per test of each calculated scenario version: the scenario's value and status beside the base
-- workbook's (matched by test id), in the scenario's test order. A view: always current.
with versions as (
    select * from {{ ref('stg_clo_scenarios') }}
    where jsonb_typeof(scenario_tests) = 'array'
),

tests as (
    select
        versions.tenant_id,
        versions.partition_key,
        versions.scenario_id,
        versions.version,
        versions.base_tests,
        test.value as test,
        test.ordinality - 1 as sort_order
    from versions
    cross join lateral jsonb_array_elements(versions.scenario_tests) with ordinality as test
),

final as (
    select
        tests.tenant_id || ':' || tests.partition_key || ':' || (tests.test ->> 'id') as scenario_test_key,
        tests.tenant_id,
        tests.partition_key,
        tests.scenario_id,
        tests.version,
        tests.sort_order,
        tests.test ->> 'id' as test_id,
        tests.test ->> 'name' as name,
        tests.test ->> 'category' as category,
        tests.test ->> 'direction' as direction,
        tests.test ->> 'unit' as unit,
        base.test ->> 'status' as base_status,
        tests.test ->> 'status' as scenario_status,
        (base.test ->> 'current_value')::numeric as base_value,
        (tests.test ->> 'current_value')::numeric as scenario_value,
        (tests.test ->> 'trigger_level')::numeric as trigger_level,
        (tests.test ->> 'target_level')::numeric as target_level,
        (tests.test ->> 'cushion')::numeric as cushion,
        (tests.test ->> 'cushion_pct')::numeric as cushion_pct
    from tests
    left join lateral (
        select b.value as test
        from jsonb_array_elements(
            case when jsonb_typeof(tests.base_tests) = 'array' then tests.base_tests else '[]' end
        ) as b
        where b.value ->> 'id' = tests.test ->> 'id'
        limit 1
    ) as base on true
)

select * from final
