-- Charges, refunds and disputes, one row each (`kind`). Amounts are the object's own positive
-- amounts; `signed_amount` is the cash direction (charge +, refund −, dispute −). Fee and net
-- come from the balance transaction; amount_rc at the rate of the day it occurred.
with

charges as (
    select * from {{ ref('stg_gateway__charges') }}
),

refunds as (
    select * from {{ ref('stg_gateway__refunds') }}
),

disputes as (
    select * from {{ ref('stg_gateway__disputes') }}
),

balance_transactions as (
    select
        balance_transaction_id,
        fee,
        net
    from {{ ref('stg_gateway__balance_transactions') }}
),

invoice_payments as (
    -- dahlia: invoice.payments.data[].payment.charge (expanded or id)
    select
        invoices.invoice_id,
        {{ json_ref_id('payment.payment_json', '$.payment.charge') }} as charge_id
    from {{ ref('stg_gateway__invoices') }} as invoices,
        unnest(json_extract(invoices.payments_json, '$[*]')) as payment (payment_json)
    union all
    -- older: charge on the invoice
    select
        invoice_id,
        charge_id
    from {{ ref('stg_gateway__invoices') }}
    where charge_id is not null
),

charge_invoice as (
    select
        charges.charge_id,
        coalesce(charges.invoice_id, min(invoice_payments.invoice_id)) as invoice_id
    from charges
    left join invoice_payments
        on charges.charge_id = invoice_payments.charge_id
    group by charges.charge_id, charges.invoice_id
),

rates as (
    select
        currency,
        rate_date,
        rate_to_rc
    from {{ ref('int_fx_rates_rc') }}
),

payments as (
    select
        charges.charge_id as payment_id,
        'charge' as kind,
        charges.charge_id,
        charges.customer_id,
        charge_invoice.invoice_id,
        charges.currency,
        charges.amount,
        charges.amount_minor,
        charges.amount as signed_amount,
        charges.status,
        charges.created_at as occurred_at,
        charges.failure_code,
        charges.balance_transaction_id
    from charges
    left join charge_invoice
        on charges.charge_id = charge_invoice.charge_id
    union all
    select
        refunds.refund_id as payment_id,
        'refund' as kind,
        refunds.charge_id,
        charges.customer_id,
        charge_invoice.invoice_id,
        refunds.currency,
        refunds.amount,
        refunds.amount_minor,
        -refunds.amount as signed_amount,
        refunds.status,
        refunds.created_at as occurred_at,
        null as failure_code,
        refunds.balance_transaction_id
    from refunds
    left join charges
        on refunds.charge_id = charges.charge_id
    left join charge_invoice
        on refunds.charge_id = charge_invoice.charge_id
    union all
    select
        disputes.dispute_id as payment_id,
        'dispute' as kind,
        disputes.charge_id,
        charges.customer_id,
        charge_invoice.invoice_id,
        disputes.currency,
        disputes.amount,
        disputes.amount_minor,
        -disputes.amount as signed_amount,
        disputes.status,
        disputes.created_at as occurred_at,
        null as failure_code,
        disputes.balance_transaction_id
    from disputes
    left join charges
        on disputes.charge_id = charges.charge_id
    left join charge_invoice
        on disputes.charge_id = charge_invoice.charge_id
),

final as (
    select
        payments.payment_id,
        payments.kind,
        payments.charge_id,
        payments.customer_id,
        payments.invoice_id,
        payments.currency,
        payments.amount,
        payments.amount_minor,
        payments.signed_amount,
        balance_transactions.fee,
        balance_transactions.net,
        payments.status,
        payments.occurred_at,
        cast(payments.occurred_at as date) as occurred_date,
        payments.failure_code,
        payments.balance_transaction_id,
        {{ to_rc('payments.amount', 'rates.rate_to_rc') }} as amount_rc,
        {{ to_rc('payments.signed_amount', 'rates.rate_to_rc') }} as signed_amount_rc
    from payments
    left join balance_transactions
        on payments.balance_transaction_id = balance_transactions.balance_transaction_id
    left join rates
        on payments.currency = rates.currency
            and cast(payments.occurred_at as date) = rates.rate_date
)

select * from final
