-- Every version of every price (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
-- Every path is read in one parse per version (json_strings / json_nodes, macros/json.sql).
{%- set values = [
    '$.currency', '$.unit_amount', '$.billing_scheme', '$.tiers_mode', '$.type',
    '$.recurring.interval', '$.recurring.interval_count', '$.recurring.usage_type',
    '$.recurring.meter', '$.nickname', '$.active', '$.created',
] -%}
{%- set nodes = ['$.product', '$.tiers', '$.recurring'] %}
with

versions as (
    {{ gateway_object_versions('prices', 'price') }}
),

parsed as (
    {{ parsed_versions('versions', values, nodes) }}
),

renamed as (
    select
        {{ version_bookkeeping() }},
        object_id as price_id,
        {{ picked_ref_id('n', nodes, '$.product') }} as product_id,
        upper({{ picked('v', values, '$.currency') }}) as currency,
        {{ picked_int('v', values, '$.unit_amount') }} as unit_amount_minor,
        {{ to_major(picked_int('v', values, '$.unit_amount'), picked('v', values, '$.currency')) }}
            as unit_amount,
        coalesce({{ picked('v', values, '$.billing_scheme') }}, 'per_unit') as billing_scheme,
        {{ picked('v', values, '$.tiers_mode') }} as tiers_mode,
        {{ picked('n', nodes, '$.tiers') }} as tiers_json,
        coalesce(
            {{ picked('v', values, '$.type') }},
            case
                when json_type({{ picked('n', nodes, '$.recurring') }}) = 'OBJECT' then 'recurring'
                else 'one_time'
            end
        ) as price_type,
        {{ picked('v', values, '$.recurring.interval') }} as recurring_interval,
        coalesce({{ picked_int('v', values, '$.recurring.interval_count') }}, 1) as recurring_interval_count,
        {{ picked('v', values, '$.recurring.usage_type') }} as usage_type,
        {{ picked('v', values, '$.recurring.meter') }} as meter_id,
        {{ picked('v', values, '$.nickname') }} as nickname,
        {{ picked_bool('v', values, '$.active') }} as is_active,
        {{ picked_ts('v', values, '$.created') }} as created_at,
        _version_at as version_at
    from parsed
)

select * from renamed
