-- One row per variance in its opening state. Par, price and accrued variances compare numbers: their values
-- are also parsed (internal_number, external_number; null where the text is not a plain number). A variance
-- needs review when it is outside tolerance and no auto rule resolved it (engine.current_summary's rule).
{% set plain_number = "^[[:space:]]*[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?[[:space:]]*$" %}

with source as (
    select * from {{ source('reconciliation_analytics', 'reconciliation_variances') }}
),

final as (
    select
        tenant_id || ':' || variance_id as variance_key,
        tenant_id,
        partition_key,
        reconciliation_id,
        variance_id,
        workbook_id,
        position_key,
        matched_on,
        holding_id,
        external_row,
        cusip,
        isin,
        issuer_name,
        category,
        field,
        internal_value,
        external_value,
        case
            when category in ('par', 'price', 'accrued') and internal_value ~ '{{ plain_number }}'
                then internal_value::numeric
        end as internal_number,
        case
            when category in ('par', 'price', 'accrued') and external_value ~ '{{ plain_number }}'
                then external_value::numeric
        end as external_number,
        difference,
        difference_pct,
        within_tolerance,
        not within_tolerance and auto_rule_id is null as needs_review,
        initial_status,
        resolution_type,
        auto_rule_id,
        explanation,
        action,
        created_at
    from source
)

select * from final
