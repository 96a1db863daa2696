-- Accounts receivable aging: the open receivables of each customer at each month end, bucketed
-- by days past due (current = not yet due or due that day; 1-30, 31-60, 61-90, over 90 days).
-- An invoice is a receivable from its finalisation until it is paid, voided or marked
-- uncollectible (written off to bad debt), read from the latest version's status transitions;
-- its open amount is amount_due less the succeeded charges on it by then. Due date: the
-- invoice's `due_date` (send_invoice), else its finalisation day (charge_automatically invoices
-- are due at once). Days past due = month end − due date. Amounts in the reporting currency at
-- the invoice's own rate (its finalisation day, as fct_invoices and the ledger's receivable).
-- One row per month × customer with an open receivable. Published as rpt_ar_aging; DSO
-- (rpt_dso) reads its receivables from here.
with

invoices as (
    select
        invoice_id,
        customer_id,
        currency,
        amount_due,
        fx_rate,
        finalized_at,
        paid_at,
        voided_at,
        marked_uncollectible_at,
        coalesce(due_date, cast(finalized_at as date)) as due_date
    from {{ ref('int_invoices') }}
    where finalized_at is not null and amount_due > 0
),

charges as (
    select
        invoice_id,
        occurred_at,
        amount
    from {{ ref('int_payments') }}
    where kind = 'charge' and status = 'succeeded' and invoice_id is not null
),

-- the business calendar from the month of the first finalised invoice (never before the
-- calendar's first month: an invoice is finalised after it is created, a business day)
months as (
    select calendar.month
    from {{ ref('int_calendar_months') }} as calendar
    where calendar.month >= (select cast(date_trunc('month', min(invoices.finalized_at)) as date) from invoices)
),

-- every invoice still open at the end of the month (end of its last day)
open_invoices as (
    select
        months.month,
        cast(last_day(months.month) as date) as as_of_date,
        invoices.invoice_id,
        invoices.customer_id,
        invoices.currency,
        invoices.amount_due,
        invoices.fx_rate,
        invoices.due_date
    from months
    inner join invoices
        on invoices.finalized_at < last_day(months.month) + interval 1 day
    where not coalesce(invoices.paid_at < last_day(months.month) + interval 1 day, false)
        and not coalesce(invoices.voided_at < last_day(months.month) + interval 1 day, false)
        and not coalesce(invoices.marked_uncollectible_at < last_day(months.month) + interval 1 day, false)
),

paid_by_month_end as (
    select
        open_invoices.month,
        open_invoices.invoice_id,
        sum(charges.amount) as amount_paid
    from open_invoices
    inner join charges
        on open_invoices.invoice_id = charges.invoice_id
            and charges.occurred_at < open_invoices.as_of_date + interval 1 day
    group by open_invoices.month, open_invoices.invoice_id
),

aged as (
    select
        open_invoices.month,
        open_invoices.as_of_date,
        open_invoices.customer_id,
        open_invoices.invoice_id,
        date_diff('day', open_invoices.due_date, open_invoices.as_of_date) as days_past_due,
        {{ to_rc(
            'greatest(open_invoices.amount_due - coalesce(paid_by_month_end.amount_paid, 0), 0)',
            'open_invoices.fx_rate'
        ) }} as open_amount_rc
    from open_invoices
    left join paid_by_month_end
        on open_invoices.month = paid_by_month_end.month
            and open_invoices.invoice_id = paid_by_month_end.invoice_id
),

bucketed as (
    select
        *,
        case
            when days_past_due <= 0 then 'current'
            when days_past_due <= 30 then '1_30'
            when days_past_due <= 60 then '31_60'
            when days_past_due <= 90 then '61_90'
            else 'over_90'
        end as aging_bucket
    from aged
    where open_amount_rc > 0
),

final as (
    select
        month,
        as_of_date,
        customer_id,
        {{ reporting_currency_literal() }} as reporting_currency,
        count(*) as open_invoices,
        sum(open_amount_rc) as open_receivables_rc,
        sum(case when aging_bucket = 'current' then open_amount_rc else 0 end) as current_rc,
        sum(case when aging_bucket = '1_30' then open_amount_rc else 0 end) as past_due_1_30_rc,
        sum(case when aging_bucket = '31_60' then open_amount_rc else 0 end) as past_due_31_60_rc,
        sum(case when aging_bucket = '61_90' then open_amount_rc else 0 end) as past_due_61_90_rc,
        sum(case when aging_bucket = 'over_90' then open_amount_rc else 0 end) as past_due_over_90_rc,
        sum(case when aging_bucket != 'current' then open_amount_rc else 0 end) as past_due_rc,
        max(days_past_due) as max_days_past_due
    from bucketed
    group by month, as_of_date, customer_id
)

select * from final
