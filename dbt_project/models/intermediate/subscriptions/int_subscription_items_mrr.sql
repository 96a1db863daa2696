-- Item MRR (contracts §5), exact: licensed recurring items only (metered → 0, one-time → 0).
--   amount_minor = unit_amount × quantity (per_unit), or the tiers evaluated at the quantity
--                  (volume: the tier holding the quantity, unit × q + flat; graduated: the sum
--                  over the tiers the quantity reaches);
--   normalised to a month as amount × num / den: month 1/count, year 1/(12·count),
--                  week 52/(12·count), day 365/(12·count);
--   item_mrr = floor(amount_minor × num × 10^6 / (den × 10^exponent)) micro units of the major
--              unit, i.e. truncated toward zero at 6 decimals, scaled by multiplication.
with

items as (
    select * from {{ ref('int_subscription_items') }}
),

tiers as (
    select
        items.subscription_version_item_id,
        tier.position as tier_position,
        try_cast(tier.tier_json ->> '$.up_to' as bigint) as up_to,
        coalesce(try_cast(tier.tier_json ->> '$.unit_amount' as bigint), 0) as tier_unit_amount,
        coalesce(try_cast(tier.tier_json ->> '$.flat_amount' as bigint), 0) as tier_flat_amount
    from items,
        unnest(json_extract(items.tiers_json, '$[*]')) with ordinality as tier (tier_json, position)
    where items.billing_scheme = 'tiered'
),

tier_ranges as (
    select
        tiers.*,
        items.quantity,
        items.tiers_mode,
        coalesce(
            lag(tiers.up_to) over (partition by tiers.subscription_version_item_id order by tiers.tier_position), 0
        ) as lower_bound
    from tiers
    inner join items
        on tiers.subscription_version_item_id = items.subscription_version_item_id
),

tiered_amounts as (
    select
        subscription_version_item_id,
        case
            when any_value(tiers_mode) = 'volume'
                then
                    arg_min(
                        cast(tier_unit_amount as hugeint) * quantity + tier_flat_amount, tier_position
                    ) filter (where up_to is null or quantity <= up_to)
            else
                sum(
                    case
                        when quantity > lower_bound
                            then cast(least(quantity, coalesce(up_to, quantity)) - lower_bound as hugeint)
                                * tier_unit_amount + tier_flat_amount
                        else 0
                    end
                )
        end as tiered_amount_minor
    from tier_ranges
    group by subscription_version_item_id
),

amounts as (
    select
        items.*,
        case
            when items.billing_scheme = 'tiered' then tiered_amounts.tiered_amount_minor
            else cast(items.unit_amount_minor as hugeint) * items.quantity
        end as amount_minor,
        {{ month_numerator('items.recurring_interval') }} as month_numerator,
        {{ month_denominator('items.recurring_interval', 'items.recurring_interval_count') }} as month_denominator
    from items
    left join tiered_amounts
        on items.subscription_version_item_id = tiered_amounts.subscription_version_item_id
),

flagged as (
    select
        *,
        coalesce(
            price_type = 'recurring'
            and usage_type = 'licensed'
            and month_denominator is not null
            and amount_minor is not null,
            false
        ) as is_mrr_item
    from amounts
),

item_mrr as (
    select
        *,
        case
            when is_mrr_item
                then (amount_minor * month_numerator * 1000000)
                    // (month_denominator * {{ minor_per_major('currency') }})
            else 0
        end as item_mrr_micro
    from flagged
),

final as (
    select
        subscription_version_item_id,
        subscription_version_id,
        subscription_id,
        item_position,
        subscription_item_id,
        price_id,
        currency,
        quantity,
        billing_scheme,
        tiers_mode,
        price_type,
        usage_type,
        recurring_interval,
        recurring_interval_count,
        month_numerator,
        month_denominator,
        amount_minor,
        is_mrr_item,
        item_mrr_micro,
        {{ micro_to_decimal('item_mrr_micro') }} as item_mrr
    from item_mrr
)

select * from final
