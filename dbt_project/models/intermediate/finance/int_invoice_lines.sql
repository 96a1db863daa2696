-- Every invoice line with its price's terms and its type, one explicit rule per line:
--   proration    the line is a proration (dahlia parent.*.proration, older proration)
--   usage        its price is recurring and metered
--   one_time     its price is one-time, or it is an invoice item without a recurring price
--   subscription any other line of a subscription item
-- The invoice's status is carried so that MRR rebuilt from lines can ignore drafts and voids.
with

lines as (
    select * from {{ ref('stg_gateway__invoice_lines') }}
),

invoices as (
    select
        invoice_id,
        status as invoice_status
    from {{ ref('stg_gateway__invoices') }}
),

prices as (
    select
        price_id,
        price_type,
        usage_type,
        recurring_interval,
        recurring_interval_count
    from {{ ref('stg_gateway__prices') }}
),

typed as (
    select
        lines.*,
        invoices.invoice_status,
        coalesce({{ json_str('lines.price_json', '$.type') }}, prices.price_type) as price_type,
        coalesce({{ json_str('lines.price_json', '$.recurring.usage_type') }}, prices.usage_type) as usage_type,
        coalesce({{ json_str('lines.price_json', '$.recurring.interval') }}, prices.recurring_interval)
            as recurring_interval,
        coalesce(
            {{ json_int('lines.price_json', '$.recurring.interval_count') }}, prices.recurring_interval_count, 1
        ) as recurring_interval_count
    from lines
    left join invoices
        on lines.invoice_id = invoices.invoice_id
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
)

select * from classified
