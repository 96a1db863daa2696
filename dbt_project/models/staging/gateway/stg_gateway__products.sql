with

versions as (
    {{ gateway_object_versions('products', 'product') }}
),

latest as (
    select * from versions
    {{ latest_version() }}
),

renamed as (
    select
        object_id as product_id,
        {{ json_str('obj', '$.name') }} as product_name,
        {{ json_bool('obj', '$.active') }} as is_active,
        {{ json_ts('obj', '$.created') }} as created_at,
        _version_at as version_at
    from latest
)

select * from renamed
