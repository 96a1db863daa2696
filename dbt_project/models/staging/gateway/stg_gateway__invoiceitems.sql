with

versions as (
    {{ gateway_object_versions('invoiceitems', 'invoiceitem') }}
),

latest as (
    select * from versions
    {{ latest_version() }}
),

renamed as (
    select
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
    from latest
)

select * from renamed
