-- Every version of every customer (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
with

versions as (
    {{ gateway_object_versions('customers', 'customer') }}
),

renamed as (
    select
        _version_key,
        _version_at,
        _batch_id,
        _line,
        _loaded_at,
        object_id as customer_id,
        {{ json_str('obj', '$.name') }} as customer_name,
        {{ json_str('obj', '$.email') }} as email,
        upper({{ json_str('obj', '$.currency') }}) as currency,
        upper({{ json_str('obj', '$.address.country') }}) as country,
        {{ json_str('obj', '$.tax_exempt') }} as tax_exempt,
        {{ json_str('obj', '$.metadata.segment') }} as segment,
        {{ json_int('obj', '$.balance') }} as balance_minor,
        {{ to_major(json_int('obj', '$.balance'), json_str('obj', '$.currency')) }} as balance,
        coalesce(
            {{ json_bool('obj', '$.deleted') }}, event_type = 'customer.deleted', false
        ) as is_deleted,
        {{ json_ts('obj', '$.created') }} as created_at,
        _version_at as version_at,
        api_version
    from versions
)

select * from renamed
