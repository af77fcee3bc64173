-- Every scenario version with its change count, newest version flagged.
with versions as (
    select * from {{ ref('stg_clo_scenarios') }}
)

select * from versions
