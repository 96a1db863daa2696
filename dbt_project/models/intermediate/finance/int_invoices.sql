-- One row per invoice (latest version); *_rc at the rate of the day it was finalised
-- (its creation day while it is a draft). Published as fct_invoices.
--
-- Incremental for the live path only (macros/live.sql): an incremental run recomputes the
-- invoices with a version in the live batches (var live_batches) and replaces them by
-- invoice_id; every other run recomputes it whole.
{{ config(
    materialized='incremental',
    unique_key='invoice_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}
{#- at parse time the call records the versions table it reads -#}
{%- set live = is_live_run() -%}
{%- set changed = live_gateway_ids('invoice') if (live or not execute) else none -%}

with

invoices as (
    select * exclude (lines_json, payments_json, taxes_json) from {{ ref('stg_gateway__invoices') }}
    {% if live %}where {{ id_filter('invoice_id', changed) }}{% endif %}
),

rates as (
    select
        currency,
        rate_date,
        rate_to_rc
    from {{ ref('int_fx_rates_rc') }}
),

dated as (
    select
        *,
        cast(coalesce(finalized_at, created_at) as date) as rate_date
    from invoices
),

final as (
    select
        dated.invoice_id,
        dated.customer_id,
        dated.subscription_id,
        dated.invoice_number as number,
        dated.status,
        dated.billing_reason,
        dated.currency,
        dated.subtotal,
        dated.discount,
        dated.tax,
        dated.total,
        dated.amount_paid,
        dated.amount_due,
        dated.amount_remaining,
        dated.subtotal_minor,
        dated.discount_minor,
        dated.tax_minor,
        dated.total_minor,
        dated.amount_paid_minor,
        dated.amount_due_minor,
        {{ reporting_currency_literal() }} as reporting_currency,
        rates.rate_to_rc as fx_rate,
        dated.rate_date as fx_rate_date,
        {{ to_rc('dated.subtotal', 'rates.rate_to_rc') }} as subtotal_rc,
        {{ to_rc('dated.discount', 'rates.rate_to_rc') }} as discount_rc,
        {{ to_rc('dated.tax', 'rates.rate_to_rc') }} as tax_rc,
        {{ to_rc('dated.total', 'rates.rate_to_rc') }} as total_rc,
        {{ to_rc('dated.amount_paid', 'rates.rate_to_rc') }} as amount_paid_rc,
        {{ to_rc('dated.amount_due', 'rates.rate_to_rc') }} as amount_due_rc,
        dated.period_start_at as period_start,
        dated.period_end_at as period_end,
        dated.created_at,
        dated.finalized_at,
        dated.paid_at,
        dated.voided_at,
        dated.marked_uncollectible_at,
        dated.due_date,
        {{ live_invocation_column() }}
    from dated
    left join rates
        on dated.currency = rates.currency
            and dated.rate_date = rates.rate_date
)

select * from final
