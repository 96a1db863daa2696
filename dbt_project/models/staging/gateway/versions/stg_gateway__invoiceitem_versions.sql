-- Every version of every invoiceitem (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
with

versions as (
    {{ gateway_object_versions('invoiceitems', 'invoiceitem') }}
),

renamed as (
    select
        _version_key,
        _version_at,
        _batch_id,
        _line,
        _loaded_at,
        object_id as invoiceitem_id,
        {{ json_ref_id('obj', '$.customer') }} as customer_id,
        {{ json_ref_id('obj', '$.invoice') }} as invoice_id,
        coalesce(
            {{ json_ref_id('obj', '$.parent.subscription_details.subscription') }},
            {{ json_ref_id('obj', '$.subscription') }}
        ) as subscription_id,
        coalesce(
            {{ json_ref_id('obj', '$.pricing.price_details.price') }},
            {{ json_ref_id('obj', '$.price') }}
        ) as price_id,
        upper({{ json_str('obj', '$.currency') }}) as currency,
        {{ json_int('obj', '$.quantity') }} as quantity,
        {{ json_int('obj', '$.amount') }} as amount_minor,
        {{ to_major(json_int('obj', '$.amount'), json_str('obj', '$.currency')) }} as amount,
        coalesce({{ json_bool('obj', '$.proration') }}, false) as is_proration,
        {{ json_ts('obj', '$.period.start') }} as period_start_at,
        {{ json_ts('obj', '$.period.end') }} as period_end_at,
        coalesce({{ json_ts('obj', '$.created') }}, {{ json_ts('obj', '$.date') }}) as created_at,
        _version_at as version_at
    from versions
)

select * from renamed
