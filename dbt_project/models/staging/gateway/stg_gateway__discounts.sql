-- The coupon sits at `source.coupon` (2026-07-29.dahlia) or `coupon` (older), expanded or as id.
with

versions as (
    {{ gateway_object_versions('discounts', 'discount') }}
),

latest as (
    select * from versions
    {{ latest_version() }}
),

renamed as (
    select
        object_id as discount_id,
        {{ json_ref_id('obj', '$.customer') }} as customer_id,
        {{ json_ref_id('obj', '$.subscription') }} as subscription_id,
        coalesce(
            {{ json_ref_id('obj', '$.source.coupon') }}, {{ json_ref_id('obj', '$.coupon') }}
        ) as coupon_id,
        coalesce(
            {{ json_expanded('obj', '$.source.coupon') }}, {{ json_expanded('obj', '$.coupon') }}
        ) as coupon_json,
        {{ json_ts('obj', '$.start') }} as start_at,
        {{ json_ts('obj', '$.end') }} as end_at,
        coalesce(event_type = 'customer.discount.deleted', false) as is_deleted,
        _version_at as version_at
    from latest
)

select * from renamed
