-- Days sales outstanding per month, the trailing-three-month form:
--   dso = receivables at the month end ÷ invoiced in the three months ending with it
--         × the number of days in those three months,
-- receivables as rpt_ar_aging (read from int_ar_aging: every bucket, current included),
-- invoiced = Σ total of the invoices finalised in the window (void ones excluded), both in the
-- reporting currency at each invoice's rate. Exact: div_exact, rounded half away from zero at
-- 6 decimals; NULL when nothing was invoiced in the window. One row per month from the first
-- invoice's month through the month of the latest data.
with

invoices as (
    select
        finalized_at,
        total_rc
    from {{ ref('int_invoices') }}
    where finalized_at is not null and status != 'void'
),

receivables as (
    select
        month,
        sum(open_receivables_rc) as receivables_rc,
        sum(past_due_rc) as past_due_rc
    from {{ ref('int_ar_aging') }}
    group by month
),

-- the business calendar from the month of the first finalised invoice (never before the
-- calendar's first month: an invoice is finalised after it is created, a business day)
months as (
    select calendar.month
    from {{ ref('int_calendar_months') }} as calendar
    where calendar.month >= (select cast(date_trunc('month', min(invoices.finalized_at)) as date) from invoices)
),

windows as (
    select
        month,
        cast(month - interval 2 month as date) as window_start,
        cast(last_day(month) as date) as window_end,
        date_diff('day', cast(month - interval 2 month as date), cast(last_day(month) as date)) + 1 as window_days
    from months
),

invoiced as (
    select
        windows.month,
        sum(invoices.total_rc) as invoiced_rc
    from windows
    inner join invoices
        on windows.window_start <= invoices.finalized_at
            and windows.window_end + interval 1 day > invoices.finalized_at
    group by windows.month
),

final as (
    select
        windows.month,
        windows.window_start,
        windows.window_end,
        windows.window_days,
        {{ reporting_currency_literal() }} as reporting_currency,
        coalesce(receivables.receivables_rc, 0) as receivables_rc,
        coalesce(receivables.past_due_rc, 0) as past_due_rc,
        coalesce(invoiced.invoiced_rc, 0) as invoiced_trailing_3m_rc,
        {{ div_exact('coalesce(receivables.receivables_rc, 0) * windows.window_days', 'invoiced.invoiced_rc') }}
            as dso_days
    from windows
    left join receivables
        on windows.month = receivables.month
    left join invoiced
        on windows.month = invoiced.month
)

select * from final
