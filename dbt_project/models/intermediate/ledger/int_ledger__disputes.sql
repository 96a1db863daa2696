-- Ledger postings of disputes (chargebacks). The disputed amount leaves the gateway balance when
-- the dispute opens and the customer owes it again until the dispute closes; the dispute fee is a
-- loss at once. Receivable lines at the rate of the charge's invoice, the rest at the event day's.
--   dispute_opened  Dr accounts_receivable  amount
--                   Dr dispute_losses       dispute fee (withdrawal balance transaction)
--                   Cr gateway_balance      amount + fee
--   dispute_won     Dr gateway_balance      amount reinstated − its fee (reinstatement transactions)
--                   Dr dispute_losses       its fee + any part of the amount not reinstated
--                   Cr accounts_receivable  amount
--   dispute_lost    Dr dispute_losses       amount
--                   Cr accounts_receivable  amount
-- Won and lost are dated when the dispute closed (the charge.dispute.closed event, else the
-- reinstatement, else the version that carries the status).
with

disputes as (
    select * from {{ ref('stg_gateway__disputes') }}
),

dispute_payments as (
    select
        payments.payment_id as dispute_id,
        payments.customer_id,
        invoices.fx_rate_date as invoice_rate_date
    from {{ ref('int_payments') }} as payments
    left join {{ ref('int_invoices') }} as invoices
        on payments.invoice_id = invoices.invoice_id
    where payments.kind = 'dispute'
),

balance_transactions as (
    select * from {{ ref('stg_gateway__balance_transactions') }}
),

reinstatements as (
    select
        source_id as dispute_id,
        sum(amount) as amount,
        sum(fee) as fee,
        min(created_at) as created_at
    from balance_transactions
    where amount > 0
    group by source_id
),

closed_events as (
    select
        object_id as dispute_id,
        min(created_at) as closed_at
    from {{ ref('stg_gateway__events') }}
    where event_type = 'charge.dispute.closed'
    group by object_id
),

amounts as (
    select
        disputes.dispute_id,
        disputes.status,
        disputes.currency,
        disputes.created_at,
        dispute_payments.customer_id,
        disputes.amount,
        coalesce(dispute_payments.invoice_rate_date, cast(disputes.created_at as date)) as invoice_rate_date,
        coalesce(withdrawal.fee, 0) as dispute_fee,
        coalesce(reinstatements.amount, disputes.amount) as reinstated,
        coalesce(reinstatements.fee, 0) as reinstated_fee,
        coalesce(closed_events.closed_at, reinstatements.created_at, disputes.version_at) as closed_at
    from disputes
    left join dispute_payments
        on disputes.dispute_id = dispute_payments.dispute_id
    left join balance_transactions as withdrawal
        on disputes.balance_transaction_id = withdrawal.balance_transaction_id
    left join reinstatements
        on disputes.dispute_id = reinstatements.dispute_id
    left join closed_events
        on disputes.dispute_id = closed_events.dispute_id
),

dispute_opened as (
    select
        'dispute_opened:' || dispute_id as entry_id,
        created_at as occurred_at,
        customer_id,
        currency,
        'dispute_opened' as event_type,
        dispute_id as source_id,
        [
            {{ debit(1, 'accounts_receivable', 'amount', 'invoice_rate_date') }},
            {{ debit(2, 'dispute_losses', 'dispute_fee', 'cast(created_at as date)') }},
            {{ credit(3, 'gateway_balance', 'amount + dispute_fee', 'cast(created_at as date)') }}
        ] as posting_lines
    from amounts
),

dispute_won as (
    select
        'dispute_won:' || dispute_id as entry_id,
        closed_at as occurred_at,
        customer_id,
        currency,
        'dispute_won' as event_type,
        dispute_id as source_id,
        [
            {{ debit(1, 'gateway_balance', 'reinstated - reinstated_fee', 'cast(closed_at as date)') }},
            {{ debit(2, 'dispute_losses', 'reinstated_fee + amount - reinstated', 'cast(closed_at as date)') }},
            {{ credit(3, 'accounts_receivable', 'amount', 'invoice_rate_date') }}
        ] as posting_lines
    from amounts
    where status = 'won'
),

dispute_lost as (
    select
        'dispute_lost:' || dispute_id as entry_id,
        closed_at as occurred_at,
        customer_id,
        currency,
        'dispute_lost' as event_type,
        dispute_id as source_id,
        [
            {{ debit(1, 'dispute_losses', 'amount', 'cast(closed_at as date)') }},
            {{ credit(2, 'accounts_receivable', 'amount', 'invoice_rate_date') }}
        ] as posting_lines
    from amounts
    where status = 'lost'
)

{{ ledger_lines(['dispute_opened', 'dispute_won', 'dispute_lost']) }}
