-- The key daily metrics of the business, per business day (UTC), in the reporting currency:
-- the series that rpt_metric_anomalies_daily judges. One row per metric and day with activity;
-- metric_value is the metric, support_rows the rows behind it:
--   cash_collected       succeeded charges' amount_rc     succeeded charges
--   charges_succeeded    succeeded charges                the same
--   charges_failed       failed charge attempts           the same
--   failed_charge_share  failed attempts                  attempts (the share is their ratio)
--   refunds              succeeded refunds                the same
--   new_mrr              MRR of 'new' movements (rc)      new customers
--   invoices_finalized   invoices finalised               the same
--   usage_median_quantity  the median quantity of a usage event   usage events
with

payments as (
    select * from {{ ref('int_payments') }}
),

movements as (
    select * from {{ ref('int_mrr_movements') }}
    where policy_set = 'configured'
),

invoices as (
    select * from {{ ref('int_invoices') }}
),

usage_events as (
    select * from {{ ref('stg_usage__events') }}
),

charges as (
    select
        occurred_date as business_day,
        count(*) filter (where status = 'succeeded') as succeeded,
        count(*) filter (where status = 'failed') as failed,
        coalesce(sum(amount_rc) filter (where status = 'succeeded'), 0) as cash_rc
    from payments
    where kind = 'charge'
    group by all
),

refunds as (
    select
        occurred_date as business_day,
        count(*) as refunds
    from payments
    where kind = 'refund' and status = 'succeeded'
    group by all
),

new_mrr as (
    select
        movement_date as business_day,
        count(*) as new_customers,
        sum(mrr_delta_rc) as new_mrr_rc
    from movements
    where movement_type = 'new'
    group by all
),

finalized as (
    select
        cast(finalized_at as date) as business_day,
        count(*) as invoices
    from invoices
    where finalized_at is not null
    group by all
),

usage_days as (
    select
        occurred_date as business_day,
        count(*) as events,
        median(quantity) as median_quantity
    from usage_events
    group by all
),

final as (
    select
        'cash_collected' as metric_name,
        business_day,
        cast(cash_rc as decimal(38, 6)) as metric_value,
        succeeded as support_rows
    from charges
    union all
    select
        'charges_succeeded' as metric_name,
        business_day,
        succeeded as metric_value,
        succeeded as support_rows
    from charges
    union all
    select
        'charges_failed' as metric_name,
        business_day,
        failed as metric_value,
        failed as support_rows
    from charges
    union all
    select
        'failed_charge_share' as metric_name,
        business_day,
        failed as metric_value,
        succeeded + failed as support_rows
    from charges
    union all
    select
        'refunds' as metric_name,
        business_day,
        refunds as metric_value,
        refunds as support_rows
    from refunds
    union all
    select
        'new_mrr' as metric_name,
        business_day,
        new_mrr_rc as metric_value,
        new_customers as support_rows
    from new_mrr
    union all
    select
        'invoices_finalized' as metric_name,
        business_day,
        invoices as metric_value,
        invoices as support_rows
    from finalized
    union all
    select
        'usage_median_quantity' as metric_name,
        business_day,
        median_quantity as metric_value,
        events as support_rows
    from usage_days
)

select * from final
