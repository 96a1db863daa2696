-- Every version of every tax rate (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
-- Every path is read in one parse per version (json_strings, macros/json.sql).
{%- set values = [
    '$.percentage', '$.country', '$.jurisdiction', '$.state', '$.display_name', '$.tax_type',
    '$.inclusive', '$.created',
] %}
with

versions as (
    {{ gateway_object_versions('tax_rates', 'tax_rate') }}
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
        object_id as tax_rate_id,
        try_cast({{ picked('v', values, '$.percentage') }} as decimal(9, 4)) as percentage,
        upper({{ picked('v', values, '$.country') }}) as country,
        {{ picked('v', values, '$.jurisdiction') }} as jurisdiction,
        upper({{ picked('v', values, '$.state') }}) as state,
        {{ picked('v', values, '$.display_name') }} as display_name,
        {{ picked('v', values, '$.tax_type') }} as tax_type,
        coalesce({{ picked_bool('v', values, '$.inclusive') }}, false) as is_inclusive,
        {{ picked_ts('v', values, '$.created') }} as created_at,
        _version_at as version_at
    from parsed
)

select * from renamed
