-- Every version of every tax rate (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
with

versions as (
    {{ gateway_object_versions('tax_rates', 'tax_rate') }}
),

renamed as (
    select
        _version_key,
        _version_at,
        _batch_id,
        _line,
        _loaded_at,
        object_id as tax_rate_id,
        try_cast({{ json_str('obj', '$.percentage') }} as decimal(9, 4)) as percentage,
        upper({{ json_str('obj', '$.country') }}) as country,
        {{ json_str('obj', '$.jurisdiction') }} as jurisdiction,
        upper({{ json_str('obj', '$.state') }}) as state,
        {{ json_str('obj', '$.display_name') }} as display_name,
        {{ json_str('obj', '$.tax_type') }} as tax_type,
        coalesce({{ json_bool('obj', '$.inclusive') }}, false) as is_inclusive,
        {{ json_ts('obj', '$.created') }} as created_at,
        _version_at as version_at
    from versions
)

select * from renamed
