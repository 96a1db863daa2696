-- Money given back against an invoice, split the way the ledger posts it and recognition nets
-- it (DESIGN §5: a refund is contra revenue for the part already recognised). One row per
-- reversal: a refund, or the part of an issued credit note that no refund settles (the refund
-- carries that part). In minor units of the invoice's currency, rounded half away from zero:
--   tax part   = amount × invoice tax ÷ invoice total
--   revenue    = amount − tax part
--   contra     = revenue × recognised before the reversal's month ÷ the invoice's revenue
--                (its recognised lines' net, gross of reversals: each reversal gives back that
--                share of every line, so reversals compose); all of it without lines to recognise
--   deferred   = revenue − contra: taken out of deferred revenue in the reversal's month and no
--                longer recognised afterwards (int_revenue_reversal_lines spreads it over the
--                lines' remaining schedules)
-- and the channels it goes back through: the gateway (refund), the open invoice (credit note
-- before payment), the customer balance, or out of band.
with

refunds as (
    select * from {{ ref('int_payments') }}
    where kind = 'refund' and coalesce(status, 'succeeded') not in ('failed', 'canceled')
),

credit_notes as (
    select
        *,
        coalesce(pre_payment_amount_minor, case when credit_note_type = 'pre_payment' then amount_minor end, 0)
            as pre_payment_minor,
        coalesce(out_of_band_amount_minor, 0) as out_of_band_minor,
        case
            when customer_balance_transaction_id is not null
                then
                    coalesce(post_payment_amount_minor, amount_minor)
                    - coalesce(refunded_amount_minor, 0)
                    - coalesce(out_of_band_amount_minor, 0)
            else 0
        end as customer_balance_minor
    from {{ ref('stg_gateway__credit_notes') }}
    where coalesce(status, 'issued') = 'issued'
),

invoices as (
    select * from {{ ref('int_invoices') }}
),

lines as (
    select * from {{ ref('int_revenue_lines') }}
    where voided_month is null
),

reversals as (
    select
        'refund' as event_type,
        payment_id as source_id,
        invoice_id,
        customer_id,
        currency,
        occurred_at,
        cast(amount_minor as hugeint) as amount_minor,
        cast(amount_minor as hugeint) as gateway_minor,
        cast(0 as hugeint) as receivable_minor,
        cast(0 as hugeint) as customer_balance_minor,
        cast(0 as hugeint) as bank_minor
    from refunds
    union all
    select
        'credit_note' as event_type,
        credit_note_id as source_id,
        invoice_id,
        customer_id,
        currency,
        created_at as occurred_at,
        cast(pre_payment_minor + customer_balance_minor + out_of_band_minor as hugeint) as amount_minor,
        cast(0 as hugeint) as gateway_minor,
        cast(pre_payment_minor as hugeint) as receivable_minor,
        cast(customer_balance_minor as hugeint) as customer_balance_minor,
        cast(out_of_band_minor as hugeint) as bank_minor
    from credit_notes
),

recognized_before as (
    select
        reversals.source_id,
        sum(lines.net_minor) as revenue_minor,
        sum(
            case
                when lines.invoiced_month < date_trunc('month', reversals.occurred_at)
                    then {{ recognized_by_minor(
                        'lines.net_minor', 'lines.service_start', 'lines.service_end',
                        'lines.recognized_from', "date_trunc('month', reversals.occurred_at)"
                    ) }}
                else 0
            end
        ) as recognized_minor
    from reversals
    inner join lines
        on reversals.invoice_id = lines.invoice_id
    group by reversals.source_id
),

shares as (
    select
        reversals.*,
        cast(date_trunc('month', reversals.occurred_at) as date) as reversal_month,
        invoices.fx_rate_date as invoice_rate_date,
        cast(coalesce(invoices.total_minor, 0) as hugeint) as invoice_total_minor,
        cast(coalesce(invoices.tax_minor, 0) as hugeint) as invoice_tax_minor,
        cast(coalesce(recognized_before.revenue_minor, 0) as hugeint) as invoice_revenue_minor,
        cast(coalesce(recognized_before.recognized_minor, 0) as hugeint) as recognized_before_minor
    from reversals
    left join invoices
        on reversals.invoice_id = invoices.invoice_id
    left join recognized_before
        on reversals.source_id = recognized_before.source_id
    where reversals.amount_minor != 0
),

tax_split as (
    select
        *,
        case
            when invoice_total_minor > 0 and invoice_tax_minor > 0
                then {{ round_ratio('amount_minor * invoice_tax_minor', 'invoice_total_minor') }}
            else cast(0 as hugeint)
        end as tax_minor
    from shares
),

revenue_split as (
    select
        *,
        case
            when invoice_revenue_minor <= 0 then amount_minor - tax_minor
            else {{ round_ratio(
                '(amount_minor - tax_minor) * least(greatest(recognized_before_minor, 0), invoice_revenue_minor)',
                'invoice_revenue_minor'
            ) }}
        end as contra_minor
    from tax_split
),

final as (
    select
        event_type,
        source_id,
        invoice_id,
        customer_id,
        currency,
        occurred_at,
        reversal_month,
        invoice_rate_date,
        amount_minor,
        gateway_minor,
        receivable_minor,
        customer_balance_minor,
        bank_minor,
        invoice_total_minor,
        invoice_tax_minor,
        invoice_revenue_minor,
        recognized_before_minor,
        tax_minor,
        contra_minor,
        amount_minor - tax_minor - contra_minor as deferred_minor
    from revenue_split
)

select * from final
