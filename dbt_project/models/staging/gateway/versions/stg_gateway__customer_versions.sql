-- Every version of every customer (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
-- Every path is read in one parse per version (json_strings, macros/json.sql).
{%- set values = [
    '$.name', '$.email', '$.currency', '$.address.country', '$.tax_exempt', '$.metadata.segment',
    '$.balance', '$.deleted', '$.created',
] %}
with

versions as (
    {{ gateway_object_versions('customers', 'customer') }}
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
        object_id as customer_id,
        {{ picked('v', values, '$.name') }} as customer_name,
        {{ picked('v', values, '$.email') }} as email,
        upper({{ picked('v', values, '$.currency') }}) as currency,
        upper({{ picked('v', values, '$.address.country') }}) as country,
        {{ picked('v', values, '$.tax_exempt') }} as tax_exempt,
        {{ picked('v', values, '$.metadata.segment') }} as segment,
        {{ picked_int('v', values, '$.balance') }} as balance_minor,
        {{ to_major(picked_int('v', values, '$.balance'), picked('v', values, '$.currency')) }} as balance,
        coalesce(
            {{ picked_bool('v', values, '$.deleted') }}, event_type = 'customer.deleted', false
        ) as is_deleted,
        {{ picked_ts('v', values, '$.created') }} as created_at,
        _version_at as version_at,
        api_version
    from parsed
)

select * from renamed
