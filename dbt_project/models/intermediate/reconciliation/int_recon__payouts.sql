-- payouts_vs_balance_transactions: each payout against the balance transactions it settles
-- (Stripe payout reconciliation). Stripe's automatic payouts sweep, per currency, every balance
-- transaction that has become available since the previous payout: a payout created on day d
-- settles the non-payout balance transactions of its currency with
--     previous payout's creation day < available_on ≤ d
-- (the first payout of a currency: everything available on or before d). Failed and canceled
-- payouts settle nothing and are left out (their transactions roll into the next payout).
-- left = payout amount, right = Σ net of those balance transactions, in the payout currency,
-- exact: any difference is a break (key = payout id, period = month the payout was created).
with

payouts as (
    select
        payout_id,
        currency,
        amount,
        status,
        arrival_date,
        created_at,
        cast(created_at as date) as created_date,
        lag(cast(created_at as date)) over (partition by currency order by created_at, payout_id) as previous_date
    from {{ ref('stg_gateway__payouts') }}
    where coalesce(status, '') not in ('failed', 'canceled')
),

balance_transactions as (
    select
        balance_transaction_id,
        currency,
        net,
        available_on_date,
        balance_transaction_type
    from {{ ref('stg_gateway__balance_transactions') }}
    where balance_transaction_type not in ('payout', 'payout_cancel', 'payout_failure', 'payout_minimum_balance_hold')
),

settled as (
    select
        payouts.payout_id,
        payouts.currency,
        payouts.amount,
        payouts.status,
        payouts.created_date,
        payouts.previous_date,
        count(balance_transactions.balance_transaction_id) as transaction_count,
        coalesce(sum(balance_transactions.net), 0) as settled_net,
        to_json(
            list(balance_transactions.balance_transaction_id order by balance_transactions.balance_transaction_id)
            filter (where balance_transactions.balance_transaction_id is not null)
        ) as transaction_ids
    from payouts
    left join balance_transactions
        on payouts.currency = balance_transactions.currency
            and payouts.created_date >= balance_transactions.available_on_date
            and (payouts.previous_date is null or payouts.previous_date < balance_transactions.available_on_date)
    group by all
),

final as (
    select
        'payouts_vs_balance_transactions' as check_name,
        cast(date_trunc('month', created_date) as date) as period,
        payout_id as key,
        currency as unit,
        cast(amount as decimal(38, 6)) as left_amount,
        cast(settled_net as decimal(38, 6)) as right_amount,
        cast(amount - settled_net as decimal(38, 6)) as difference,
        cast(0 as decimal(38, 6)) as tolerance,
        {{ recon_status('amount - settled_net', '0') }} as status,
        'stg_gateway__payouts' as left_source,
        'stg_gateway__balance_transactions' as right_source,
        cast(transaction_count as integer) as evidence_count,
        cast(to_json({
            'payout_id': payout_id, 'amount': amount, 'currency': currency, 'status': status,
            'created_date': created_date
        }) as varchar) as left_evidence,
        cast(to_json({
            'available_after': previous_date, 'available_through': created_date,
            'net': settled_net, 'balance_transaction_ids': transaction_ids
        }) as varchar) as right_evidence,
        'the payout in the Stripe dashboard (Balance › Payouts) and the balance transactions listed with ?payout='
        || payout_id as where_to_look
    from settled
)

select * from final
