-- The discounts of every day-effective subscription version, resolved to their coupon.
-- Dahlia: `discounts` is a list of discount objects (coupon at `source.coupon`) or `di_` ids;
-- older: one `discount` object (coupon at `coupon`). Ids are read from the discount and coupon
-- catalogues. `amount_off` is normalised to a month by the subscription's first item's interval.
with

versions as (
    select
        subscription_version_id,
        subscription_id,
        currency,
        discounts_json
    from {{ ref('int_subscription_versions') }}
    where is_day_effective
),

discounts as (
    select * from {{ ref('stg_gateway__discounts') }}
),

coupons as (
    select * from {{ ref('stg_gateway__coupons') }}
),

first_items as (
    select
        subscription_version_id,
        month_numerator,
        month_denominator
    from {{ ref('int_subscription_items_mrr') }}
    where item_position = 1
),

elements as (
    select
        versions.subscription_version_id,
        versions.subscription_id,
        versions.currency as subscription_currency,
        element.position as discount_position,
        element.discount_json
    from versions,
        unnest(json_extract(versions.discounts_json, '$[*]')) with ordinality as element (discount_json, position)
),

parsed as (
    select
        subscription_version_id,
        subscription_id,
        subscription_currency,
        discount_position,
        case
            when json_type(discount_json) = 'OBJECT' then discount_json ->> '$.id'
            else discount_json ->> '$'
        end as discount_id,
        case when json_type(discount_json) = 'OBJECT' then discount_json end as discount_object
    from elements
),

with_coupon_ref as (
    select
        parsed.*,
        coalesce(
            {{ json_ref_id('parsed.discount_object', '$.source.coupon') }},
            {{ json_ref_id('parsed.discount_object', '$.coupon') }},
            discounts.coupon_id
        ) as coupon_id,
        coalesce(
            {{ json_expanded('parsed.discount_object', '$.source.coupon') }},
            {{ json_expanded('parsed.discount_object', '$.coupon') }},
            discounts.coupon_json
        ) as coupon_object,
        coalesce({{ json_ts('parsed.discount_object', '$.start') }}, discounts.start_at) as start_at,
        case
            when parsed.discount_object is not null then {{ json_ts('parsed.discount_object', '$.end') }}
            else discounts.end_at
        end as end_at
    from parsed
    left join discounts
        on parsed.discount_id = discounts.discount_id
),

resolved as (
    select
        with_coupon_ref.subscription_version_id || ':' || cast(with_coupon_ref.discount_position as varchar)
            as subscription_version_discount_id,
        with_coupon_ref.subscription_version_id,
        with_coupon_ref.subscription_id,
        with_coupon_ref.discount_position,
        with_coupon_ref.discount_id,
        with_coupon_ref.coupon_id,
        coalesce(
            try_cast({{ json_str('with_coupon_ref.coupon_object', '$.percent_off') }} as decimal(9, 4)),
            coupons.percent_off
        ) as percent_off,
        coalesce({{ json_int('with_coupon_ref.coupon_object', '$.amount_off') }}, coupons.amount_off_minor)
            as amount_off_minor,
        coalesce(
            upper({{ json_str('with_coupon_ref.coupon_object', '$.currency') }}),
            coupons.currency,
            with_coupon_ref.subscription_currency
        ) as amount_off_currency,
        coalesce({{ json_str('with_coupon_ref.coupon_object', '$.duration') }}, coupons.duration) as duration,
        with_coupon_ref.start_at,
        with_coupon_ref.end_at,
        cast(with_coupon_ref.start_at as date) as start_date,
        cast(with_coupon_ref.end_at as date) as end_date
    from with_coupon_ref
    left join coupons
        on with_coupon_ref.coupon_id = coupons.coupon_id
),

final as (
    select
        resolved.*,
        cast(resolved.percent_off * 10000 as hugeint) as percent_off_e4,
        case
            when resolved.amount_off_minor is not null and first_items.month_denominator is not null
                then (cast(resolved.amount_off_minor as hugeint) * first_items.month_numerator * 1000000)
                    // (first_items.month_denominator * {{ minor_per_major('resolved.amount_off_currency') }})
            else 0
        end as amount_off_monthly_micro
    from resolved
    left join first_items
        on resolved.subscription_version_id = first_items.subscription_version_id
)

select * from final
