-- Each unified customer's MRR at each month end under the configured metric policies: the rows
-- of metrics_monthly's balances (Σ mrr_rc = metrics_monthly.mrr and count of is_paying =
-- metrics_monthly.customers, exactly: assert_customer_monthly_mrr_adds_up_to_metrics_monthly),
-- so any split of them (segment, country, currency) adds up to the headline. A customer appears
-- from its first MRR interval on (a trial or a churned customer with mrr 0, is_paying false).
-- segment and country are dim_customers', carried so that the common splits need no join.
with

month_end as (
    select * from {{ ref('int_customer_mrr_month_end') }}
    where policy_set = 'configured'
),

customers as (
    select
        customer_id,
        segment,
        country
    from {{ ref('dim_customers') }}
),

final as (
    select
        month_end.month,
        month_end.customer_id,
        month_end.month_end,
        month_end.currency,
        month_end.mrr,
        month_end.reporting_currency,
        month_end.fx_rate,
        month_end.mrr_rc,
        month_end.is_paying,
        customers.segment,
        customers.country
    from month_end
    left join customers
        on month_end.customer_id = customers.customer_id
)

select * from final
