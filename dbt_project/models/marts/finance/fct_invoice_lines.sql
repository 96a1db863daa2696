-- One row per invoice line. line_type (one explicit rule per line):
--   proration    the line is a proration (dahlia parent.*.proration, older proration)
--   usage        its price is recurring and metered
--   one_time     its price is one-time, or it is an invoice item without a recurring price
--   subscription any other line of a subscription item
with

lines as (
    select * from {{ ref('stg_gateway__invoice_lines') }}
),

prices as (
    select
        price_id,
        price_type,
        usage_type
    from {{ ref('stg_gateway__prices') }}
),

invoices as (
    select
        invoice_id,
        status,
        fx_rate,
        fx_rate_date
    from {{ ref('fct_invoices') }}
),

typed as (
    select
        lines.*,
        coalesce({{ json_str('lines.price_json', '$.type') }}, prices.price_type) as price_type,
        coalesce({{ json_str('lines.price_json', '$.recurring.usage_type') }}, prices.usage_type) as usage_type
    from lines
    left join prices
        on lines.price_id = prices.price_id
),

classified as (
    select
        *,
        case
            when is_proration then 'proration'
            when price_type = 'recurring' and usage_type = 'metered' then 'usage'
            when price_type = 'one_time' then 'one_time'
            when parent_type in ('subscription_item_details', 'subscription') then 'subscription'
            else 'one_time'
        end as line_type
    from typed
),

final as (
    select
        classified.invoice_line_id,
        classified.invoice_id,
        classified.customer_id,
        classified.subscription_id,
        classified.subscription_item_id,
        classified.line_type,
        classified.price_id,
        classified.quantity,
        classified.currency,
        classified.amount,
        classified.discount,
        classified.tax,
        classified.amount_minor,
        classified.discount_minor,
        classified.tax_minor,
        {{ to_rc('classified.amount', 'invoices.fx_rate') }} as amount_rc,
        invoices.fx_rate_date,
        invoices.status as invoice_status,
        classified.is_proration,
        classified.service_start_at as service_start,
        classified.service_end_at as service_end
    from classified
    inner join invoices
        on classified.invoice_id = invoices.invoice_id
)

select * from final
