-- Every version of every invoiceitem (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
-- Every path is read in one parse per version (json_strings / json_nodes, macros/json.sql).
{%- set values = [
    '$.currency', '$.quantity', '$.amount', '$.proration', '$.period.start', '$.period.end',
    '$.created', '$.date',
] -%}
{%- set nodes = [
    '$.customer', '$.invoice', '$.parent.subscription_details.subscription', '$.subscription',
    '$.pricing.price_details.price', '$.price',
] %}
with

versions as (
    {{ gateway_object_versions('invoiceitems', 'invoiceitem') }}
),

parsed as (
    {{ parsed_versions('versions', values, nodes) }}
),

renamed as (
    select
        {{ version_bookkeeping() }},
        object_id as invoiceitem_id,
        {{ picked_ref_id('n', nodes, '$.customer') }} as customer_id,
        {{ picked_ref_id('n', nodes, '$.invoice') }} as invoice_id,
        coalesce(
            {{ picked_ref_id('n', nodes, '$.parent.subscription_details.subscription') }},
            {{ picked_ref_id('n', nodes, '$.subscription') }}
        ) as subscription_id,
        coalesce(
            {{ picked_ref_id('n', nodes, '$.pricing.price_details.price') }},
            {{ picked_ref_id('n', nodes, '$.price') }}
        ) as price_id,
        upper({{ picked('v', values, '$.currency') }}) as currency,
        {{ picked_int('v', values, '$.quantity') }} as quantity,
        {{ picked_int('v', values, '$.amount') }} as amount_minor,
        {{ to_major(picked_int('v', values, '$.amount'), picked('v', values, '$.currency')) }} as amount,
        coalesce({{ picked_bool('v', values, '$.proration') }}, false) as is_proration,
        {{ picked_ts('v', values, '$.period.start') }} as period_start_at,
        {{ picked_ts('v', values, '$.period.end') }} as period_end_at,
        coalesce({{ picked_ts('v', values, '$.created') }}, {{ picked_ts('v', values, '$.date') }}) as created_at,
        _version_at as version_at
    from parsed
)

select * from renamed
