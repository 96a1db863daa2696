-- Ledger postings of money moving through the gateway balance, one CTE per rule; each entry in
-- the currency of its Stripe object (each currency settles in its own gateway balance), at the
-- rate of its day, except the receivable, which is carried at its invoice's rate (the
-- difference is realised FX, posted to fx_gain_loss by int_revenue_ledger).
--   payment_captured  Dr gateway_balance       amount captured       (succeeded charge)
--                     Cr accounts_receivable   amount captured
--   processing_fee    Dr processing_fees       fee                   (balance transaction with a fee,
--                     Cr gateway_balance       fee                    disputes' own fees excepted)
--   application_fee   Dr gateway_balance       fee amount            (marketplace platform fee)
--                     Cr platform_fee_revenue  fee amount
--   application_fee_refunded                                        (the fee's amount_refunded, dated
--                     Dr platform_fee_revenue  amount refunded        its latest fee refund)
--                     Cr gateway_balance       amount refunded
--   transfer          Dr partner_payouts       amount                (to the connected account)
--                     Cr gateway_balance       amount
--   payout            Dr bank                  amount                (dated its arrival; failed and
--                     Cr gateway_balance       amount                 canceled payouts never post)
with

charges as (
    select * from {{ ref('stg_gateway__charges') }}
    where status = 'succeeded'
),

charge_invoices as (
    select
        payments.payment_id as charge_id,
        payments.invoice_id,
        invoices.fx_rate_date as invoice_rate_date
    from {{ ref('int_payments') }} as payments
    left join {{ ref('int_invoices') }} as invoices
        on payments.invoice_id = invoices.invoice_id
    where payments.kind = 'charge'
),

refunds as (
    select
        refund_id,
        charge_id
    from {{ ref('stg_gateway__refunds') }}
),

disputes as (
    select dispute_id from {{ ref('stg_gateway__disputes') }}
),

all_charges as (
    select
        charge_id,
        customer_id
    from {{ ref('stg_gateway__charges') }}
),

balance_transactions as (
    select
        *,
        cast(created_at as date) as event_date
    from {{ ref('stg_gateway__balance_transactions') }}
),

application_fees as (
    select
        *,
        cast(created_at as date) as event_date,
        cast(refunded_at as date) as refunded_date
    from {{ ref('stg_gateway__application_fees') }}
),

transfers as (
    select * from {{ ref('stg_gateway__transfers') }}
),

payouts as (
    select * from {{ ref('stg_gateway__payouts') }}
    where coalesce(status, '') not in ('failed', 'canceled')
),

payment_captured as (
    select
        'payment_captured:' || charges.charge_id as entry_id,
        charges.created_at as occurred_at,
        charges.customer_id,
        charges.currency,
        'payment_captured' as event_type,
        charges.charge_id as source_id,
        [
            {{ debit(1, 'gateway_balance', 'captured', 'cast(charges.created_at as date)') }},
            {{ credit(2, 'accounts_receivable', 'captured',
                'coalesce(charge_invoices.invoice_rate_date, cast(charges.created_at as date))') }}
        ] as posting_lines
    from (
        select
            *,
            {{ to_major('coalesce(amount_captured_minor, amount_minor)', 'currency') }} as captured
        from charges
    ) as charges
    left join charge_invoices
        on charges.charge_id = charge_invoices.charge_id
),

processing_fee as (
    select
        'processing_fee:' || balance_transactions.balance_transaction_id as entry_id,
        balance_transactions.created_at as occurred_at,
        coalesce(direct.customer_id, refunded.customer_id) as customer_id,
        balance_transactions.currency,
        'processing_fee' as event_type,
        balance_transactions.balance_transaction_id as source_id,
        [
            {{ debit(1, 'processing_fees', 'balance_transactions.fee', 'balance_transactions.event_date') }},
            {{ credit(2, 'gateway_balance', 'balance_transactions.fee', 'balance_transactions.event_date') }}
        ] as posting_lines
    from balance_transactions
    left join all_charges as direct
        on balance_transactions.source_id = direct.charge_id
    left join refunds
        on balance_transactions.source_id = refunds.refund_id
    left join all_charges as refunded
        on refunds.charge_id = refunded.charge_id
    left join disputes
        on balance_transactions.source_id = disputes.dispute_id
    where balance_transactions.fee != 0
        and disputes.dispute_id is null  -- a dispute's fee is posted with the dispute
),

application_fee as (
    select
        'application_fee:' || application_fees.application_fee_id as entry_id,
        application_fees.created_at as occurred_at,
        all_charges.customer_id,
        application_fees.currency,
        'application_fee' as event_type,
        application_fees.application_fee_id as source_id,
        [
            {{ debit(1, 'gateway_balance', 'application_fees.amount', 'application_fees.event_date') }},
            {{ credit(2, 'platform_fee_revenue', 'application_fees.amount', 'application_fees.event_date') }}
        ] as posting_lines
    from application_fees
    left join all_charges
        on application_fees.charge_id = all_charges.charge_id
),

application_fee_refunded as (
    select
        'application_fee_refunded:' || application_fees.application_fee_id as entry_id,
        application_fees.refunded_at as occurred_at,
        all_charges.customer_id,
        application_fees.currency,
        'application_fee_refunded' as event_type,
        application_fees.application_fee_id as source_id,
        [
            {{ debit(1, 'platform_fee_revenue', 'application_fees.amount_refunded',
                'application_fees.refunded_date') }},
            {{ credit(2, 'gateway_balance', 'application_fees.amount_refunded',
                'application_fees.refunded_date') }}
        ] as posting_lines
    from application_fees
    left join all_charges
        on application_fees.charge_id = all_charges.charge_id
    where application_fees.amount_refunded > 0
),

transfer as (
    select
        'transfer:' || transfers.transfer_id as entry_id,
        transfers.created_at as occurred_at,
        all_charges.customer_id,
        transfers.currency,
        'transfer' as event_type,
        transfers.transfer_id as source_id,
        [
            {{ debit(1, 'partner_payouts', 'transfers.amount', 'cast(transfers.created_at as date)') }},
            {{ credit(2, 'gateway_balance', 'transfers.amount', 'cast(transfers.created_at as date)') }}
        ] as posting_lines
    from transfers
    left join all_charges
        on transfers.source_charge_id = all_charges.charge_id
),

payout as (
    select
        'payout:' || payout_id as entry_id,
        coalesce(cast(arrival_date as timestamp), created_at) as occurred_at,
        cast(null as varchar) as customer_id,
        currency,
        'payout' as event_type,
        payout_id as source_id,
        [
            {{ debit(1, 'bank', 'amount', 'coalesce(arrival_date, cast(created_at as date))') }},
            {{ credit(2, 'gateway_balance', 'amount', 'coalesce(arrival_date, cast(created_at as date))') }}
        ] as posting_lines
    from payouts
)

{{ ledger_lines([
    'payment_captured', 'processing_fee', 'application_fee', 'application_fee_refunded', 'transfer', 'payout'
]) }}
