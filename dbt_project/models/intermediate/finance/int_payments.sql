-- Charges, refunds and disputes, one row each (`kind`). Amounts are the object's own positive
-- amounts; `signed_amount` is the cash direction (charge +, refund −, dispute −). Fee and net
-- come from the balance transaction; amount_rc at the rate of the day it occurred.
--
-- Published as fct_payments.
--
-- Incremental for the live path only (macros/live.sql): an incremental run recomputes the
-- payments the live batches touched (var live_batches) and replaces them by payment_id; every
-- other run recomputes it whole.
{{ config(
    materialized='incremental',
    unique_key='payment_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}
{#- at parse time the call records the refs the scope reads -#}
{%- set live = is_live_run() -%}
{%- set scope = live_payment_scope(this) if (live or not execute) else none -%}

with

charges as (
    select * from {{ ref('stg_gateway__charges') }}
    {% if live %}where {{ id_filter('charge_id', scope.charges) }}{% endif %}
),

refunds as (
    select * from {{ ref('stg_gateway__refunds') }}
    {% if live %}where {{ id_filter('refund_id', scope.refunds) }}{% endif %}
),

disputes as (
    select * from {{ ref('stg_gateway__disputes') }}
    {% if live %}where {{ id_filter('dispute_id', scope.disputes) }}{% endif %}
),

balance_transactions as (
    select
        balance_transaction_id,
        fee,
        net
    from {{ ref('stg_gateway__balance_transactions') }}
    {% if live %}where {{ id_filter('balance_transaction_id', scope.balance_transactions) }}{% endif %}
),

invoice_payments as (
    {{ invoice_charge_links(
        ref('stg_gateway__invoices'),
        id_filter('invoice_id', scope.invoices) if live else 'true',
    ) }}
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
        {{ to_rc('payments.signed_amount', 'rates.rate_to_rc') }} as signed_amount_rc,
        {{ live_invocation_column() }}
    from payments
    left join balance_transactions
        on payments.balance_transaction_id = balance_transactions.balance_transaction_id
    left join rates
        on payments.currency = rates.currency
            and cast(payments.occurred_at as date) = rates.rate_date
)

select * from final
