-- The waterfall adds up: along an invoiced month, recognised so far + deferred at the end of
-- the recognition month + deferred given back by refunds and credit notes = the month's
-- invoiced (net) amount; per recognition month, the
-- waterfall's recognised and deferred equal metrics_monthly's recognized_revenue and
-- deferred_revenue_end.
with

rows_off as (
    select
        'row' as kind,
        recognition_month as month,
        cumulative_recognized_rc + deferred_end_rc + reversed_deferred_rc as left_amount,
        invoiced_rc as right_amount
    from {{ ref('rpt_revenue_waterfall') }}
    where cumulative_recognized_rc + deferred_end_rc + reversed_deferred_rc != invoiced_rc
),

columns as (
    select
        recognition_month as month,
        sum(recognized_rc) as recognized_rc,
        sum(deferred_end_rc) as deferred_end_rc
    from {{ ref('rpt_revenue_waterfall') }}
    group by recognition_month
),

columns_off as (
    select
        'column' as kind,
        metrics.month,
        metrics.recognized_revenue + metrics.deferred_revenue_end as left_amount,
        coalesce(columns.recognized_rc, 0) + coalesce(columns.deferred_end_rc, 0) as right_amount
    from {{ ref('metrics_monthly') }} as metrics
    left join columns
        on metrics.month = columns.month
    where
        metrics.recognized_revenue != coalesce(columns.recognized_rc, 0)
        or metrics.deferred_revenue_end != coalesce(columns.deferred_end_rc, 0)
)

select * from rows_off
union all
select * from columns_off
