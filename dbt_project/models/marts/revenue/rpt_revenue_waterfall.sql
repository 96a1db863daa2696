-- The revenue waterfall in the reporting currency: one row per invoiced month (the month the
-- lines' invoices were finalised) × recognition month, from fct_revenue_recognition. Reading a
-- row across the recognition months shows how a month's billings turn into revenue; a column
-- (one recognition month) sums to that month's recognised revenue, and deferred_end_rc summed
-- over the invoiced months of one recognition month is the deferred balance at its end
-- (metrics_monthly.deferred_revenue_end). reversed_deferred_rc is the deferred revenue that
-- refunds and credit notes gave back by the end of the recognition month (never recognised), so
-- along a row: cumulative recognised + deferred + reversed = invoiced.
with

recognition as (
    select
        *,
        reversed_deferred_rc
        - coalesce(lag(reversed_deferred_rc) over (partition by invoice_line_id order by month), 0)
            as reversed_in_month_rc
    from {{ ref('int_revenue_recognition') }}
),

invoiced as (
    select
        invoiced_month,
        sum(net_amount_rc) as invoiced_rc
    from recognition
    where month = invoiced_month
    group by all
),

waterfall as (
    select
        invoiced_month,
        month as recognition_month,
        sum(recognized_rc) as recognized_rc,
        sum(deferred_end_rc) as deferred_end_rc,
        sum(reversed_in_month_rc) as reversed_in_month_rc
    from recognition
    group by all
),

final as (
    select
        waterfall.invoiced_month,
        waterfall.recognition_month,
        invoiced.invoiced_rc,
        waterfall.recognized_rc,
        waterfall.deferred_end_rc,
        sum(waterfall.reversed_in_month_rc) over invoiced_months as reversed_deferred_rc,
        datediff('month', waterfall.invoiced_month, waterfall.recognition_month) as months_after_invoice,
        sum(waterfall.recognized_rc) over invoiced_months as cumulative_recognized_rc
    from waterfall
    inner join invoiced
        on waterfall.invoiced_month = invoiced.invoiced_month
    window invoiced_months as (partition by waterfall.invoiced_month order by waterfall.recognition_month)
)

select * from final
