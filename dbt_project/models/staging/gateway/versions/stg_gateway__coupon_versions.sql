-- Every version of every coupon (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
with

versions as (
    {{ gateway_object_versions('coupons', 'coupon') }}
),

renamed as (
    select
        _version_key,
        _version_at,
        _batch_id,
        _line,
        _loaded_at,
        object_id as coupon_id,
        try_cast({{ json_str('obj', '$.percent_off') }} as decimal(9, 4)) as percent_off,
        {{ json_int('obj', '$.amount_off') }} as amount_off_minor,
        {{ to_major(json_int('obj', '$.amount_off'), json_str('obj', '$.currency')) }} as amount_off,
        upper({{ json_str('obj', '$.currency') }}) as currency,
        {{ json_str('obj', '$.duration') }} as duration,
        {{ json_int('obj', '$.duration_in_months') }} as duration_in_months,
        {{ json_ts('obj', '$.created') }} as created_at,
        _version_at as version_at
    from versions
)

select * from renamed
