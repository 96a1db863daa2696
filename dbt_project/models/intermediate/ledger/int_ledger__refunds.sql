-- Ledger postings of money given back: refunds and credit notes. Each reversal is split over the
-- invoice it reverses, in minor units, rounded half up (DESIGN §5: a refund is contra revenue
-- for the part already recognised):
--   tax part       = amount × invoice tax ÷ invoice total
--   revenue part   = amount − tax part
--   recognised     = revenue part × revenue recognised in the months before the reversal's month
--                                  ÷ invoice revenue (subtotal − discounts)
--   deferred       = revenue part − recognised
-- Without an invoice (or with no revenue on it) the whole amount is contra revenue.
--   refund        Dr refunds              recognised part        (contra revenue, its day's rate)
--                 Dr deferred_revenue     deferred part          (invoice rate)
--                 Dr tax_payable          tax part               (invoice rate)
--                 Cr gateway_balance      amount refunded
--   credit_note   the same debits on the part of an issued credit note that no refund settles
--                 (the refund posts that part), credited to
--                 Cr accounts_receivable  pre-payment amount     (reduces the open invoice)
--                 Cr customer_balance     post-payment amount credited to the customer balance
--                 Cr bank                 out-of-band amount
with

refunds as (
    select * from {{ ref('fct_payments') }}
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
    select * from {{ ref('fct_invoices') }}
),

recognition as (
    select
        invoice_id,
        month,
        recognized_minor
    from {{ ref('fct_revenue_recognition') }}
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
        sum(recognition.recognized_minor) as recognized_minor
    from reversals
    inner join recognition
        on reversals.invoice_id = recognition.invoice_id
            and recognition.month < date_trunc('month', reversals.occurred_at)
    group by reversals.source_id
),

shares as (
    select
        reversals.*,
        invoices.fx_rate_date as invoice_rate_date,
        cast(coalesce(invoices.total_minor, 0) as hugeint) as invoice_total_minor,
        cast(coalesce(invoices.tax_minor, 0) as hugeint) as invoice_tax_minor,
        cast(coalesce(invoices.subtotal_minor, 0) - coalesce(invoices.discount_minor, 0) as hugeint)
            as invoice_revenue_minor,
        cast(coalesce(recognized_before.recognized_minor, 0) as hugeint) as recognized_minor
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
                then (2 * amount_minor * invoice_tax_minor + invoice_total_minor) // (2 * invoice_total_minor)
            else 0
        end as tax_part_minor
    from shares
),

revenue_split as (
    select
        *,
        case
            when invoice_revenue_minor <= 0 then amount_minor - tax_part_minor
            else (
                2 * (amount_minor - tax_part_minor) * least(greatest(recognized_minor, 0), invoice_revenue_minor)
                + invoice_revenue_minor
            ) // (2 * invoice_revenue_minor)
        end as contra_minor
    from tax_split
),

amounts as (
    select
        event_type,
        source_id,
        customer_id,
        currency,
        occurred_at,
        cast(occurred_at as date) as event_date,
        coalesce(invoice_rate_date, cast(occurred_at as date)) as invoice_rate_date,
        {{ to_major('contra_minor', 'currency') }} as contra_revenue,
        {{ to_major('amount_minor - tax_part_minor - contra_minor', 'currency') }} as deferred_part,
        {{ to_major('tax_part_minor', 'currency') }} as tax,
        {{ to_major('gateway_minor', 'currency') }} as gateway,
        {{ to_major('receivable_minor', 'currency') }} as receivable,
        {{ to_major('customer_balance_minor', 'currency') }} as customer_balance,
        {{ to_major('bank_minor', 'currency') }} as bank
    from revenue_split
),

refund as (
    select
        'refund:' || source_id as entry_id,
        occurred_at,
        customer_id,
        currency,
        event_type,
        source_id,
        [
            {{ debit(1, 'refunds', 'contra_revenue', 'event_date') }},
            {{ debit(2, 'deferred_revenue', 'deferred_part', 'invoice_rate_date') }},
            {{ debit(3, 'tax_payable', 'tax', 'invoice_rate_date') }},
            {{ credit(4, 'gateway_balance', 'gateway', 'event_date') }}
        ] as posting_lines
    from amounts
    where event_type = 'refund'
),

credit_note as (
    select
        'credit_note:' || source_id as entry_id,
        occurred_at,
        customer_id,
        currency,
        event_type,
        source_id,
        [
            {{ debit(1, 'refunds', 'contra_revenue', 'event_date') }},
            {{ debit(2, 'deferred_revenue', 'deferred_part', 'invoice_rate_date') }},
            {{ debit(3, 'tax_payable', 'tax', 'invoice_rate_date') }},
            {{ credit(4, 'accounts_receivable', 'receivable', 'invoice_rate_date') }},
            {{ credit(5, 'customer_balance', 'customer_balance', 'event_date') }},
            {{ credit(6, 'bank', 'bank', 'event_date') }}
        ] as posting_lines
    from amounts
    where event_type = 'credit_note'
)

{{ ledger_lines(['refund', 'credit_note']) }}
