-- Every version of every discount (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
-- The coupon sits at `source.coupon` (2026-07-29.dahlia) or `coupon` (older), expanded or as id.
with

versions as (
    {{ gateway_object_versions('discounts', 'discount') }}
),

renamed as (
    select
        _version_key,
        _version_at,
        _batch_id,
        _line,
        _loaded_at,
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
    from versions
)

select * from renamed
