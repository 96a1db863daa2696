-- Every version of every product (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
with

versions as (
    {{ gateway_object_versions('products', 'product') }}
),

renamed as (
    select
        _version_key,
        _version_at,
        _batch_id,
        _line,
        _loaded_at,
        object_id as product_id,
        {{ json_str('obj', '$.name') }} as product_name,
        {{ json_bool('obj', '$.active') }} as is_active,
        {{ json_ts('obj', '$.created') }} as created_at,
        _version_at as version_at
    from versions
)

select * from renamed
