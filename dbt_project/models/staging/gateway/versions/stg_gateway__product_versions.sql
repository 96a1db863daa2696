-- Every version of every product (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
-- Every path is read in one parse per version (json_strings, macros/json.sql).
{%- set values = ['$.name', '$.active', '$.created'] %}
with

versions as (
    {{ gateway_object_versions('products', 'product') }}
),

parsed as (
    select
        *,
        {{ json_strings('obj', values) }} as v
    from versions
),

renamed as (
    select
        {{ version_bookkeeping() }},
        object_id as product_id,
        {{ picked('v', values, '$.name') }} as product_name,
        {{ picked_bool('v', values, '$.active') }} as is_active,
        {{ picked_ts('v', values, '$.created') }} as created_at,
        _version_at as version_at
    from parsed
)

select * from renamed
