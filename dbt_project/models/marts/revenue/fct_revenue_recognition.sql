-- Revenue recognition: one row per invoice line × calendar month, from the month its invoice
-- was finalised through the last month of its service period (DESIGN §5, README "Revenue
-- recognition"). Rules, one per CTE:
--   lines      lines of finalised invoices (open, paid, uncollectible; never draft or void),
--              net of their line discounts, tax excluded (a liability, never revenue);
--              proration lines like any other (a credit line recognises negative revenue over
--              its remaining period); credit notes and refunds are not lines (metrics_monthly.refunded)
--   months     one row per month from the invoice's month to the end of the service period;
--              a line billed in advance sits deferred until its period starts
--   cumulative recognised through month m = round(net × seconds of the period elapsed by
--              the end of m ÷ seconds of the period), half away from zero, in integer minor
--              units on HUGEINT; the period before the invoice's month (billed in arrears) is
--              caught up in the invoice's month; a line without a period (or of zero length)
--              at once, in the month of max(its invoice's, its period's start)
--   final      month = cumulative − previous cumulative, so the months sum to the line exactly;
--              rc = round(cumulative × the invoice's rate, 6) − the same for the month before,
--              so recognised + deferred = round(net × rate, 6) (the line's invoiced rc) exactly
with

lines as (
    select
        invoice_line_id,
        invoice_id,
        customer_id,
        line_type,
        currency,
        service_start,
        service_end,
        cast(amount_minor as hugeint) - cast(coalesce(discount_minor, 0) as hugeint) as net_minor
    from {{ ref('fct_invoice_lines') }}
    where invoice_status in ('open', 'paid', 'uncollectible')
),

invoices as (
    select
        invoice_id,
        reporting_currency,
        fx_rate,
        finalized_at
    from {{ ref('fct_invoices') }}
    where finalized_at is not null
),

spans as (
    select
        lines.*,
        invoices.reporting_currency,
        invoices.fx_rate,
        cast(date_trunc('month', invoices.finalized_at) as date) as invoiced_month,
        coalesce(lines.service_end > lines.service_start, false) as has_period,
        coalesce(lines.service_start, invoices.finalized_at) as recognized_from
    from lines
    inner join invoices
        on lines.invoice_id = invoices.invoice_id
),

bounded as (
    select
        *,
        case
            when has_period then cast(date_diff('second', service_start, service_end) as hugeint)
            else cast(1 as hugeint)
        end as total_units,
        greatest(
            invoiced_month,
            cast(date_trunc(
                'month', case when has_period then service_end - interval 1 second else recognized_from end
            ) as date)
        ) as last_month
    from spans
),

months as (
    select
        *,
        cast(unnest(generate_series(invoiced_month, last_month, interval 1 month)) as date) as month
    from bounded
),

elapsed as (
    select
        *,
        case
            when has_period
                then cast(
                        greatest(
                            date_diff(
                                'second',
                                service_start,
                                least(service_end, greatest(service_start, month + interval 1 month))
                            ),
                            0
                        ) as hugeint
                    )
            when recognized_from < month + interval 1 month then cast(1 as hugeint)
            else cast(0 as hugeint)
        end as elapsed_units
    from months
),

cumulative as (
    select
        *,
        sign(net_minor) * (
            (2 * abs(net_minor) * elapsed_units + total_units) // (2 * total_units)
        ) as cumulative_minor
    from elapsed
),

cumulative_rc as (
    select
        *,
        {{ to_rc(to_major('cumulative_minor', 'currency'), 'fx_rate') }} as cumulative_rc,
        {{ to_rc(to_major('net_minor', 'currency'), 'fx_rate') }} as net_rc
    from cumulative
),

final as (
    select
        invoice_line_id || ':' || strftime(month, '%Y-%m') as revenue_recognition_id,
        invoice_line_id,
        invoice_id,
        customer_id,
        month,
        line_type,
        case line_type
            when 'usage' then 'revenue_usage'
            when 'one_time' then 'revenue_one_time'
            else 'revenue_subscription'
        end as revenue_account,
        currency,
        invoiced_month,
        service_start,
        service_end,
        cast(net_minor as bigint) as net_amount_minor,
        {{ to_major('net_minor', 'currency') }} as net_amount,
        cast(
            cumulative_minor - coalesce(lag(cumulative_minor) over line_months, 0) as bigint
        ) as recognized_minor,
        {{ to_major('cumulative_minor - coalesce(lag(cumulative_minor) over line_months, 0)', 'currency') }}
            as recognized,
        {{ to_major('net_minor - cumulative_minor', 'currency') }} as deferred_end,
        reporting_currency,
        fx_rate,
        net_rc as net_amount_rc,
        cast(cumulative_rc - coalesce(lag(cumulative_rc) over line_months, 0) as decimal(38, 6)) as recognized_rc,
        cast(net_rc - cumulative_rc as decimal(38, 6)) as deferred_end_rc
    from cumulative_rc
    window line_months as (partition by invoice_line_id order by month)
)

select * from final
