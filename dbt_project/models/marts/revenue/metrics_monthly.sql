-- SaaS metrics per calendar month under the configured metric policies, in the reporting
-- currency: the MRR metrics of int_metrics_monthly (balances, movements, FX impact, churn
-- rates, NRR, GRR, ARPA, LTV; see there for each formula), with usage revenue, invoiced and
-- cash collected, refunded, and the revenue recognised in the month and deferred at its end
-- (fct_revenue_recognition: Σ recognized_rc of the month; Σ deferred_end_rc of the month's
-- rows, which covers every line invoiced by then whose service has not fully passed).
with

mrr_metrics as (
    select * from {{ ref('int_metrics_monthly') }}
    where policy_set = 'configured'
),

usage as (
    select
        cast(date_trunc('month', fx_rate_date) as date) as month,
        sum(amount_rc) as usage_revenue
    from {{ ref('int_invoice_lines_converted') }}
    where line_type = 'usage' and invoice_status not in ('draft', 'void')
    group by all
),

invoiced as (
    select
        cast(date_trunc('month', finalized_at) as date) as month,
        sum(total_rc) as invoiced
    from {{ ref('int_invoices') }}
    where finalized_at is not null
    group by all
),

recognition as (
    select
        month,
        recognized_rc,
        deferred_end_rc
    from {{ ref('int_revenue_recognition') }}
),

revenue as (
    select
        mrr_metrics.month,
        coalesce(sum(recognition.recognized_rc), 0) as recognized_revenue,
        coalesce(sum(recognition.deferred_end_rc), 0) as deferred_revenue_end
    from mrr_metrics
    left join recognition
        on mrr_metrics.month = recognition.month
    group by all
),

refunds as (
    select
        cast(date_trunc('month', occurred_date) as date) as month,
        sum(amount_rc) as refunded
    from {{ ref('int_payments') }}
    where kind = 'refund' and status = 'succeeded'
    group by all
),

cash as (
    select
        cast(date_trunc('month', occurred_date) as date) as month,
        sum(amount_rc) as cash_collected
    from {{ ref('int_payments') }}
    where kind = 'charge' and status = 'succeeded'
    group by all
),

final as (
    select
        mrr_metrics.month,
        mrr_metrics.mrr,
        mrr_metrics.arr,
        mrr_metrics.customers,
        mrr_metrics.new_mrr,
        mrr_metrics.expansion_mrr,
        mrr_metrics.contraction_mrr,
        mrr_metrics.churned_mrr,
        mrr_metrics.reactivation_mrr,
        mrr_metrics.fx_impact_mrr,
        mrr_metrics.net_new_mrr,
        mrr_metrics.customer_churn_rate,
        mrr_metrics.gross_mrr_churn_rate,
        mrr_metrics.net_mrr_churn_rate,
        mrr_metrics.nrr,
        mrr_metrics.grr,
        mrr_metrics.arpa,
        mrr_metrics.ltv,
        revenue.recognized_revenue,
        revenue.deferred_revenue_end,
        mrr_metrics.start_mrr,
        mrr_metrics.start_customers,
        mrr_metrics.churned_customers,
        mrr_metrics.reporting_currency,
        coalesce(usage.usage_revenue, 0) as usage_revenue,
        coalesce(cash.cash_collected, 0) as cash_collected,
        coalesce(invoiced.invoiced, 0) as invoiced,
        coalesce(refunds.refunded, 0) as refunded
    from mrr_metrics
    left join usage on mrr_metrics.month = usage.month
    left join invoiced on mrr_metrics.month = invoiced.month
    left join cash on mrr_metrics.month = cash.month
    left join revenue on mrr_metrics.month = revenue.month
    left join refunds on mrr_metrics.month = refunds.month
)

select * from final
