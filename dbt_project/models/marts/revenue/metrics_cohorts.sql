-- Customer and MRR retention by cohort, in the reporting currency. A unified customer's cohort
-- is the calendar month of its first day with MRR > 0 (its `new` movement); customers that
-- never had MRR belong to no cohort. One row per cohort and month since (0 = the cohort month)
-- through the month of the latest data. Every balance is the customer's MRR on the measured
-- month's last day (as metrics_monthly): a customer counts as retained when that MRR is > 0,
-- so a churned customer that comes back (reactivation) counts as retained again.
-- Money is converted per customer, round(mrr × rate, 6), then summed:
--   cohort_start_mrr and *_constant_fx at the rate of the cohort month's last day,
--   mrr_retained at the rate of the measured month's last day (what metrics_monthly reports).
with

bounds as (
    select cast(date_trunc('month', last_date) as date) as last_month
    from {{ ref('int_data_bounds') }}
),

rates as (
    select
        currency,
        rate_date,
        rate_to_rc
    from {{ ref('int_fx_rates_rc') }}
),

mrr as (
    select
        customer_id,
        valid_from,
        valid_to,
        currency,
        mrr
    from {{ ref('int_customer_mrr_intervals') }}
    where policy_set = 'configured'
),

-- the cohort: month of the first interval with MRR > 0 (= the month of the `new` movement)
cohort_members as (
    select
        customer_id,
        cast(date_trunc('month', min(valid_from)) as date) as cohort_month
    from mrr
    where mrr > 0
    group by customer_id
),

-- every member × every month from its cohort month through the last month of the data. Its own
-- spine, not int_calendar_months: nothing bounds a cohort month below by the data's first month
-- (MRR rebuilt from invoice lines starts on a line's service start, not a business day).
member_months as (
    select
        cohort_members.customer_id,
        cohort_members.cohort_month,
        cast(last_day(cohort_members.cohort_month) as date) as cohort_month_end,
        cast(spine.month_start as date) as month,
        cast(last_day(spine.month_start) as date) as month_end,
        cast(date_diff('month', cohort_members.cohort_month, spine.month_start) as integer) as months_since
    from cohort_members
    cross join bounds
    cross join unnest(generate_series(
        cast(cohort_members.cohort_month as timestamp), cast(bounds.last_month as timestamp), interval 1 month
    )) as spine (month_start)
),

-- the member's MRR on the month's last day (0 when no interval covers it)
member_balances as (
    select
        member_months.*,
        mrr.currency,
        coalesce(mrr.mrr, 0) as mrr
    from member_months
    left join mrr
        on member_months.customer_id = mrr.customer_id
            and member_months.month_end >= mrr.valid_from
            and (mrr.valid_to is null or member_months.month_end < mrr.valid_to)
),

member_balances_rc as (
    select
        member_balances.customer_id,
        member_balances.cohort_month,
        member_balances.month,
        member_balances.months_since,
        member_balances.mrr,
        case
            when member_balances.mrr = 0 then cast(0 as decimal(38, 6))
            else {{ to_rc('member_balances.mrr', 'month_end_rates.rate_to_rc') }}
        end as mrr_rc,
        case
            when member_balances.mrr = 0 then cast(0 as decimal(38, 6))
            else {{ to_rc('member_balances.mrr', 'cohort_rates.rate_to_rc') }}
        end as mrr_rc_constant_fx
    from member_balances
    left join rates as month_end_rates
        on member_balances.currency = month_end_rates.currency
            and member_balances.month_end = month_end_rates.rate_date
    left join rates as cohort_rates
        on member_balances.currency = cohort_rates.currency
            and member_balances.cohort_month_end = cohort_rates.rate_date
),

cohort_months as (
    select
        cohort_month,
        months_since,
        month,
        count(*) as cohort_customers,
        count(*) filter (where mrr > 0) as customers_retained,
        sum(mrr_rc) as mrr_retained,
        sum(mrr_rc_constant_fx) as mrr_retained_constant_fx
    from member_balances_rc
    group by cohort_month, months_since, month
),

-- the cohort's MRR at the end of its own month (months_since 0) is the base of net retention
with_start as (
    select
        *,
        sum(mrr_retained) filter (where months_since = 0) over (partition by cohort_month) as cohort_start_mrr
    from cohort_months
),

final as (
    select
        cohort_month,
        months_since,
        month,
        cohort_customers,
        cast(cohort_start_mrr as decimal(38, 6)) as cohort_start_mrr,
        customers_retained,
        {{ div_exact('cast(customers_retained as decimal(38, 6))', 'cast(cohort_customers as decimal(38, 6))', 8) }}
            as customer_retention,
        cast(mrr_retained as decimal(38, 6)) as mrr_retained,
        {{ div_exact('mrr_retained', 'cohort_start_mrr', 8) }} as net_mrr_retention,
        cast(mrr_retained_constant_fx as decimal(38, 6)) as mrr_retained_constant_fx,
        {{ div_exact('mrr_retained_constant_fx', 'cohort_start_mrr', 8) }} as net_mrr_retention_constant_fx,
        {{ reporting_currency_literal() }} as reporting_currency
    from with_start
)

select * from final
