-- Every version of every discount (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
-- The coupon sits at `source.coupon` (2026-07-29.dahlia) or `coupon` (older), expanded or as id.
-- Every path is read in one parse per version (json_strings / json_nodes, macros/json.sql).
{%- set values = ['$.start', '$.end'] -%}
{%- set nodes = ['$.customer', '$.subscription', '$.source.coupon', '$.coupon'] %}
with

versions as (
    {{ gateway_object_versions('discounts', 'discount') }}
),

parsed as (
    {{ parsed_versions('versions', values, nodes) }}
),

renamed as (
    select
        {{ version_bookkeeping() }},
        object_id as discount_id,
        {{ picked_ref_id('n', nodes, '$.customer') }} as customer_id,
        {{ picked_ref_id('n', nodes, '$.subscription') }} as subscription_id,
        coalesce(
            {{ picked_ref_id('n', nodes, '$.source.coupon') }}, {{ picked_ref_id('n', nodes, '$.coupon') }}
        ) as coupon_id,
        coalesce(
            {{ picked_expanded('n', nodes, '$.source.coupon') }}, {{ picked_expanded('n', nodes, '$.coupon') }}
        ) as coupon_json,
        {{ picked_ts('v', values, '$.start') }} as start_at,
        {{ picked_ts('v', values, '$.end') }} as end_at,
        coalesce(event_type = 'customer.discount.deleted', false) as is_deleted,
        _version_at as version_at
    from parsed
)

select * from renamed
