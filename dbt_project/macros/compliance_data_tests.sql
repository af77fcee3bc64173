{#- Generic data tests of the compliance models. -#}

{#- Status counts equal the list they count: passed + warning + failed = total_tests wherever counts exist. -#}
{% test compliance_counts_add_up(model) %}
select *
from {{ model }}
where total_tests is not null
  and passed + warning + failed <> total_tests
{% endtest %}

{#- Exactly one current run per (tenant, deal, report date): the run every compliance route serves for that date. -#}
{% test compliance_one_current_run_per_report_date(model) %}
select tenant_id, deal_id, report_date, count(*) filter (where is_current) as current_runs
from {{ model }}
group by tenant_id, deal_id, report_date
having count(*) filter (where is_current) <> 1
{% endtest %}

{#- The stored comparison's counts (/scenarios/{id}/compare) equal the counts of the scenario and base lists. -#}
{% test compliance_comparison_counts_match(model) %}
select *
from {{ model }}
where status = 'calculated'
  and (
      (comparison -> 'comparison' -> 'compliance' -> 'scenario' ->> 'passed')::int is distinct from passed
      or (comparison -> 'comparison' -> 'compliance' -> 'scenario' ->> 'warning')::int is distinct from warning
      or (comparison -> 'comparison' -> 'compliance' -> 'scenario' ->> 'failed')::int is distinct from failed
      or (comparison -> 'comparison' -> 'compliance' -> 'base' ->> 'passed')::int is distinct from base_passed
      or (comparison -> 'comparison' -> 'compliance' -> 'base' ->> 'warning')::int is distinct from base_warning
      or (comparison -> 'comparison' -> 'compliance' -> 'base' ->> 'failed')::int is distinct from base_failed
  )
{% endtest %}
