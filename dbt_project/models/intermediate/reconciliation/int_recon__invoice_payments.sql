-- invoices_vs_payments: the gateway's invoices against the charges that pay them.
--   key = invoice id: every invoice that is `paid` or that a charge names. left = the invoice's
--         amount_paid, right = Σ amount captured by its succeeded charges (invoice currency).
--         An invoice paid out of band (`paid_out_of_band`) is settled outside the gateway: right
--         = its amount_paid. An invoice paid from the customer's credit balance has amount_paid
--         0 and needs no charge. Exact: a paid invoice without the charge, a charge captured on
--         an invoice that is not paid, or different amounts are breaks.
--   key = charge id: a succeeded charge whose invoice id is not an invoice the gateway knows
--         (left = 0, right = the amount captured): break. A succeeded charge that names no
--         invoice at all (a direct charge) is 'warn': money in that no invoice explains.
-- period = month the invoice was paid (else finalised, else created) / the charge was created.
with

invoices as (
    select
        fct.invoice_id,
        fct.customer_id,
        fct.number,
        fct.status,
        fct.currency,
        fct.total,
        fct.amount_paid,
        fct.paid_at,
        fct.finalized_at,
        fct.created_at,
        stg.is_paid_out_of_band
    from {{ ref('int_invoices') }} as fct
    inner join {{ ref('stg_gateway__invoices') }} as stg
        on fct.invoice_id = stg.invoice_id
),

charges as (
    select
        charges.charge_id,
        charges.customer_id,
        payments.invoice_id,
        charges.currency,
        charges.status,
        charges.created_at,
        {{ to_major('coalesce(charges.amount_captured_minor, charges.amount_minor)', 'charges.currency') }} as captured
    from {{ ref('stg_gateway__charges') }} as charges
    left join {{ ref('int_payments') }} as payments
        on charges.charge_id = payments.payment_id and payments.kind = 'charge'
),

invoice_charges as (
    select
        invoice_id,
        coalesce(sum(captured) filter (where status = 'succeeded'), 0) as captured,
        count(*) as charge_count,
        to_json(list({ 'charge_id': charge_id, 'status': status, 'captured': captured } order by created_at, charge_id))
            as charges_json
    from charges
    where invoice_id is not null
    group by invoice_id
),

by_invoice as (
    select
        'invoices_vs_payments' as check_name,
        cast(date_trunc('month', coalesce(invoices.paid_at, invoices.finalized_at, invoices.created_at)) as date)
            as period,
        invoices.invoice_id as key,
        invoices.currency as unit,
        cast(coalesce(invoices.amount_paid, 0) as decimal(38, 6)) as left_amount,
        cast(
            case
                when invoices.is_paid_out_of_band then coalesce(invoices.amount_paid, 0)
                else coalesce(invoice_charges.captured, 0)
            end as decimal(38, 6)
        ) as right_amount,
        cast(null as varchar) as forced_status,
        'fct_invoices' as left_source,
        'fct_payments (charges)' as right_source,
        cast(coalesce(invoice_charges.charge_count, 0) as integer) as evidence_count,
        cast(to_json({
            'invoice_id': invoices.invoice_id, 'number': invoices.number, 'customer_id': invoices.customer_id,
            'status': invoices.status, 'total': invoices.total, 'amount_paid': invoices.amount_paid,
            'paid_at': invoices.paid_at, 'paid_out_of_band': invoices.is_paid_out_of_band
        }) as varchar) as left_evidence,
        cast(coalesce(invoice_charges.charges_json, to_json([])) as varchar) as right_evidence,
        'the invoice ' || invoices.invoice_id || ' and its payments in the Stripe dashboard' as where_to_look
    from invoices
    left join invoice_charges
        on invoices.invoice_id = invoice_charges.invoice_id
    where invoices.status = 'paid' or invoice_charges.invoice_id is not null
),

orphan_charges as (
    select
        'invoices_vs_payments' as check_name,
        cast(date_trunc('month', charges.created_at) as date) as period,
        charges.charge_id as key,
        charges.currency as unit,
        cast(0 as decimal(38, 6)) as left_amount,
        cast(charges.captured as decimal(38, 6)) as right_amount,
        case when charges.invoice_id is null then 'warn' else 'break' end as forced_status,
        'fct_invoices' as left_source,
        'fct_payments (charges)' as right_source,
        cast(1 as integer) as evidence_count,
        cast(to_json({ 'invoice_id': charges.invoice_id, 'known': false }) as varchar) as left_evidence,
        cast(to_json({
            'charge_id': charges.charge_id, 'customer_id': charges.customer_id, 'status': charges.status,
            'captured': charges.captured, 'created_at': charges.created_at
        }) as varchar) as right_evidence,
        'the charge ' || charges.charge_id || ' in the Stripe dashboard: which invoice does it pay?' as where_to_look
    from charges
    anti join invoices
        on charges.invoice_id = invoices.invoice_id
    where charges.status = 'succeeded'
),

comparisons as (
    select * from by_invoice
    union all
    select * from orphan_charges
),

final as (
    select
        check_name,
        period,
        key,
        unit,
        left_amount,
        right_amount,
        cast(left_amount - right_amount as decimal(38, 6)) as difference,
        cast(0 as decimal(38, 6)) as tolerance,
        coalesce(forced_status, {{ recon_status('left_amount - right_amount', '0') }}) as status,
        left_source,
        right_source,
        evidence_count,
        left_evidence,
        right_evidence,
        where_to_look
    from comparisons
)

select * from final
