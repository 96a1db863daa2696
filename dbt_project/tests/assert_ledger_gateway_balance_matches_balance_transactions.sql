-- The ledger's gateway balance, per currency, equals what the gateway's balance transactions
-- say: the net of every balance transaction other than payouts, less the payouts (failed and
-- canceled payouts excepted). The ledger posts from the objects (charges, refunds, disputes,
-- fees, transfers, payouts) and the fees from the balance transactions, so a charge, refund or
-- dispute missed, double posted or posted at another amount shows here.
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_revenue_ledger'}}}) }}

with

ledger as (
    select
        currency,
        sum(debit) - sum(credit) as gateway_balance
    from {{ ref('fct_revenue_ledger') }}
    where account = 'gateway_balance'
    group by currency
),

transactions as (
    select
        currency,
        sum(net) as net
    from {{ ref('stg_gateway__balance_transactions') }}
    where balance_transaction_type != 'payout'
    group by currency
),

payouts as (
    select
        currency,
        sum(amount) as paid_out
    from {{ ref('stg_gateway__payouts') }}
    where coalesce(status, '') not in ('failed', 'canceled')
    group by currency
),

expected as (
    select
        coalesce(transactions.currency, payouts.currency) as currency,
        coalesce(transactions.net, 0) - coalesce(payouts.paid_out, 0) as gateway_balance
    from transactions
    full outer join payouts
        on transactions.currency = payouts.currency
)

select
    coalesce(ledger.currency, expected.currency) as currency,
    coalesce(ledger.gateway_balance, 0) as ledger_gateway_balance,
    coalesce(expected.gateway_balance, 0) as expected_gateway_balance
from ledger
full outer join expected
    on ledger.currency = expected.currency
where coalesce(ledger.gateway_balance, 0) != coalesce(expected.gateway_balance, 0)
