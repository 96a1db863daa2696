-- Ledger postings of money given back: refunds and credit notes, split by
-- int_revenue_reversals (tax part, contra revenue for the part already recognised, the rest out
-- of deferred revenue; DESIGN §5). The deferred part is posted in the reporting currency as
-- int_revenue_reversal_lines computes it per line, so deferred_revenue moves exactly as
-- fct_revenue_recognition's deferred balance does, and the tax part as int_revenue_reversal_taxes
-- spreads it over the invoice's tax entries, as rpt_tax reports it.
--   refund        Dr refunds              contra part            (contra revenue, its day's rate)
--                 Dr deferred_revenue     deferred part          (invoice rate, per line)
--                 Dr tax_payable          tax part               (invoice rate)
--                 Cr gateway_balance      amount refunded
--   credit_note   the same debits on the part of an issued credit note that no refund settles
--                 (the refund posts that part), credited to
--                 Cr accounts_receivable  pre-payment amount     (reduces the open invoice)
--                 Cr customer_balance     post-payment amount credited to the customer balance
--                 Cr bank                 out-of-band amount
with

reversals as (
    select * from {{ ref('int_revenue_reversals') }}
),

deferred_rc as (
    select
        source_id,
        sum(deferred_rc) as deferred_rc
    from {{ ref('int_revenue_reversal_lines') }}
    group by source_id
),

tax_rc as (
    select
        source_id,
        sum(tax_minor) as tax_minor,
        sum(tax_rc) as tax_rc
    from {{ ref('int_revenue_reversal_taxes') }}
    group by source_id
),

reversals_rc as (
    select
        reversals.*,
        deferred_rc.deferred_rc,
        case when tax_rc.tax_minor = reversals.tax_minor then tax_rc.tax_rc end as tax_rc
    from reversals
    left join deferred_rc
        on reversals.source_id = deferred_rc.source_id
    left join tax_rc
        on reversals.source_id = tax_rc.source_id
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
        {{ to_major('deferred_minor', 'currency') }} as deferred_part,
        coalesce(deferred_rc, 0) as deferred_part_rc,
        {{ to_major('tax_minor', 'currency') }} as tax,
        tax_rc,
        {{ to_major('gateway_minor', 'currency') }} as gateway,
        {{ to_major('receivable_minor', 'currency') }} as receivable,
        {{ to_major('customer_balance_minor', 'currency') }} as customer_balance,
        {{ to_major('bank_minor', 'currency') }} as bank
    from reversals_rc
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
            {{ debit(2, 'deferred_revenue', 'deferred_part', 'null', 'deferred_part_rc') }},
            {{ debit(3, 'tax_payable', 'tax', 'invoice_rate_date', 'tax_rc') }},
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
            {{ debit(2, 'deferred_revenue', 'deferred_part', 'null', 'deferred_part_rc') }},
            {{ debit(3, 'tax_payable', 'tax', 'invoice_rate_date', 'tax_rc') }},
            {{ credit(4, 'accounts_receivable', 'receivable', 'invoice_rate_date') }},
            {{ credit(5, 'customer_balance', 'customer_balance', 'event_date') }},
            {{ credit(6, 'bank', 'bank', 'event_date') }}
        ] as posting_lines
    from amounts
    where event_type = 'credit_note'
)

{{ ledger_lines(['refund', 'credit_note']) }}
