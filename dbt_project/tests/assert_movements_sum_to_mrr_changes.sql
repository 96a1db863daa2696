-- In currency, the movements of each customer add up to its latest MRR (no change is lost or
-- double counted between fct_mrr and fct_mrr_movements).
-- Reported in Dagster as a check on fct_mrr_movements (a test on two models needs a home).
{{ config(meta={'dagster': {'ref': {'name': 'fct_mrr_movements'}}}) }}

with

movements as (
    select
        customer_id,
        sum(mrr_delta) as total_delta
    from {{ ref('fct_mrr_movements') }}
    group by customer_id
),

current_mrr as (
    select
        customer_id,
        mrr
    from {{ ref('fct_mrr') }}
    where is_current
)

select
    current_mrr.customer_id,
    current_mrr.mrr,
    coalesce(movements.total_delta, 0) as total_delta
from current_mrr
left join movements
    on current_mrr.customer_id = movements.customer_id
where current_mrr.mrr != coalesce(movements.total_delta, 0)
