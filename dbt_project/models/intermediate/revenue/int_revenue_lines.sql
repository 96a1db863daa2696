-- The invoice lines revenue is recognised from (README "Revenue recognition"): lines of
-- finalised invoices (open, paid, uncollectible; never drafts), net of their line discounts,
-- tax excluded (a liability, never revenue); proration lines like any other (a credit line is
-- negative). Lines of an invoice finalised and later voided are kept with their voided_month:
-- they recognise nothing and sit in deferred revenue until the void, as the ledger posts them.
-- Carries the invoice's month and rate, which the schedule, the reversals (refunds, credit
-- notes) and the ledger's invoice entries read.
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
        invoice_status,
        cast(amount_minor as hugeint) - cast(coalesce(discount_minor, 0) as hugeint) as net_minor
    from {{ ref('int_invoice_lines_converted') }}
    where invoice_status in ('open', 'paid', 'uncollectible', 'void')
),

invoices as (
    select
        invoice_id,
        reporting_currency,
        fx_rate,
        finalized_at,
        voided_at
    from {{ ref('int_invoices') }}
    where finalized_at is not null
),

final as (
    select
        lines.invoice_line_id,
        lines.invoice_id,
        lines.customer_id,
        lines.line_type,
        lines.currency,
        lines.service_start,
        lines.service_end,
        lines.net_minor,
        invoices.reporting_currency,
        invoices.fx_rate,
        cast(date_trunc('month', invoices.finalized_at) as date) as invoiced_month,
        coalesce(lines.service_start, invoices.finalized_at) as recognized_from,
        case
            when lines.invoice_status = 'void'
                then cast(date_trunc('month', coalesce(invoices.voided_at, invoices.finalized_at)) as date)
        end as voided_month
    from lines
    inner join invoices
        on lines.invoice_id = invoices.invoice_id
)

select * from final
