-- Every version of every subscription (exports and event payloads), not deduplicated to the
-- latest: the subscription timeline (int_subscription_versions) needs them all. Typed and parsed
-- once, when its raw batch is first built (incremental on the load time; macros/gateway.sql).
-- Every path is read in one parse per version (json_strings / json_nodes, macros/json.sql).
{%- set values = [
    '$.status', '$.currency', '$.created', '$.start_date', '$.trial_start', '$.trial_end',
    '$.cancel_at', '$.cancel_at_period_end', '$.canceled_at', '$.ended_at',
    '$.current_period_start', '$.items.data[0].current_period_start',
    '$.current_period_end', '$.items.data[0].current_period_end',
] -%}
{%- set nodes = ['$.customer', '$.items.data', '$.discounts', '$.discount'] %}
with

versions as (
    {{ gateway_object_versions('subscriptions', 'subscription') }}
),

parsed as (
    {{ parsed_versions('versions', values, nodes) }}
),

renamed as (
    select
        object_id
        -- an export row is named by its landing file and line, not by its load: the same
        -- files give the same ids however and whenever they were loaded
        || ':' || coalesce(event_id, 'export:' || _file || ':' || cast(_line as varchar))
            as subscription_version_id,
        object_id as subscription_id,
        {{ picked_ref_id('n', nodes, '$.customer') }} as customer_id,
        {{ picked('v', values, '$.status') }} as status,
        upper({{ picked('v', values, '$.currency') }}) as currency,
        {{ picked_ts('v', values, '$.created') }} as created_at,
        {{ picked_ts('v', values, '$.start_date') }} as start_at,
        {{ picked_ts('v', values, '$.trial_start') }} as trial_start_at,
        {{ picked_ts('v', values, '$.trial_end') }} as trial_end_at,
        {{ picked_ts('v', values, '$.cancel_at') }} as cancel_at,
        coalesce({{ picked_bool('v', values, '$.cancel_at_period_end') }}, false) as is_cancel_at_period_end,
        {{ picked_ts('v', values, '$.canceled_at') }} as canceled_at,
        {{ picked_ts('v', values, '$.ended_at') }} as ended_at,
        -- billing period: on the items (dahlia) or on the subscription (older)
        coalesce(
            {{ picked_ts('v', values, '$.current_period_start') }},
            {{ picked_ts('v', values, '$.items.data[0].current_period_start') }}
        ) as current_period_start_at,
        coalesce(
            {{ picked_ts('v', values, '$.current_period_end') }},
            {{ picked_ts('v', values, '$.items.data[0].current_period_end') }}
        ) as current_period_end_at,
        coalesce({{ picked('n', nodes, '$.items.data') }}, cast('[]' as json)) as items_json,
        -- discounts: a list of objects or ids (dahlia) or one object (older)
        case
            when json_type({{ picked('n', nodes, '$.discounts') }}) = 'ARRAY'
                then {{ picked('n', nodes, '$.discounts') }}
            when json_type({{ picked('n', nodes, '$.discount') }}) = 'OBJECT'
                then json_array({{ picked('n', nodes, '$.discount') }})
            else cast('[]' as json)
        end as discounts_json,
        _version_at as version_at,
        version_origin,
        event_id,
        event_type,
        api_version,
        {{ version_bookkeeping() }}
    from parsed
)

select * from renamed
