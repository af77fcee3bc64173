{#- Generic tests of the covenants marts (named for the domain: dbt deps is offline, no dbt_utils). -#}

{#- Fails on every evaluation with a value whose status is not the one its headroom gives under the band it
    was evaluated with (BREACH below 0, NEAR_BREACH up to tolerance_scaled, OK above): the API recomputes
    statuses for another band from the headroom alone, so the two must agree. -#}
{% test covenants_status_follows_headroom(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} is not null
    and status is distinct from (
        case
            when {{ column_name }} < 0 then 'BREACH'
            when {{ column_name }} <= tolerance_scaled then 'NEAR_BREACH'
            else 'OK'
        end
    )
{% endtest %}
