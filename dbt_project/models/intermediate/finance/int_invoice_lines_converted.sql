-- One row per invoice line, typed by int_invoice_lines (subscription, usage, one_time,
-- proration), with its amount in the reporting currency at its invoice's rate and its
-- invoice's status. Published as fct_invoice_lines.
with

lines as (
    select * from {{ ref('int_invoice_lines') }}
),

invoices as (
    select
        invoice_id,
        status,
        fx_rate,
        fx_rate_date
    from {{ ref('int_invoices') }}
),

final as (
    select
        lines.invoice_line_id,
        lines.invoice_id,
        lines.customer_id,
        lines.subscription_id,
        lines.subscription_item_id,
        lines.line_type,
        lines.price_id,
        lines.quantity,
        lines.currency,
        lines.amount,
        lines.discount,
        lines.tax,
        lines.amount_minor,
        lines.discount_minor,
        lines.tax_minor,
        {{ to_rc('lines.amount', 'invoices.fx_rate') }} as amount_rc,
        invoices.fx_rate_date,
        invoices.status as invoice_status,
        lines.is_proration,
        lines.service_start_at as service_start,
        lines.service_end_at as service_end
    from lines
    inner join invoices
        on lines.invoice_id = invoices.invoice_id
)

select * from final
