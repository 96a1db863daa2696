-- Every version of every coupon (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
-- Every path is read in one parse per version (json_strings, macros/json.sql).
{%- set values = [
    '$.percent_off', '$.amount_off', '$.currency', '$.duration', '$.duration_in_months', '$.created',
] %}
with

versions as (
    {{ gateway_object_versions('coupons', 'coupon') }}
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
        object_id as coupon_id,
        try_cast({{ picked('v', values, '$.percent_off') }} as decimal(9, 4)) as percent_off,
        {{ picked_int('v', values, '$.amount_off') }} as amount_off_minor,
        {{ to_major(picked_int('v', values, '$.amount_off'), picked('v', values, '$.currency')) }} as amount_off,
        upper({{ picked('v', values, '$.currency') }}) as currency,
        {{ picked('v', values, '$.duration') }} as duration,
        {{ picked_int('v', values, '$.duration_in_months') }} as duration_in_months,
        {{ picked_ts('v', values, '$.created') }} as created_at,
        _version_at as version_at
    from parsed
)

select * from renamed
