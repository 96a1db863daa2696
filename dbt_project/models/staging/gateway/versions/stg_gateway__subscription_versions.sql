-- Every version of every subscription (exports and event payloads), not deduplicated to the
-- latest: the subscription timeline (int_subscription_versions) needs them all. Typed and parsed
-- once, when its raw batch is first built (incremental on the load time; macros/gateway.sql).
with

versions as (
    {{ gateway_object_versions('subscriptions', 'subscription') }}
),

renamed as (
    select
        object_id
        -- an export row is named by its landing file and line, not by its load: the same
        -- files give the same ids however and whenever they were loaded
        || ':' || coalesce(event_id, 'export:' || _file || ':' || cast(_line as varchar))
            as subscription_version_id,
        object_id as subscription_id,
        {{ json_ref_id('obj', '$.customer') }} as customer_id,
        {{ json_str('obj', '$.status') }} as status,
        upper({{ json_str('obj', '$.currency') }}) as currency,
        {{ json_ts('obj', '$.created') }} as created_at,
        {{ json_ts('obj', '$.start_date') }} as start_at,
        {{ json_ts('obj', '$.trial_start') }} as trial_start_at,
        {{ json_ts('obj', '$.trial_end') }} as trial_end_at,
        {{ json_ts('obj', '$.cancel_at') }} as cancel_at,
        coalesce({{ json_bool('obj', '$.cancel_at_period_end') }}, false) as is_cancel_at_period_end,
        {{ json_ts('obj', '$.canceled_at') }} as canceled_at,
        {{ json_ts('obj', '$.ended_at') }} as ended_at,
        -- billing period: on the items (dahlia) or on the subscription (older)
        coalesce(
            {{ json_ts('obj', '$.current_period_start') }},
            {{ json_ts('obj', '$.items.data[0].current_period_start') }}
        ) as current_period_start_at,
        coalesce(
            {{ json_ts('obj', '$.current_period_end') }},
            {{ json_ts('obj', '$.items.data[0].current_period_end') }}
        ) as current_period_end_at,
        coalesce(obj -> '$.items.data', cast('[]' as json)) as items_json,
        -- discounts: a list of objects or ids (dahlia) or one object (older)
        case
            when json_type(obj, '$.discounts') = 'ARRAY' then obj -> '$.discounts'
            when json_type(obj, '$.discount') = 'OBJECT' then json_array(obj -> '$.discount')
            else cast('[]' as json)
        end as discounts_json,
        _version_at as version_at,
        version_origin,
        event_id,
        event_type,
        api_version,
        _version_key,
        _version_at,
        _batch_id,
        _line,
        _loaded_at
    from versions
)

select * from renamed
