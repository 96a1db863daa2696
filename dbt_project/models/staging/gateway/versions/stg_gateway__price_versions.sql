-- Every version of every price (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
with

versions as (
    {{ gateway_object_versions('prices', 'price') }}
),

renamed as (
    select
        _version_key,
        _version_at,
        _batch_id,
        _line,
        _loaded_at,
        object_id as price_id,
        {{ json_ref_id('obj', '$.product') }} as product_id,
        upper({{ json_str('obj', '$.currency') }}) as currency,
        {{ json_int('obj', '$.unit_amount') }} as unit_amount_minor,
        {{ to_major(json_int('obj', '$.unit_amount'), json_str('obj', '$.currency')) }} as unit_amount,
        coalesce({{ json_str('obj', '$.billing_scheme') }}, 'per_unit') as billing_scheme,
        {{ json_str('obj', '$.tiers_mode') }} as tiers_mode,
        obj -> '$.tiers' as tiers_json,
        coalesce(
            {{ json_str('obj', '$.type') }},
            case when json_type(obj, '$.recurring') = 'OBJECT' then 'recurring' else 'one_time' end
        ) as price_type,
        {{ json_str('obj', '$.recurring.interval') }} as recurring_interval,
        coalesce({{ json_int('obj', '$.recurring.interval_count') }}, 1) as recurring_interval_count,
        {{ json_str('obj', '$.recurring.usage_type') }} as usage_type,
        {{ json_str('obj', '$.recurring.meter') }} as meter_id,
        {{ json_str('obj', '$.nickname') }} as nickname,
        {{ json_bool('obj', '$.active') }} as is_active,
        {{ json_ts('obj', '$.created') }} as created_at,
        _version_at as version_at
    from versions
)

select * from renamed
