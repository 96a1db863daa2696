-- Ledger postings of invoices (DESIGN §5), one CTE per rule; amounts in the invoice currency,
-- + debit / − credit. Receivable, deferred revenue, tax and customer balance are carried at the
-- invoice's rate (the day it was finalised), so settling them elsewhere realises FX; deferred
-- revenue in rc is the sum of the invoice's lines converted one by one (int_revenue_lines), as
-- recognition converts them, so the account's balance equals the recognition schedule's; tax
-- payable in rc is the sum of the invoice's tax entries converted one by one
-- (int_invoice_taxes), as rpt_tax reports them.
--   invoice_finalized    Dr accounts_receivable  total − customer balance applied
--                        Dr customer_balance     balance applied (ending − starting balance;
--                                                a credit note invoice below zero credits it)
--                        Cr deferred_revenue     subtotal − discounts
--                        Cr tax_payable          tax
--   invoice_voided       the finalisation reversed, on the day it was voided
--   invoice_written_off  Dr bad_debt             amount remaining (marked uncollectible)
--                        Cr accounts_receivable  amount remaining
--   invoice_paid_out_of_band  (paid outside the gateway, e.g. by bank transfer, on its paid day)
--                        Dr bank                 the receivable its charges did not settle
--                        Cr accounts_receivable  the same, at the invoice's rate
with

invoices as (
    select * from {{ ref('int_invoices') }}
    where finalized_at is not null
),

line_revenue as (
    select
        invoice_id,
        sum(net_minor) as revenue_minor,
        sum({{ to_rc(to_major('net_minor', 'currency'), 'fx_rate') }}) as revenue_rc
    from {{ ref('int_revenue_lines') }}
    group by invoice_id
),

entry_taxes as (
    select
        invoice_id,
        sum(tax_minor) as tax_minor,
        sum(tax_rc) as tax_rc
    from {{ ref('int_invoice_taxes') }}
    group by invoice_id
),

balances as (
    select
        invoice_id,
        starting_balance_minor,
        ending_balance_minor,
        is_paid_out_of_band,
        paid_at
    from {{ ref('stg_gateway__invoices') }}
),

charged as (
    select
        invoice_id,
        sum(amount_minor) as charged_minor
    from {{ ref('int_payments') }}
    where kind = 'charge' and status = 'succeeded' and invoice_id is not null
    group by invoice_id
),

amounts as (
    select
        invoices.invoice_id,
        invoices.customer_id,
        invoices.status,
        invoices.currency,
        invoices.finalized_at,
        invoices.voided_at,
        invoices.marked_uncollectible_at,
        invoices.fx_rate_date as invoice_rate_date,
        invoices.total,
        coalesce(invoices.subtotal, 0) - coalesce(invoices.discount, 0) as revenue,
        case
            when line_revenue.revenue_minor
                = coalesce(invoices.subtotal_minor, 0) - coalesce(invoices.discount_minor, 0)
                then line_revenue.revenue_rc
        end as revenue_rc,
        coalesce(invoices.tax, 0) as tax,
        case when entry_taxes.tax_minor = coalesce(invoices.tax_minor, 0) then entry_taxes.tax_rc end as tax_rc,
        coalesce(invoices.amount_remaining, 0) as amount_remaining,
        {{ to_major(
            'coalesce(balances.ending_balance_minor - balances.starting_balance_minor, 0)', 'invoices.currency'
        ) }} as balance_applied,
        coalesce(balances.is_paid_out_of_band, false) as is_paid_out_of_band,
        balances.paid_at,
        {{ to_major('coalesce(charged.charged_minor, 0)', 'invoices.currency') }} as charged
    from invoices
    left join balances
        on invoices.invoice_id = balances.invoice_id
    left join charged
        on invoices.invoice_id = charged.invoice_id
    left join line_revenue
        on invoices.invoice_id = line_revenue.invoice_id
    left join entry_taxes
        on invoices.invoice_id = entry_taxes.invoice_id
),

invoice_finalized as (
    select
        'invoice_finalized:' || invoice_id as entry_id,
        finalized_at as occurred_at,
        customer_id,
        currency,
        'invoice_finalized' as event_type,
        invoice_id as source_id,
        [
            {{ debit(1, 'accounts_receivable', 'total - balance_applied', 'invoice_rate_date') }},
            {{ debit(2, 'customer_balance', 'balance_applied', 'invoice_rate_date') }},
            {{ credit(3, 'deferred_revenue', 'revenue', 'invoice_rate_date', 'revenue_rc') }},
            {{ credit(4, 'tax_payable', 'tax', 'invoice_rate_date', 'tax_rc') }}
        ] as posting_lines
    from amounts
),

invoice_voided as (
    select
        'invoice_voided:' || invoice_id as entry_id,
        voided_at as occurred_at,
        customer_id,
        currency,
        'invoice_voided' as event_type,
        invoice_id as source_id,
        [
            {{ credit(1, 'accounts_receivable', 'total - balance_applied', 'invoice_rate_date') }},
            {{ credit(2, 'customer_balance', 'balance_applied', 'invoice_rate_date') }},
            {{ debit(3, 'deferred_revenue', 'revenue', 'invoice_rate_date', 'revenue_rc') }},
            {{ debit(4, 'tax_payable', 'tax', 'invoice_rate_date', 'tax_rc') }}
        ] as posting_lines
    from amounts
    where status = 'void' and voided_at is not null
),

invoice_written_off as (
    select
        'invoice_written_off:' || invoice_id as entry_id,
        marked_uncollectible_at as occurred_at,
        customer_id,
        currency,
        'invoice_written_off' as event_type,
        invoice_id as source_id,
        [
            {{ debit(1, 'bad_debt', 'amount_remaining', 'cast(marked_uncollectible_at as date)') }},
            {{ credit(2, 'accounts_receivable', 'amount_remaining', 'invoice_rate_date') }}
        ] as posting_lines
    from amounts
    where status = 'uncollectible' and marked_uncollectible_at is not null
),

invoice_paid_out_of_band as (
    select
        'invoice_paid_out_of_band:' || invoice_id as entry_id,
        coalesce(paid_at, finalized_at) as occurred_at,
        customer_id,
        currency,
        'invoice_paid_out_of_band' as event_type,
        invoice_id as source_id,
        [
            {{ debit(1, 'bank', 'total - balance_applied - charged', 'cast(occurred_at as date)') }},
            {{ credit(2, 'accounts_receivable', 'total - balance_applied - charged', 'invoice_rate_date') }}
        ] as posting_lines
    from amounts
    where status = 'paid' and is_paid_out_of_band
)

{{ ledger_lines(['invoice_finalized', 'invoice_voided', 'invoice_written_off', 'invoice_paid_out_of_band']) }}
