-- MRR per unified customer as an interval table under the configured metric policies: one row
-- per customer and day on which its MRR (or contract MRR) changed; [valid_from, valid_to) with
-- valid_to exclusive and NULL while current. *_rc at the rate of valid_from (a balance on
-- another day uses that day's rate).
with

intervals as (
    select * from {{ ref('int_customer_mrr_intervals') }}
    where policy_set = 'configured'
),

rates as (
    select
        currency,
        rate_date,
        rate_to_rc
    from {{ ref('int_fx_rates_rc') }}
),

final as (
    select
        intervals.customer_mrr_interval_id as mrr_interval_id,
        intervals.customer_id,
        intervals.valid_from,
        intervals.valid_to,
        intervals.currency,
        intervals.mrr,
        intervals.contract_mrr,
        {{ reporting_currency_literal() }} as reporting_currency,
        rates.rate_to_rc as fx_rate,
        {{ to_rc('intervals.mrr', 'rates.rate_to_rc') }} as mrr_rc,
        {{ to_rc('intervals.contract_mrr', 'rates.rate_to_rc') }} as contract_mrr_rc,
        intervals.source_id,
        intervals.valid_to is null as is_current
    from intervals
    left join rates
        on intervals.currency = rates.currency
            and intervals.valid_from = rates.rate_date
)

select * from final
