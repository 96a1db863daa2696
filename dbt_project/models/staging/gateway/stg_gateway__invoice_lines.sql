-- Invoice lines of the latest version of each invoice. Price at `pricing.price_details.price`
-- (dahlia) or `price` (older), expanded or as id; kind from `parent.type` / `type`.
-- A table: many models read the lines, so they are unnested and typed once per build.
{{ config(materialized='table') }}
with

invoices as (
    select
        invoice_id,
        customer_id,
        subscription_id,
        currency,
        lines_json
    from {{ ref('stg_gateway__invoices') }}
),

unnested as (
    select
        invoices.invoice_id,
        invoices.customer_id,
        invoices.subscription_id as invoice_subscription_id,
        invoices.currency as invoice_currency,
        unnest(json_extract(invoices.lines_json, '$[*]')) as line_json
    from invoices
),

renamed as (
    select
        {{ json_str('line_json', '$.id') }} as invoice_line_id,
        invoice_id,
        customer_id,
        coalesce(
            {{ json_ref_id('line_json', '$.parent.subscription_item_details.subscription') }},
            {{ json_ref_id('line_json', '$.parent.invoice_item_details.subscription') }},
            {{ json_ref_id('line_json', '$.subscription') }},
            invoice_subscription_id
        ) as subscription_id,
        coalesce(
            {{ json_ref_id('line_json', '$.parent.subscription_item_details.subscription_item') }},
            {{ json_ref_id('line_json', '$.subscription_item') }}
        ) as subscription_item_id,
        coalesce(
            {{ json_ref_id('line_json', '$.pricing.price_details.price') }},
            {{ json_ref_id('line_json', '$.price') }}
        ) as price_id,
        coalesce(
            {{ json_expanded('line_json', '$.pricing.price_details.price') }},
            {{ json_expanded('line_json', '$.price') }}
        ) as price_json,
        -- subscription_item_details / invoice_item_details (dahlia), subscription / invoiceitem (older)
        coalesce({{ json_str('line_json', '$.parent.type') }}, {{ json_str('line_json', '$.type') }}) as parent_type,
        coalesce(
            {{ json_bool('line_json', '$.parent.subscription_item_details.proration') }},
            {{ json_bool('line_json', '$.parent.invoice_item_details.proration') }},
            {{ json_bool('line_json', '$.proration') }},
            false
        ) as is_proration,
        coalesce(upper({{ json_str('line_json', '$.currency') }}), invoice_currency) as currency,
        {{ json_int('line_json', '$.quantity') }} as quantity,
        {{ json_int('line_json', '$.amount') }} as amount_minor,
        {{ json_sum_amounts('line_json', '$.discount_amounts') }} as discount_minor,
        coalesce(line_json -> '$.discount_amounts', cast('[]' as json)) as discount_amounts_json,
        case
            when json_type(line_json, '$.taxes') = 'ARRAY' then {{ json_sum_amounts('line_json', '$.taxes') }}
            else {{ json_sum_amounts('line_json', '$.tax_amounts') }}
        end as tax_minor,
        {{ json_ts('line_json', '$.period.start') }} as service_start_at,
        {{ json_ts('line_json', '$.period.end') }} as service_end_at
    from unnested
),

final as (
    select
        *,
        {{ to_major('amount_minor', 'currency') }} as amount,
        {{ to_major('discount_minor', 'currency') }} as discount,
        {{ to_major('tax_minor', 'currency') }} as tax
    from renamed
    where invoice_line_id is not null
)

select * from final
