-- Each customer's MRR at each month end, per metric policy set: the customer MRR interval in
-- force on the month's last day (int_customer_mrr_intervals, zero intervals included), in the
-- customer's currency and in the policy set's reporting currency at that day's rate. The month
-- end balances of int_metrics_monthly (mrr = Σ mrr_rc, customers = count of is_paying) and of
-- metrics_customer_monthly.
with

policy_sets as (
    select
        policy_set,
        reporting_currency
    from ({{ metric_policy_sets_sql() }}) as policy_set_rows
),

months as (
    select
        month,
        month_end
    from {{ ref('int_calendar_months') }}
),

intervals as (
    select
        policy_set,
        customer_id,
        currency,
        valid_from,
        valid_to,
        mrr
    from {{ ref('int_customer_mrr_intervals') }}
),

rates as (
    select
        reporting_currency,
        currency,
        rate_date,
        rate_to_rc
    from {{ ref('int_fx_rates_daily') }}
),

final as (
    select
        policy_sets.policy_set,
        months.month,
        months.month_end,
        intervals.customer_id,
        intervals.currency,
        intervals.mrr,
        policy_sets.reporting_currency,
        rates.rate_to_rc as fx_rate,
        {{ to_rc('intervals.mrr', 'rates.rate_to_rc') }} as mrr_rc,
        intervals.mrr > 0 as is_paying
    from policy_sets
    cross join months
    inner join intervals
        on
            policy_sets.policy_set = intervals.policy_set
            and months.month_end >= intervals.valid_from
            and (intervals.valid_to is null or months.month_end < intervals.valid_to)
    left join rates
        on
            policy_sets.reporting_currency = rates.reporting_currency
            and intervals.currency = rates.currency
            and months.month_end = rates.rate_date
)

select * from final
