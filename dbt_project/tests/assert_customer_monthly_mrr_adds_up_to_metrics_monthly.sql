-- metrics_customer_monthly adds up to metrics_monthly exactly, month by month: Σ mrr_rc = mrr
-- and the paying customers = customers (a month without customer rows must show 0 and 0).
{{ config(meta={'dagster': {'ref': {'name': 'metrics_customer_monthly'}}}) }}

with

customer_sums as (
    select
        month,
        sum(mrr_rc) as mrr,
        count(*) filter (where is_paying) as customers
    from {{ ref('metrics_customer_monthly') }}
    group by month
),

monthly as (
    select
        month,
        mrr,
        customers
    from {{ ref('metrics_monthly') }}
)

select
    monthly.mrr,
    customer_sums.mrr as customer_mrr,
    monthly.customers,
    customer_sums.customers as paying_customers,
    coalesce(monthly.month, customer_sums.month) as month
from monthly
full outer join customer_sums
    on monthly.month = customer_sums.month
where
    monthly.mrr is distinct from coalesce(customer_sums.mrr, 0)
    or monthly.customers is distinct from coalesce(customer_sums.customers, 0)
