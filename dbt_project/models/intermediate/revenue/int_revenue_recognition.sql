-- Revenue recognition: one row per invoice line × calendar month, from the month its invoice
-- was finalised through the last month of its service period (DESIGN §5, README "Revenue
-- recognition"). Lines: int_revenue_lines (finalised invoices, net of line discounts, no tax).
-- Rules, one per CTE:
--   months     one row per month from the invoice's month to the end of the service period;
--              a line billed in advance sits deferred until its period starts
--   gross      recognised through month m = round(net × seconds of the period elapsed by the
--              end of m ÷ seconds of the period), half away from zero, in integer minor units
--              on HUGEINT; the period before the invoice's month (billed in arrears) is caught
--              up in the invoice's month; a line without a period (or of zero length) at once,
--              in the month of max(its invoice's, its period's start)
--   reversed   a refund or credit note takes its deferred part D out of the line's deferred
--              balance in its month (int_revenue_reversal_lines) and stops recognising it:
--              from that month on, recognised through m is reduced by
--              round(D × (gross through m − gross before its month) ÷ what remained then)
--   voided     a line of an invoice voided after finalisation recognises nothing: it stays
--              deferred from its invoice's month until the void's month, then is given back
--              whole (reversed_deferred), as the ledger's invoice_voided entry posts it
--   final      month = net cumulative − previous, so the months sum to the line less what was
--              given back exactly; rc = round(cumulative × the invoice's rate, 6) differenced,
--              and deferred_end_rc = rc(net − reversed deferred) − rc(cumulative)
-- Published as fct_revenue_recognition.
with

lines as (
    select * from {{ ref('int_revenue_lines') }}
),

reversal_lines as (
    select * from {{ ref('int_revenue_reversal_lines') }}
    where remaining_minor != 0
),

bounded as (
    select
        *,
        coalesce(service_end > service_start, false) as has_period
    from lines
),

months as (
    select
        *,
        cast(unnest(generate_series(
            invoiced_month,
            greatest(
                invoiced_month,
                coalesce(
                    voided_month,
                    cast(date_trunc(
                        'month', case when has_period then service_end - interval 1 second else recognized_from end
                    ) as date)
                )
            ),
            interval 1 month
        )) as date) as month
    from bounded
),

gross as (
    select
        *,
        case
            when voided_month is null
                then {{ recognized_by_minor(
                    'net_minor', 'service_start', 'service_end', 'recognized_from', 'month + interval 1 month'
                ) }}
            else cast(0 as hugeint)
        end as gross_cumulative_minor
    from months
),

reversed as (
    select
        gross.invoice_line_id,
        gross.month,
        sum(
            {{ round_ratio(
                'reversal_lines.deferred_minor * (gross.gross_cumulative_minor - reversal_lines.recognized_before_minor)',
                'reversal_lines.remaining_minor'
            ) }}
        ) as reversed_cumulative_minor,
        sum(reversal_lines.deferred_minor) as reversed_deferred_minor
    from gross
    inner join reversal_lines
        on gross.invoice_line_id = reversal_lines.invoice_line_id
            and gross.month >= reversal_lines.reversal_month
    group by gross.invoice_line_id, gross.month
),

net as (
    select
        gross.*,
        gross.gross_cumulative_minor - coalesce(reversed.reversed_cumulative_minor, 0) as cumulative_minor,
        case
            when gross.voided_month <= gross.month then cast(0 as hugeint)
            else gross.net_minor - coalesce(reversed.reversed_deferred_minor, 0)
        end as kept_minor
    from gross
    left join reversed
        on gross.invoice_line_id = reversed.invoice_line_id
            and gross.month = reversed.month
),

cumulative_rc as (
    select
        *,
        {{ to_rc(to_major('cumulative_minor', 'currency'), 'fx_rate') }} as cumulative_rc,
        {{ to_rc(to_major('kept_minor', 'currency'), 'fx_rate') }} as kept_rc,
        {{ to_rc(to_major('net_minor', 'currency'), 'fx_rate') }} as net_rc
    from net
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
        voided_month,
        service_start,
        service_end,
        cast(net_minor as bigint) as net_amount_minor,
        {{ to_major('net_minor', 'currency') }} as net_amount,
        cast(
            cumulative_minor - coalesce(lag(cumulative_minor) over line_months, 0) as bigint
        ) as recognized_minor,
        {{ to_major('cumulative_minor - coalesce(lag(cumulative_minor) over line_months, 0)', 'currency') }}
            as recognized,
        {{ to_major('net_minor - kept_minor', 'currency') }} as reversed_deferred,
        {{ to_major('kept_minor - cumulative_minor', 'currency') }} as deferred_end,
        reporting_currency,
        fx_rate,
        net_rc as net_amount_rc,
        cast(cumulative_rc - coalesce(lag(cumulative_rc) over line_months, 0) as decimal(38, 6)) as recognized_rc,
        cast(net_rc - kept_rc as decimal(38, 6)) as reversed_deferred_rc,
        cast(kept_rc - cumulative_rc as decimal(38, 6)) as deferred_end_rc
    from cumulative_rc
    window line_months as (partition by invoice_line_id order by month)
)

select * from final
