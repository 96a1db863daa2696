-- The items of every day-effective subscription version, with their price resolved: the
-- price arrives expanded on the item (contracts §4) or as an id (then read from the catalogue).
with

versions as (
    select
        subscription_version_id,
        subscription_id,
        currency,
        items_json
    from {{ ref('int_subscription_versions') }}
    where is_day_effective
),

prices as (
    select * from {{ ref('stg_gateway__prices') }}
),

items as (
    select
        versions.subscription_version_id,
        versions.subscription_id,
        versions.currency as subscription_currency,
        item.position as item_position,
        item.item_json
    from versions,
        unnest(json_extract(versions.items_json, '$[*]')) with ordinality as item (item_json, position)
),

parsed as (
    select
        subscription_version_id,
        subscription_id,
        subscription_currency,
        item_position,
        {{ json_str('item_json', '$.id') }} as subscription_item_id,
        coalesce({{ json_int('item_json', '$.quantity') }}, 1) as quantity,
        {{ json_ref_id('item_json', '$.price') }} as price_id,
        {{ json_expanded('item_json', '$.price') }} as price_json
    from items
),

resolved as (
    select
        parsed.subscription_version_id,
        parsed.subscription_id,
        parsed.item_position,
        parsed.subscription_item_id,
        parsed.quantity,
        parsed.price_id,
        parsed.subscription_version_id || ':' || cast(parsed.item_position as varchar) as subscription_version_item_id,
        coalesce(
            upper({{ json_str('parsed.price_json', '$.currency') }}), prices.currency, parsed.subscription_currency
        )
            as currency,
        coalesce({{ json_str('parsed.price_json', '$.billing_scheme') }}, prices.billing_scheme, 'per_unit')
            as billing_scheme,
        coalesce({{ json_str('parsed.price_json', '$.tiers_mode') }}, prices.tiers_mode) as tiers_mode,
        coalesce(parsed.price_json -> '$.tiers', prices.tiers_json) as tiers_json,
        coalesce({{ json_int('parsed.price_json', '$.unit_amount') }}, prices.unit_amount_minor) as unit_amount_minor,
        coalesce(
            {{ json_str('parsed.price_json', '$.type') }},
            prices.price_type,
            case when json_type(parsed.price_json, '$.recurring') = 'OBJECT' then 'recurring' end
        ) as price_type,
        coalesce({{ json_str('parsed.price_json', '$.recurring.interval') }}, prices.recurring_interval)
            as recurring_interval,
        coalesce(
            {{ json_int('parsed.price_json', '$.recurring.interval_count') }}, prices.recurring_interval_count, 1
        ) as recurring_interval_count,
        coalesce(
            {{ json_str('parsed.price_json', '$.recurring.usage_type') }}, prices.usage_type, 'licensed'
        ) as usage_type
    from parsed
    left join prices
        on parsed.price_id = prices.price_id
)

select * from resolved
