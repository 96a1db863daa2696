-- SaaS metrics per calendar month, from the first month with any data through the month of
-- the latest data, in the reporting currency. Balances are as of the month's last day at that
-- day's rate; movements at their own day's rate; FX impact is the residual that makes
--   start mrr + new + expansion + reactivation − contraction − churned + fx_impact = end mrr
-- hold exactly. Rates follow ChartMogul (see README.md). recognized_revenue and
-- deferred_revenue_end are NULL until revenue recognition (fct_revenue_recognition) is built.
{%- set window = var('ltv_churn_window_months') | int(6) %}

with

bounds as (
    select
        first_date,
        last_date
    from {{ ref('int_data_bounds') }}
),

months as (
    select
        cast(month_start as date) as month,
        cast(month_start + interval 1 month - interval 1 day as date) as month_end
    from bounds,
        unnest(generate_series(
            date_trunc('month', first_date), date_trunc('month', last_date), interval 1 month
        )) as spine (month_start)
),

rates as (
    select
        currency,
        rate_date,
        rate_to_rc
    from {{ ref('int_fx_rates_daily') }}
),

balances as (
    select
        months.month,
        sum({{ to_rc('mrr.mrr', 'rates.rate_to_rc') }}) as mrr,
        count(*) filter (where mrr.mrr > 0) as customers
    from months
    inner join {{ ref('fct_mrr') }} as mrr
        on months.month_end >= mrr.valid_from
            and (mrr.valid_to is null or months.month_end < mrr.valid_to)
    left join rates
        on mrr.currency = rates.currency
            and months.month_end = rates.rate_date
    group by months.month
),

movements as (
    select
        cast(date_trunc('month', movement_date) as date) as month,
        sum(mrr_delta_rc) filter (where movement_type = 'new') as new_mrr,
        sum(mrr_delta_rc) filter (where movement_type = 'expansion') as expansion_mrr,
        -sum(mrr_delta_rc) filter (where movement_type = 'contraction') as contraction_mrr,
        -sum(mrr_delta_rc) filter (where movement_type = 'churn') as churned_mrr,
        sum(mrr_delta_rc) filter (where movement_type = 'reactivation') as reactivation_mrr,
        count(distinct customer_id) filter (where movement_type = 'churn') as churned_customers
    from {{ ref('fct_mrr_movements') }}
    group by all
),

usage as (
    select
        cast(date_trunc('month', fx_rate_date) as date) as month,
        sum(amount_rc) as usage_revenue
    from {{ ref('fct_invoice_lines') }}
    where line_type = 'usage' and invoice_status not in ('draft', 'void')
    group by all
),

invoiced as (
    select
        cast(date_trunc('month', finalized_at) as date) as month,
        sum(total_rc) as invoiced
    from {{ ref('fct_invoices') }}
    where finalized_at is not null
    group by all
),

cash as (
    select
        cast(date_trunc('month', occurred_date) as date) as month,
        sum(amount_rc) as cash_collected
    from {{ ref('fct_payments') }}
    where kind = 'charge' and status = 'succeeded'
    group by all
),

joined as (
    select
        months.month,
        coalesce(balances.mrr, 0) as end_mrr,
        coalesce(balances.customers, 0) as customers,
        coalesce(movements.new_mrr, 0) as new_mrr,
        coalesce(movements.expansion_mrr, 0) as expansion_mrr,
        coalesce(movements.contraction_mrr, 0) as contraction_mrr,
        coalesce(movements.churned_mrr, 0) as churned_mrr,
        coalesce(movements.reactivation_mrr, 0) as reactivation_mrr,
        coalesce(movements.churned_customers, 0) as churned_customers,
        coalesce(usage.usage_revenue, 0) as usage_revenue,
        coalesce(invoiced.invoiced, 0) as invoiced,
        coalesce(cash.cash_collected, 0) as cash_collected
    from months
    left join balances on months.month = balances.month
    left join movements on months.month = movements.month
    left join usage on months.month = usage.month
    left join invoiced on months.month = invoiced.month
    left join cash on months.month = cash.month
),

with_start as (
    select
        *,
        coalesce(lag(end_mrr) over (order by month), 0) as start_mrr,
        coalesce(lag(customers) over (order by month), 0) as start_customers,
        new_mrr + expansion_mrr + reactivation_mrr - contraction_mrr - churned_mrr as net_new_mrr
    from joined
),

with_rates as (
    select
        *,
        end_mrr - start_mrr - net_new_mrr as fx_impact_mrr,
        {{ div_exact('cast(churned_customers as decimal(38, 6))', 'cast(start_customers as decimal(38, 6))', 8) }}
            as customer_churn_rate,
        {{ div_exact('churned_mrr + contraction_mrr', 'start_mrr', 8) }} as gross_mrr_churn_rate,
        {{ div_exact('churned_mrr + contraction_mrr - expansion_mrr - reactivation_mrr', 'start_mrr', 8) }}
            as net_mrr_churn_rate,
        {{ div_exact('start_mrr + expansion_mrr + reactivation_mrr - contraction_mrr - churned_mrr', 'start_mrr', 8) }}
            as nrr,
        {{ div_exact('start_mrr - contraction_mrr - churned_mrr', 'start_mrr', 8) }} as grr,
        {{ div_exact('end_mrr', 'cast(customers as decimal(38, 6))', 6) }} as arpa
    from with_start
),

with_trailing as (
    select
        *,
        sum(customer_churn_rate) over trailing_months as trailing_churn_sum,
        count(customer_churn_rate) over trailing_months as trailing_churn_months
    from with_rates
    window trailing_months as (order by month rows between {{ window - 1 }} preceding and current row)
),

final as (
    select
        month,
        end_mrr as mrr,
        cast(end_mrr * 12 as decimal(38, 6)) as arr,
        customers,
        new_mrr,
        expansion_mrr,
        contraction_mrr,
        churned_mrr,
        reactivation_mrr,
        fx_impact_mrr,
        net_new_mrr,
        customer_churn_rate,
        gross_mrr_churn_rate,
        net_mrr_churn_rate,
        nrr,
        grr,
        arpa,
        {{ div_exact('arpa', div_exact('trailing_churn_sum', 'cast(trailing_churn_months as decimal(38, 6))', 8), 6) }}
            as ltv,
        usage_revenue,
        cash_collected,
        cast(null as decimal(38, 6)) as recognized_revenue,
        cast(null as decimal(38, 6)) as deferred_revenue_end,
        start_mrr,
        start_customers,
        churned_customers,
        invoiced,
        '{{ var("reporting_currency") | upper }}' as reporting_currency
    from with_trailing
)

select * from final
