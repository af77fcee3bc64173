{#- Generic data tests of the explained-compliance mart (issue 18). -#}

{#- A test's shares add up to 1 (each is rounded to 6 decimals, so within 1e-6 per row); null when the numerator is 0. -#}
{% test compliance_contribution_shares_add_up(model) %}
select tenant_id, partition_key, test_id, sum(share) as total_share, count(*) as parts
from {{ model }}
group by tenant_id, partition_key, test_id
having count(share) > 0 and abs(sum(share) - 1) > 0.000001 * count(*)
{% endtest %}

{#- Where every part of a test is non-negative (par, par x factor, carrying value, ...), each share is in [0, 1]. -#}
{% test compliance_contribution_share_in_range(model) %}
with non_negative as (
    select tenant_id, partition_key, test_id
    from {{ model }}
    group by tenant_id, partition_key, test_id
    having min(contribution) >= 0
)

select parts.*
from {{ model }} as parts
inner join non_negative using (tenant_id, partition_key, test_id)
where parts.share < 0 or parts.share > 1
{% endtest %}

{#- The holdings' rows are ranked by |contribution|, largest first (the rest and term rows follow them). -#}
{% test compliance_contribution_ranks_descend(model) %}
select *
from (
    select
        *,
        lag(abs(contribution)) over (partition by tenant_id, partition_key, test_id order by rank) as previous
    from {{ model }}
    where row_kind = 'holding'
) as ranked
where previous < abs(contribution)
{% endtest %}
