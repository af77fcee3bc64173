-- Canonical holdings of processed workbooks (served by /workbooks/{id}/holdings), with the holding terms of
-- issue 21 as stored: seniority / asset_type / moodys_watch null when blank (the engine reads blank seniority as
-- senior_secured and blank asset_type as loan), flags never null; source_cells names each field's cell (issue 18).
with holdings as (
    select * from {{ ref('stg_clo_holdings') }}
),

workbooks as (
    select workbook_key, report_date, status from {{ ref('stg_clo_workbooks') }}
),

final as (
    select
        holdings.tenant_id || ':' || holdings.holding_id as holding_key,
        holdings.workbook_key,
        holdings.tenant_id,
        holdings.partition_key,
        holdings.workbook_id,
        holdings.holding_id,
        holdings.sheet,
        holdings.row_index,
        holdings.cusip,
        holdings.isin,
        holdings.loanx_id,
        holdings.figi,
        holdings.asset_id,
        holdings.issuer_name,
        holdings.par_amount,
        holdings.market_value,
        holdings.price,
        holdings.spread,
        holdings.coupon,
        holdings.accrued_interest,
        holdings.rating_moodys,
        holdings.rating_sp,
        holdings.rating_fitch,
        holdings.maturity_date,
        holdings.industry,
        holdings.country,
        holdings.currency,
        holdings.is_defaulted,
        holdings.asset_type,
        holdings.seniority,
        holdings.purchase_price,
        holdings.unfunded_amount,
        holdings.is_cov_lite,
        holdings.is_dip,
        holdings.is_current_pay,
        holdings.is_participation,
        holdings.is_pik,
        holdings.moodys_watch,
        holdings.raw_data,
        holdings.cusip_valid,
        holdings.isin_valid,
        holdings.figi_valid,
        holdings.source_cells,
        holdings.is_ccc,
        workbooks.report_date
    from holdings
    inner join workbooks on holdings.workbook_key = workbooks.workbook_key
    where workbooks.status = 'processed'
)

select * from final
