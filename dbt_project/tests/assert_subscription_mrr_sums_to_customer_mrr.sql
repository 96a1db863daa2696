-- On the first day of every customer MRR interval, the MRR of the customer's subscriptions in
-- force that day adds up to the customer's MRR (before and after discounts).
-- Reported in Dagster as a check on fct_subscription_mrr (a test on two models needs a home).
{{ config(meta={'dagster': {'ref': {'name': 'fct_subscription_mrr'}}}) }}

with

customer_mrr as (
    select
        customer_id,
        valid_from,
        mrr,
        contract_mrr
    from {{ ref('fct_mrr') }}
),

subscription_sums as (
    select
        customer_mrr.customer_id,
        customer_mrr.valid_from,
        coalesce(sum(subscriptions.mrr), 0) as mrr,
        coalesce(sum(subscriptions.contract_mrr), 0) as contract_mrr
    from customer_mrr
    left join {{ ref('fct_subscription_mrr') }} as subscriptions
        on
            customer_mrr.customer_id = subscriptions.customer_id
            and customer_mrr.valid_from >= subscriptions.valid_from
            and (subscriptions.valid_to is null or customer_mrr.valid_from < subscriptions.valid_to)
    group by customer_mrr.customer_id, customer_mrr.valid_from
)

select
    customer_mrr.customer_id,
    customer_mrr.valid_from,
    customer_mrr.mrr,
    subscription_sums.mrr as subscriptions_mrr
from customer_mrr
inner join subscription_sums
    on
        customer_mrr.customer_id = subscription_sums.customer_id
        and customer_mrr.valid_from = subscription_sums.valid_from
where
    customer_mrr.mrr != subscription_sums.mrr
    or customer_mrr.contract_mrr != subscription_sums.contract_mrr
