-- gateway_vs_gl_currency: every finalised gateway invoice with a non-zero total against the
-- accounting (Xero) invoice the bookkeeping sync made of it: the ACCREC invoice whose
-- `reference` is the Stripe invoice id (else whose number is the Stripe invoice number).
-- key = gateway invoice id, period = month it was finalised, unit = its currency.
--   left = gateway total, right = the accounting invoice's total when it is in the same
--   currency, else 0. Break when the GL never booked the invoice, booked it in another
--   currency, or for another contact than the customer's (int_customers_resolved), or for a
--   different total; 'ok' otherwise. An invoice finalised within var
--   recon_gl_sync_grace_days of the data's last day and not yet in the GL is 'warn' (the sync
--   may not have run).
with

bounds as (
    select last_date from {{ ref('int_data_bounds') }}
),

invoices as (
    select
        invoice_id,
        customer_id,
        number,
        status,
        currency,
        total,
        finalized_at
    from {{ ref('int_invoices') }}
    where finalized_at is not null and total_minor != 0
),

gl_invoices as (
    select
        invoice_id as gl_invoice_id,
        contact_id,
        invoice_number,
        reference,
        status,
        currency,
        total
    from {{ ref('stg_accounting__invoices') }}
    where coalesce(upper(invoice_type), 'ACCREC') = 'ACCREC'
),

resolved as (
    select
        customer_id,
        accounting_contact_id
    from {{ ref('int_customers_resolved') }}
),

invoices_matched as (
    select
        invoices.*,
        resolved.accounting_contact_id,
        coalesce(by_reference.gl_invoice_id, by_number.gl_invoice_id) as gl_invoice_id,
        coalesce(by_reference.contact_id, by_number.contact_id) as gl_contact_id,
        coalesce(by_reference.currency, by_number.currency) as gl_currency,
        coalesce(by_reference.total, by_number.total) as gl_total,
        coalesce(by_reference.status, by_number.status) as gl_status
    from invoices
    left join gl_invoices as by_reference
        on invoices.invoice_id = by_reference.reference
    left join gl_invoices as by_number
        on invoices.number = by_number.invoice_number
            and by_reference.gl_invoice_id is null
    left join resolved
        on invoices.customer_id = resolved.customer_id
    qualify row_number() over (partition by invoices.invoice_id order by by_number.gl_invoice_id) = 1
),

compared as (
    select
        *,
        case
            when gl_invoice_id is null then 'not in the GL'
            when upper(gl_currency) != currency then 'booked in ' || upper(gl_currency)
            when accounting_contact_id is not null and coalesce(gl_contact_id, '') != accounting_contact_id
                then 'booked for another contact'
            when gl_total != total then 'different total'
        end as problem,
        case when upper(gl_currency) = currency then gl_total else 0 end as right_total
    from invoices_matched
),

final as (
    select
        'gateway_vs_gl_currency' as check_name,
        cast(date_trunc('month', finalized_at) as date) as period,
        invoice_id as key,
        currency as unit,
        cast(total as decimal(38, 6)) as left_amount,
        cast(right_total as decimal(38, 6)) as right_amount,
        cast(total - right_total as decimal(38, 6)) as difference,
        cast(0 as decimal(38, 6)) as tolerance,
        case
            when problem is null then 'ok'
            when gl_invoice_id is null
                and cast(finalized_at as date)
                > (select bounds.last_date from bounds) - {{ var('recon_gl_sync_grace_days') }}
                then 'warn'
            else 'break'
        end as status,
        'fct_invoices' as left_source,
        'stg_accounting__invoices' as right_source,
        cast(case when gl_invoice_id is null then 0 else 1 end as integer) as evidence_count,
        cast(to_json({
            'invoice_id': invoice_id, 'number': number, 'customer_id': customer_id, 'status': status,
            'currency': currency, 'total': total, 'accounting_contact_id': accounting_contact_id,
            'problem': problem
        }) as varchar) as left_evidence,
        cast(to_json({
            'gl_invoice_id': gl_invoice_id, 'contact_id': gl_contact_id, 'currency': gl_currency,
            'total': gl_total, 'status': gl_status
        }) as varchar) as right_evidence,
        'Xero invoices with reference ' || invoice_id || ' (number ' || coalesce(number, '?') || ')' as where_to_look
    from compared
)

select * from final
